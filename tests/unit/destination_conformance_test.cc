// SPDX-License-Identifier: Apache-2.0
// One suite run against every Destination: SQLite, PostgreSQL, JSONL.
//
// One suite for every Destination (Arrow's GenericFileSystemTest idea): the same tests run against
// SQLite, PostgreSQL (a private server, see pg_test_server.h) and JSONL. Where a destination
// differs by design, a capability flag says so and the test checks what it does instead: JSONL
// files are append-only, so they neither upsert nor mark deletions, and have no column types.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "dest/destination.h"
#include "dest/jsonl_destination.h"
#include "dest/postgres_destination.h"
#include "dest/sqlite_destination.h"
#include "fakes.h"
#include "pg_test_server.h"
#include "status_matchers.h"
#include "sync/record_builder.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;

namespace fs = std::filesystem;
using testing::PgTestServer;

constexpr char kT1[] = "2024-03-01T00:00:00.000Z";
constexpr char kT2[] = "2024-03-02T00:00:00.000Z";
constexpr char kT3[] = "2024-03-03T00:00:00.000Z";

/// A stored row: column name to value, as the destination gives it back.
using Row = std::map<std::string, Value>;

struct Capabilities {
  bool upserts = true;          // a key written again replaces its row
  bool marks_deletions = true;  // _deleted_at is set by a complete read
  bool typed_columns = true;    // columns have declared types
};

Value S(std::string text) { return Value::String(std::move(text)); }

/// Compact JSON with object keys sorted, so jsonb's reordering compares equal.
void AppendCanonical(std::string& out, simdjson::dom::element element) {
  if (element.is_object()) {
    std::vector<std::pair<std::string, simdjson::dom::element>> fields;
    for (const auto field : element.get_object()) {
      fields.emplace_back(std::string(field.key), field.value);
    }
    std::sort(fields.begin(), fields.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out.push_back('{');
    for (size_t i = 0; i < fields.size(); ++i) {
      out += i == 0 ? "" : ",";
      AppendValueJson(out, Value::String(fields[i].first));
      out.push_back(':');
      AppendCanonical(out, fields[i].second);
    }
    out.push_back('}');
  } else if (element.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto item : element.get_array()) {
      out += first ? "" : ",";
      first = false;
      AppendCanonical(out, item);
    }
    out.push_back(']');
  } else {
    AppendValueJson(out, ValueFromJson(element));
  }
}

std::string CanonicalJson(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(std::string(text)).get(element) != simdjson::SUCCESS) {
    return "<not JSON> " + std::string(text);
  }
  std::string out;
  AppendCanonical(out, element);
  return out;
}

/// How a value reads for comparison. `as_json`: a string holding JSON (SQLite keeps objects as
/// TEXT) reads as that JSON. Numbers read the same whether integer or double.
std::string Show(const Value& value, bool as_json = false) {
  std::string out;
  switch (value.kind) {
    case Value::Kind::kNull:
      return "null";
    case Value::Kind::kBool:
      return value.boolean ? "bool true" : "bool false";
    case Value::Kind::kInt:
      return "number " + std::to_string(value.integer);
    case Value::Kind::kDouble:
      if (std::trunc(value.number) == value.number && std::fabs(value.number) < 1e15) {
        return "number " + std::to_string(static_cast<int64_t>(value.number));
      }
      AppendValueJson(out, value);
      return "number " + out;
    case Value::Kind::kString:
      return as_json ? "json " + CanonicalJson(value.text) : "string " + value.text;
    case Value::Kind::kJson:
      return "json " + CanonicalJson(value.text);
  }
  return "?";
}

/// Check `row` holds each expected field (a missing column reads as NULL).
void ExpectFields(const Row& row, const std::vector<std::pair<std::string, Value>>& expected) {
  for (const auto& [name, want] : expected) {
    const auto found = row.find(name);
    const Value got = found == row.end() ? Value::Null() : found->second;
    EXPECT_EQ(Show(got, want.kind == Value::Kind::kJson), Show(want)) << "field " << name;
  }
}

/// A value read back from JSON text (PostgreSQL's row_to_json, a JSONL line).
Row RowFromJson(simdjson::dom::parser& parser, std::string_view line) {
  Row row;
  simdjson::dom::object object;
  if (parser.parse(std::string(line)).get_object().get(object) != simdjson::SUCCESS) {
    ADD_FAILURE() << "not a JSON object: " << line;
    return row;
  }
  for (const auto field : object) {
    row[std::string(field.key)] = ValueFromJson(field.value);
  }
  return row;
}

std::string TempDir(const char* prefix) {
  std::string pattern = (fs::temp_directory_path() / prefix).string() + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern;
  }
  return pattern;
}

class SqliteBackend {
 public:
  static constexpr Capabilities kCapabilities{};
  static constexpr char kName[] = "SQLite";

  void SetUp(const fs::path& dir) { path_ = dir / "out.db"; }
  std::unique_ptr<Destination> Open() { return std::make_unique<SqliteDestination>(path_); }
  // Not the database, and no -wal or -shm file beside it either.
  bool WroteAnything() const { return !fs::is_empty(path_.parent_path()); }
  // A killed writer's journal is rolled back by the next opener.
  void AwaitKilledWriterGone() {}

  static std::string TypeName(ColumnType type) {
    switch (type) {
      case ColumnType::kInteger:
        return "INTEGER";
      case ColumnType::kNumber:
        return "REAL";
      case ColumnType::kBoolean:
        return "BOOLEAN";
      case ColumnType::kString:
      case ColumnType::kTimestamp:
      case ColumnType::kJson:
        return "TEXT";
    }
    return "TEXT";
  }

  std::map<std::string, std::string> ColumnTypes(const std::string& table) {
    std::map<std::string, std::string> types;
    for (const auto& row : Query("SELECT name, type FROM pragma_table_info('" + table + "')")) {
      types[row[0]] = row[1];
    }
    return types;
  }

  bool HasTable(const std::string& table) {
    return fs::exists(path_) &&
           !Query("SELECT name FROM sqlite_master WHERE name = '" + table + "'").empty();
  }

  std::vector<Row> Rows(const std::string& table) {
    std::vector<Row> rows;
    if (!HasTable(table)) {
      return rows;
    }
    const std::map<std::string, std::string> types = ColumnTypes(table);
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    const std::string sql = "SELECT * FROM \"" + table + "\"";
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
    while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
      Row row;
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        const std::string name = sqlite3_column_name(statement, i);
        switch (sqlite3_column_type(statement, i)) {
          case SQLITE_INTEGER: {
            const int64_t number = sqlite3_column_int64(statement, i);
            // Booleans are 0/1 in SQLite (README.md); the declared type says which.
            row[name] = types.at(name) == "BOOLEAN" ? Value::Bool(number != 0) : Value::Int(number);
            break;
          }
          case SQLITE_FLOAT:
            row[name] = Value::Double(sqlite3_column_double(statement, i));
            break;
          case SQLITE_NULL:
            row[name] = Value::Null();
            break;
          default:
            row[name] =
                S(std::string(reinterpret_cast<const char*>(sqlite3_column_text(statement, i)),
                              static_cast<size_t>(sqlite3_column_bytes(statement, i))));
            break;
        }
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
  }

  std::vector<Row> Runs() {
    std::vector<Row> runs = Rows("_segsync_runs");
    for (Row& run : runs) {
      run.erase("run_id");
    }
    return runs;
  }

 private:
  std::vector<std::vector<std::string>> Query(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sql;
    while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(statement); ++i) {
        const unsigned char* text = sqlite3_column_text(statement, i);
        row.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return rows;
  }

  fs::path path_;
};

class PostgresBackend {
 public:
  static constexpr Capabilities kCapabilities{};
  static constexpr char kName[] = "PostgreSQL";

  void SetUp(const fs::path&) {
    const PgTestServer& server = PgTestServer::Shared();
    ASSERT_EQ(server.failure(), "") << "the private PostgreSQL server did not start";
    // A schema per test, so tests in one process do not see each other's tables.
    static int counter = 0;
    schema_ = "conformance_" + std::to_string(++counter);
    uri_ = server.Uri("postgres", "segsync", "schema=" + schema_);
  }

  std::unique_ptr<Destination> Open() {
    Result<std::unique_ptr<Destination>> opened = OpenDestination(uri_);
    EXPECT_OK(opened);
    return opened.ok() ? opened.MoveValue() : nullptr;
  }

  bool WroteAnything() const {
    return Server().QueryOne("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema_ +
                             "'") != "0";
  }

  // The server notices a killed writer's closed socket and rolls back; wait until it has.
  void AwaitKilledWriterGone() {
    for (int i = 0; i < 100 && Server().QueryOne("SELECT count(*) FROM pg_stat_activity WHERE "
                                                 "application_name = 'segsync'") != "0";
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  static std::string TypeName(ColumnType type) {
    return std::string(PostgresDestination::DeclaredType(type));
  }

  std::map<std::string, std::string> ColumnTypes(const std::string& table) {
    std::map<std::string, std::string> types;
    for (const auto& row : Server().Query(
             "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid "
             "= to_regclass('\"" +
             schema_ + "\".\"" + table + "\"') AND attnum > 0 AND NOT attisdropped")) {
      types[*row[0]] = *row[1];
    }
    return types;
  }

  bool HasTable(const std::string& table) {
    return Server().QueryOne("SELECT to_regclass('\"" + schema_ + "\".\"" + table +
                             "\"') IS NOT NULL") == "t";
  }

  std::vector<Row> Rows(const std::string& table) {
    std::vector<Row> rows;
    if (!HasTable(table)) {
      return rows;
    }
    const std::map<std::string, std::string> types = ColumnTypes(table);
    simdjson::dom::parser parser;
    for (const auto& line : Server().Query("SELECT row_to_json(t)::text FROM \"" + schema_ +
                                           "\".\"" + table + "\" t")) {
      Row row = RowFromJson(parser, *line[0]);
      // timestamptz reads back as "2024-03-01T00:00:00+00:00": the same instant, other spelling.
      for (auto& [name, value] : row) {
        if (types.at(name) == "timestamp with time zone" && value.kind == Value::Kind::kString) {
          value = S(FormatRfc3339Millis(*ParseRfc3339(value.text)));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::vector<Row> Runs() {
    std::vector<Row> runs;
    simdjson::dom::parser parser;
    for (const auto& line :
         Server().Query("SELECT json_build_object('started_at', started_at, 'ended_at', ended_at, "
                        "'status', status, 'streams', streams)::text FROM \"" +
                        schema_ + "\"._segsync_runs ORDER BY run_id")) {
      Row run = RowFromJson(parser, *line[0]);
      for (const char* name : {"started_at", "ended_at"}) {
        run[name] = S(FormatRfc3339Millis(*ParseRfc3339(run[name].text)));
      }
      runs.push_back(std::move(run));
    }
    return runs;
  }

 private:
  static const PgTestServer& Server() { return PgTestServer::Shared(); }

  std::string schema_;
  std::string uri_;
};

class JsonlBackend {
 public:
  static constexpr Capabilities kCapabilities{false, false, false};
  static constexpr char kName[] = "JSONL";

  void SetUp(const fs::path& dir) { dir_ = dir / "out"; }
  std::unique_ptr<Destination> Open() { return std::make_unique<JsonlDestination>(dir_); }
  // Not even the directory is created.
  bool WroteAnything() const { return fs::exists(dir_); }
  // Nothing is published before the commit's rename.
  void AwaitKilledWriterGone() {}
  static std::string TypeName(ColumnType) { return ""; }
  std::map<std::string, std::string> ColumnTypes(const std::string&) { return {}; }
  bool HasTable(const std::string& table) { return fs::exists(dir_ / (table + ".jsonl")); }
  std::vector<Row> Rows(const std::string& table) { return Lines(dir_ / (table + ".jsonl")); }
  std::vector<Row> Runs() { return Lines(dir_ / "_segsync_runs.jsonl"); }

 private:
  static std::vector<Row> Lines(const fs::path& path) {
    std::vector<Row> rows;
    simdjson::dom::parser parser;
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);) {
      rows.push_back(RowFromJson(parser, line));
    }
    return rows;
  }

  fs::path dir_;
};

TableSpec SourcesTable() {
  TableSpec table;
  table.name = "sources";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString}, {"name", ColumnType::kString}};
  table.track_deletions = true;
  return table;
}

TableSpec MixedTable() {
  TableSpec table;
  table.name = "mixed";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString},    {"count", ColumnType::kInteger},
                   {"ratio", ColumnType::kNumber}, {"enabled", ColumnType::kBoolean},
                   {"at", ColumnType::kTimestamp}, {"settings", ColumnType::kJson},
                   {"name", ColumnType::kString},  {"code", ColumnType::kString},
                   {"note", ColumnType::kString}};
  table.track_deletions = true;
  return table;
}

template <typename Backend>
class DestinationConformanceTest : public ::testing::Test {
 protected:
  static constexpr Capabilities kCaps = Backend::kCapabilities;

  void SetUp() override {
    dir_ = TempDir("segsync-conformance-");
    backend_.SetUp(dir_);
    if (!::testing::Test::HasFatalFailure()) {
      destination_ = backend_.Open();
      ASSERT_NE(destination_, nullptr);
    }
  }
  void TearDown() override {
    destination_.reset();
    fs::remove_all(dir_);
  }

  /// Begin `table`, write `records` stamped `extracted_at`, and commit with `commit`.
  int64_t Sync(const TableSpec& table, const std::vector<Record>& records,
               std::string_view extracted_at, const StreamCommit& commit = {}) {
    EXPECT_OK(destination_->BeginStream(table));
    EXPECT_OK(destination_->Write(records, extracted_at));
    Result<int64_t> committed = destination_->CommitStream(commit);
    EXPECT_OK(committed);
    return committed.ValueOr(-1);
  }

  /// The stored rows of `table` ordered by `key`; rows of one key (JSONL) keep their file order.
  std::vector<Row> Rows(const std::string& table, const std::string& key = "id") {
    std::vector<Row> rows = backend_.Rows(table);
    std::stable_sort(rows.begin(), rows.end(), [&key](const Row& a, const Row& b) {
      return Show(a.at(key)) < Show(b.at(key));
    });
    return rows;
  }

  std::optional<std::string> State(Destination& destination, std::string_view stream) {
    Result<std::optional<std::string>> state = destination.ReadState(stream);
    EXPECT_OK(state);
    return state.ok() ? *state : std::nullopt;
  }

  fs::path dir_;
  Backend backend_;
  std::unique_ptr<Destination> destination_;
};

struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using Backends = ::testing::Types<SqliteBackend, PostgresBackend, JsonlBackend>;
TYPED_TEST_SUITE(DestinationConformanceTest, Backends, BackendNames);

TYPED_TEST(DestinationConformanceTest, ValuesRoundTripWithTheirTypes) {
  const std::string settings = R"({"a":[1,2.5,{"b":null}],"s":"x\"y\\z","e":{},"l":[]})";
  const std::vector<std::pair<std::string, Value>> a = {
      {"id", S("a")},
      {"count", Value::Int(9007199254740993)},  // not exact as a double
      {"ratio", Value::Double(0.25)},
      {"enabled", Value::Bool(true)},
      {"at", S(kT1)},
      {"settings", Value::Json(settings)},
      {"name", S("plain")},
      {"code", S("0123")},  // stays text: no leading zero lost
      {"note", Value::Null()}};
  const std::vector<std::pair<std::string, Value>> b = {
      {"id", S("b")}, {"count", Value::Int(-1)}, {"enabled", Value::Bool(false)}, {"name", S("")}};
  this->Sync(MixedTable(), {MakeRecord(a), MakeRecord(b)}, kT2);

  const std::vector<Row> rows = this->Rows("mixed");
  ASSERT_EQ(rows.size(), 2u);
  ExpectFields(rows[0], a);
  ExpectFields(rows[0], {{"_extracted_at", S(kT2)}});
  // An empty string is a value, not NULL; absent fields are NULL.
  ExpectFields(rows[1], b);
  ExpectFields(rows[1], {{"ratio", Value::Null()}, {"settings", Value::Null()}});
}

TYPED_TEST(DestinationConformanceTest, UnicodeControlCharactersAndNestedJsonRoundTrip) {
  // Everything COPY's text format and SQL quoting could get wrong, and text that is not ASCII.
  const std::vector<std::string> names = {
      "tab\there, newline\nhere, carriage return\r\nthere",
      "back\\slash, \\N, \\., \\t, trailing \\",
      "quotes ' \" and `, semicolon; -- comment",
      std::string("h\xC3\xA9llo \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC ") +
          "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D e\xCC\x81 \xE2\x80\xA8",
      std::string("control \x01\x1f\x7f bytes"),
      "\\N",
  };
  const std::string nested =
      R"({"level1":{"level2":{"level3":[{"k":"v\t\n\\\"\u00e9"},[],{}]}},)"
      R"("emoji":"\ud83d\ude00","unicode":"日本","num":[0,-1,2.5e-7,123456789012345678],)"
      R"("bool":[true,false,null],"empty":""})";
  std::vector<Record> records;
  for (size_t i = 0; i < names.size(); ++i) {
    records.push_back(MakeRecord({{"id", S("u" + std::to_string(i))},
                                  {"name", S(names[i])},
                                  {"settings", Value::Json(nested)}}));
  }
  TableSpec table = MixedTable();
  this->Sync(table, records, kT1);

  const std::vector<Row> rows = this->Rows("mixed");
  ASSERT_EQ(rows.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    ExpectFields(rows[i], {{"name", S(names[i])}, {"settings", Value::Json(nested)}});
  }
}

TYPED_TEST(DestinationConformanceTest, ColumnsGetTheDeclaredTypesAndBookkeepingColumns) {
  if constexpr (!TestFixture::kCaps.typed_columns) {
    GTEST_SKIP() << TypeParam::kName << " has no column types";
  } else {
    this->Sync(MixedTable(), {}, kT1);
    std::map<std::string, std::string> expected;
    for (const Column& column : MixedTable().columns) {
      expected[column.name] = TypeParam::TypeName(column.type);
    }
    const std::map<std::string, std::string> types = this->backend_.ColumnTypes("mixed");
    ASSERT_TRUE(types.contains("_extracted_at"));
    ASSERT_TRUE(types.contains("_deleted_at"));
    std::map<std::string, std::string> data_types = types;
    data_types.erase("_extracted_at");
    data_types.erase("_deleted_at");
    EXPECT_EQ(data_types, expected);
    EXPECT_EQ(types.at("_extracted_at"), types.at("_deleted_at"));

    TableSpec no_deletions = SourcesTable();
    no_deletions.track_deletions = false;
    this->Sync(no_deletions, {}, kT1);
    EXPECT_FALSE(this->backend_.ColumnTypes("sources").contains("_deleted_at"));
  }
}

TYPED_TEST(DestinationConformanceTest, UpsertReplacesTheRowInsteadOfDuplicatingIt) {
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("s1")}, {"name", S("first")}})}, kT1);
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("s1")}, {"name", S("second")}})}, kT2);

  const std::vector<Row> rows = this->Rows("sources");
  if constexpr (TestFixture::kCaps.upserts) {
    ASSERT_EQ(rows.size(), 1u);
    ExpectFields(rows[0], {{"id", S("s1")}, {"name", S("second")}, {"_extracted_at", S(kT2)}});
  } else {
    ASSERT_EQ(rows.size(), 2u);  // an append-only log keeps both versions, newest last
    ExpectFields(rows[0], {{"name", S("first")}, {"_extracted_at", S(kT1)}});
    ExpectFields(rows[1], {{"name", S("second")}, {"_extracted_at", S(kT2)}});
  }
}

TYPED_TEST(DestinationConformanceTest, DuplicateKeyWithinOneBatchKeepsTheLastRecord) {
  this->Sync(SourcesTable(),
             {MakeRecord({{"id", S("s1")}, {"name", S("old")}}),
              MakeRecord({{"id", S("s2")}, {"name", S("other")}}),
              MakeRecord({{"id", S("s1")}, {"name", S("new")}})},
             kT1);
  const std::vector<Row> rows = this->Rows("sources");
  if constexpr (TestFixture::kCaps.upserts) {
    ASSERT_EQ(rows.size(), 2u);
    ExpectFields(rows[0], {{"id", S("s1")}, {"name", S("new")}});
    ExpectFields(rows[1], {{"id", S("s2")}, {"name", S("other")}});
  } else {
    ASSERT_EQ(rows.size(), 3u);
    ExpectFields(rows[1], {{"id", S("s1")}, {"name", S("new")}});
  }
}

TYPED_TEST(DestinationConformanceTest, FieldAbsentFromTheLatestReadIsNullInTheLatestRow) {
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("s1")}, {"name", S("named")}})}, kT1);
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("s1")}})}, kT2);
  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), TestFixture::kCaps.upserts ? 1u : 2u);
  ExpectFields(rows.back(), {{"name", Value::Null()}, {"_extracted_at", S(kT2)}});
}

TYPED_TEST(DestinationConformanceTest, CompositeKeyKeepsOneRowPerKeyPair) {
  TableSpec table;
  table.name = "source_connected_warehouses";
  table.primary_key = {"sourceId", "id"};
  table.columns = {{"id", ColumnType::kString}, {"name", ColumnType::kString}};
  table.track_deletions = true;
  const auto warehouse = [](const char* source, const char* name) {
    return MakeRecord({{"id", S("w1")}, {"name", S(name)}, {"sourceId", S(source)}});
  };
  this->Sync(table, {warehouse("s1", "one"), warehouse("s2", "one")}, kT1);
  this->Sync(table, {warehouse("s2", "renamed")}, kT2);

  const std::vector<Row> rows = this->Rows(table.name, "sourceId");
  if constexpr (TestFixture::kCaps.upserts) {
    ASSERT_EQ(rows.size(), 2u);
    ExpectFields(rows[0], {{"sourceId", S("s1")}, {"id", S("w1")}, {"name", S("one")}});
    ExpectFields(rows[1], {{"sourceId", S("s2")}, {"id", S("w1")}, {"name", S("renamed")}});
  } else {
    ASSERT_EQ(rows.size(), 3u);
    ExpectFields(rows[2], {{"sourceId", S("s2")}, {"name", S("renamed")}});
  }
}

TYPED_TEST(DestinationConformanceTest, FieldsInVaryingOrderLandInTheirOwnColumns) {
  TableSpec table = SourcesTable();
  table.columns.push_back({"slug", ColumnType::kString});
  this->Sync(table,
             {MakeRecord({{"id", S("a")}, {"name", S("A")}, {"slug", S("a-slug")}}),
              MakeRecord({{"slug", S("b-slug")}, {"id", S("b")}, {"name", S("B")}}),
              MakeRecord({{"name", S("C")}, {"id", S("c")}})},
             kT1);
  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), 3u);
  ExpectFields(rows[0], {{"id", S("a")}, {"name", S("A")}, {"slug", S("a-slug")}});
  ExpectFields(rows[1], {{"id", S("b")}, {"name", S("B")}, {"slug", S("b-slug")}});
  ExpectFields(rows[2], {{"id", S("c")}, {"name", S("C")}, {"slug", Value::Null()}});
}

TYPED_TEST(DestinationConformanceTest, DeletionsAreMarkedOnlyWhenACompleteReadSaysSo) {
  const Record a = MakeRecord({{"id", S("a")}});
  const Record b = MakeRecord({{"id", S("b")}});
  this->Sync(SourcesTable(), {a, b}, kT1);
  // An incomplete read (no mark_deleted_before) marks nothing.
  EXPECT_EQ(this->Sync(SourcesTable(), {a}, kT2), 0);

  StreamCommit complete;
  complete.mark_deleted_before = kT3;
  complete.now = kT3;
  const int64_t marked = this->Sync(SourcesTable(), {a}, kT3, complete);
  const std::vector<Row> rows = this->Rows("sources");
  if constexpr (TestFixture::kCaps.marks_deletions) {
    EXPECT_EQ(marked, 1);
    ASSERT_EQ(rows.size(), 2u);
    ExpectFields(rows[0], {{"id", S("a")}, {"_deleted_at", Value::Null()}});
    ExpectFields(rows[1], {{"id", S("b")}, {"_deleted_at", S(kT3)}});
    // Rows already marked are not counted again.
    EXPECT_EQ(this->Sync(SourcesTable(), {a}, kT3, complete), 0);
  } else {
    EXPECT_EQ(marked, 0);
    for (const Row& row : rows) {
      ExpectFields(row, {{"_deleted_at", Value::Null()}});
    }
  }
}

TYPED_TEST(DestinationConformanceTest, RowThatComesBackHasItsDeletionCleared) {
  if constexpr (!TestFixture::kCaps.marks_deletions) {
    GTEST_SKIP() << TypeParam::kName << " does not mark deletions";
  } else {
    const Record a = MakeRecord({{"id", S("a")}});
    const Record b = MakeRecord({{"id", S("b")}});
    StreamCommit complete;
    complete.mark_deleted_before = kT2;
    complete.now = kT2;
    this->Sync(SourcesTable(), {a, b}, kT1);
    this->Sync(SourcesTable(), {a}, kT2, complete);
    ExpectFields(this->Rows("sources")[1], {{"id", S("b")}, {"_deleted_at", S(kT2)}});

    complete.mark_deleted_before = kT3;
    complete.now = kT3;
    EXPECT_EQ(this->Sync(SourcesTable(), {a, b}, kT3, complete), 0);
    for (const Row& row : this->Rows("sources")) {
      ExpectFields(row, {{"_deleted_at", Value::Null()}, {"_extracted_at", S(kT3)}});
    }
  }
}

TYPED_TEST(DestinationConformanceTest, UnknownFieldAddsAColumnTypedFromItsValue) {
  const std::vector<std::pair<std::string, Value>> fields = {
      {"id", S("b")},
      {"newCount", Value::Int(42)},
      {"newFlag", Value::Bool(true)},
      {"newRatio", Value::Double(1.5)},
      {"newObject", Value::Json(R"({"k":[1]})")},
      {"newText", S("t")},
      {"newMaybe", Value::Null()}};
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}}), MakeRecord(fields)}, kT1);

  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), 2u);
  ExpectFields(rows[0], {{"newCount", Value::Null()}, {"newObject", Value::Null()}});
  ExpectFields(rows[1], fields);
  if constexpr (TestFixture::kCaps.typed_columns) {
    const auto types = this->backend_.ColumnTypes("sources");
    const std::map<std::string, std::string> expected = {
        {"newCount", TypeParam::TypeName(ColumnType::kInteger)},
        {"newFlag", TypeParam::TypeName(ColumnType::kBoolean)},
        {"newRatio", TypeParam::TypeName(ColumnType::kNumber)},
        {"newObject", TypeParam::TypeName(ColumnType::kJson)},
        {"newText", TypeParam::TypeName(ColumnType::kString)},
        {"newMaybe", TypeParam::TypeName(ColumnType::kString)}};
    for (const auto& [name, type] : expected) {
      EXPECT_EQ(types.at(name), type) << name;
    }
  }
}

TYPED_TEST(DestinationConformanceTest, ColumnAddedByAnEarlierRunIsKeptAndNulledWhenAbsent) {
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}, {"extra", S("x")}})}, kT1);
  std::unique_ptr<Destination> reopened = this->backend_.Open();
  this->destination_ = std::move(reopened);
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}})}, kT2);
  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_FALSE(rows.empty());
  ExpectFields(rows.back(), {{"id", S("a")}, {"extra", Value::Null()}, {"_extracted_at", S(kT2)}});
  if constexpr (TestFixture::kCaps.typed_columns) {
    EXPECT_TRUE(this->backend_.ColumnTypes("sources").contains("extra"));
  }
}

TYPED_TEST(DestinationConformanceTest, NewlyDeclaredColumnIsAddedToAnExistingTable) {
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}})}, kT1);
  TableSpec wider = SourcesTable();
  wider.columns.push_back({"enabled", ColumnType::kBoolean});
  this->Sync(wider, {MakeRecord({{"id", S("b")}, {"enabled", Value::Bool(true)}})}, kT2);
  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), 2u);
  ExpectFields(rows[0], {{"id", S("a")}, {"enabled", Value::Null()}});
  ExpectFields(rows[1], {{"id", S("b")}, {"enabled", Value::Bool(true)}});
  if constexpr (TestFixture::kCaps.typed_columns) {
    EXPECT_EQ(this->backend_.ColumnTypes("sources").at("enabled"),
              TypeParam::TypeName(ColumnType::kBoolean));
  }
}

TYPED_TEST(DestinationConformanceTest, AbortLeavesRowsColumnsAndStateAsBefore) {
  StreamCommit commit;
  commit.state = R"({"cursor":"one"})";
  commit.now = kT1;
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}, {"name", S("kept")}})}, kT1, commit);

  Destination& destination = *this->destination_;
  ASSERT_OK(destination.BeginStream(SourcesTable()));
  ASSERT_OK(destination.Write({MakeRecord({{"id", S("a")}, {"name", S("lost")}}),
                               MakeRecord({{"id", S("b")}, {"surprise", Value::Int(1)}})},
                              kT2));
  destination.AbortStream();

  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), 1u);
  ExpectFields(rows[0], {{"id", S("a")}, {"name", S("kept")}, {"_extracted_at", S(kT1)}});
  EXPECT_FALSE(rows[0].contains("surprise"));
  if constexpr (TestFixture::kCaps.typed_columns) {
    EXPECT_FALSE(this->backend_.ColumnTypes("sources").contains("surprise"));
  }
  EXPECT_EQ(this->State(destination, "sources"), R"({"cursor":"one"})");
  // The destination is usable again after an abort.
  commit.state = R"({"cursor":"two"})";
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("c")}})}, kT3, commit);
  EXPECT_EQ(this->State(destination, "sources"), R"({"cursor":"two"})");
}

TYPED_TEST(DestinationConformanceTest, StateIsCommittedWithTheRowsAndReadableFromANewInstance) {
  StreamCommit commit;
  commit.state = R"({"bookmark":"2024-03-01"})";
  commit.now = kT1;
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}})}, kT1, commit);
  commit.state = R"({"bookmark":"2024-03-02"})";
  this->Sync(SourcesTable(), {}, kT2, commit);
  // A commit without a state keeps the one before.
  this->Sync(SourcesTable(), {}, kT3);

  EXPECT_EQ(this->State(*this->destination_, "sources"), R"({"bookmark":"2024-03-02"})");
  std::unique_ptr<Destination> fresh = this->backend_.Open();
  EXPECT_EQ(this->State(*fresh, "sources"), R"({"bookmark":"2024-03-02"})");
  EXPECT_EQ(this->State(*fresh, "users"), std::nullopt);
}

TYPED_TEST(DestinationConformanceTest, ReadingStateOfAnUntouchedDestinationCreatesNothing) {
  EXPECT_EQ(this->State(*this->destination_, "sources"), std::nullopt);
  EXPECT_FALSE(this->backend_.WroteAnything());
}

TYPED_TEST(DestinationConformanceTest, AbortOfAFirstSyncLeavesNoTable) {
  ASSERT_OK(this->destination_->BeginStream(SourcesTable()));
  ASSERT_OK(this->destination_->Write({MakeRecord({{"id", S("a")}})}, kT1));
  this->destination_->AbortStream();
  EXPECT_FALSE(this->backend_.HasTable("sources"));
}

TYPED_TEST(DestinationConformanceTest, DestroyingTheDestinationMidStreamRollsBack) {
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}})}, kT1);
  ASSERT_OK(this->destination_->BeginStream(SourcesTable()));
  ASSERT_OK(this->destination_->Write({MakeRecord({{"id", S("b")}})}, kT2));
  this->destination_.reset();
  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), 1u);
  ExpectFields(rows[0], {{"id", S("a")}});
}

TYPED_TEST(DestinationConformanceTest, KilledProcessLeavesRowsAndStateAsOfTheLastCommit) {
  StreamCommit commit;
  commit.state = R"({"v":1})";
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}, {"name", S("committed")}})}, kT1, commit);
  this->destination_.reset();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No assertions here: the child only writes, then dies without committing.
    std::unique_ptr<Destination> destination = this->backend_.Open();
    if (destination == nullptr || !destination->BeginStream(SourcesTable()).ok()) {
      _exit(1);
    }
    std::vector<Record> records;
    records.reserve(20001);
    for (int i = 0; i < 20000; ++i) {
      records.push_back(MakeRecord({{"id", S("r" + std::to_string(i))}}));
    }
    records.push_back(MakeRecord({{"id", S("a")}, {"name", S("torn")}}));
    if (!destination->Write(records, kT2).ok()) {
      _exit(1);
    }
    kill(getpid(), SIGKILL);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the child failed before it was killed";
  this->backend_.AwaitKilledWriterGone();

  const std::vector<Row> rows = this->Rows("sources");
  ASSERT_EQ(rows.size(), 1u);
  ExpectFields(rows[0], {{"id", S("a")}, {"name", S("committed")}});
  this->destination_ = this->backend_.Open();
  ASSERT_NE(this->destination_, nullptr);
  EXPECT_EQ(this->State(*this->destination_, "sources"), R"({"v":1})");
  // The next run writes where the killed one left off.
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("b")}})}, kT2);
  EXPECT_EQ(this->Rows("sources").size(), 2u);
}

TYPED_TEST(DestinationConformanceTest, RecordRunAppendsOneEntryPerRun) {
  RunRecord run;
  run.started_at = kT1;
  run.ended_at = kT2;
  run.status = "ok";
  run.streams_json = R"([{"stream":"sources","rows_written":2,"outcome":"ok"}])";
  ASSERT_OK(this->destination_->RecordRun(run));
  run.status = "partial";
  ASSERT_OK(this->destination_->RecordRun(run));

  const std::vector<Row> runs = this->backend_.Runs();
  ASSERT_EQ(runs.size(), 2u);
  for (size_t i = 0; i < runs.size(); ++i) {
    ExpectFields(runs[i], {{"started_at", S(kT1)},
                           {"ended_at", S(kT2)},
                           {"status", S(i == 0 ? "ok" : "partial")},
                           {"streams", Value::Json(run.streams_json)}});
  }
}

TYPED_TEST(DestinationConformanceTest, RunIdsAndHistoryCountsAreReportedWhereKept) {
  RunRecord run;
  run.started_at = kT1;
  run.ended_at = kT2;
  run.status = "ok";
  ASSERT_OK(this->destination_->RecordRun(run));
  const std::optional<int64_t> first = this->destination_->LastRunId();
  ASSERT_OK(this->destination_->RecordRun(run));
  const std::optional<int64_t> second = this->destination_->LastRunId();

  // A complete read of two rows, then of one changed and one gone.
  StreamCommit complete;
  complete.mark_deleted_before = kT2;
  complete.now = kT2;
  this->Sync(SourcesTable(),
             {MakeRecord({{"id", S("a")}, {"name", S("A")}}),
              MakeRecord({{"id", S("b")}, {"name", S("B")}})},
             kT2, complete);
  const std::optional<HistoryCounts> added = this->destination_->LastHistoryCounts();
  complete.mark_deleted_before = kT3;
  complete.now = kT3;
  const int64_t deleted =
      this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}, {"name", S("A2")}})}, kT3, complete);
  const std::optional<HistoryCounts> changed = this->destination_->LastHistoryCounts();
  // An incomplete read writes no history.
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("a")}, {"name", S("A3")}})}, kT3);
  const std::optional<HistoryCounts> none = this->destination_->LastHistoryCounts();

  if constexpr (TestFixture::kCaps.marks_deletions) {
    ASSERT_TRUE(first.has_value() && second.has_value());
    EXPECT_EQ(*second, *first + 1);
    ASSERT_TRUE(added.has_value() && changed.has_value());
    EXPECT_EQ(added->closed, 0);
    EXPECT_EQ(added->opened, 2);
    EXPECT_EQ(deleted, 1);
    EXPECT_EQ(changed->closed, 2);  // a changed, b gone
    EXPECT_EQ(changed->opened, 1);  // a's new version
    EXPECT_FALSE(none.has_value());
  } else {
    EXPECT_FALSE(first.has_value() || second.has_value());
    EXPECT_FALSE(added.has_value() || changed.has_value());
  }
}

TYPED_TEST(DestinationConformanceTest, RecordWithoutItsPrimaryKeyIsAnErrorNamingStreamAndKey) {
  ASSERT_OK(this->destination_->BeginStream(SourcesTable()));
  const Status missing = this->destination_->Write({MakeRecord({{"name", S("no id")}})}, kT1);
  EXPECT_EQ(missing.code(), StatusCode::kInvalid) << missing.ToString();
  EXPECT_NE(missing.message().find("sources"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("primary-key field id"), std::string::npos) << missing.message();
  this->destination_->AbortStream();

  ASSERT_OK(this->destination_->BeginStream(SourcesTable()));
  const Status null_key =
      this->destination_->Write({MakeRecord({{"id", Value::Null()}, {"name", S("x")}})}, kT1);
  EXPECT_EQ(null_key.code(), StatusCode::kInvalid) << null_key.ToString();
  this->destination_->AbortStream();
  EXPECT_TRUE(this->Rows("sources").empty());
}

TYPED_TEST(DestinationConformanceTest, FieldNamedLikeABookkeepingColumnIsAnError) {
  ASSERT_OK(this->destination_->BeginStream(SourcesTable()));
  const Status status =
      this->destination_->Write({MakeRecord({{"id", S("a")}, {"_extracted_at", S(kT1)}})}, kT1);
  EXPECT_EQ(status.code(), StatusCode::kInvalid) << status.ToString();
  this->destination_->AbortStream();
}

TYPED_TEST(DestinationConformanceTest, SeveralStreamsShareOneDestination) {
  TableSpec users;
  users.name = "users";
  users.primary_key = {"id"};
  users.columns = {{"id", ColumnType::kString}, {"email", ColumnType::kString}};
  StreamCommit commit;
  commit.state = R"({"v":1})";
  this->Sync(SourcesTable(), {MakeRecord({{"id", S("s")}, {"name", S("n")}})}, kT1, commit);
  commit.state = R"({"v":2})";
  this->Sync(users, {MakeRecord({{"email", S("e@x")}, {"id", S("u")}})}, kT1, commit);
  ExpectFields(this->Rows("sources").at(0), {{"name", S("n")}});
  ExpectFields(this->Rows("users").at(0), {{"email", S("e@x")}});
  EXPECT_EQ(this->State(*this->destination_, "sources"), R"({"v":1})");
  EXPECT_EQ(this->State(*this->destination_, "users"), R"({"v":2})");
}

TYPED_TEST(DestinationConformanceTest, ManyRecordsAcrossBatchesAllLand) {
  const auto batch = [](int from, int to) {
    std::vector<Record> records;
    for (int i = from; i < to; ++i) {
      records.push_back(MakeRecord(
          {{"id", S("r" + std::to_string(i))}, {"name", S("name\t" + std::to_string(i))}}));
    }
    return records;
  };
  Destination& destination = *this->destination_;
  ASSERT_OK(destination.BeginStream(SourcesTable()));
  ASSERT_OK(destination.Write(batch(0, 3000), kT1));
  ASSERT_OK(destination.Write(batch(2000, 5000), kT2));  // 1000 keys again
  ASSERT_OK(destination.CommitStream({}));

  const std::vector<Row> rows = this->backend_.Rows("sources");
  EXPECT_EQ(rows.size(), TestFixture::kCaps.upserts ? 5000u : 6000u);
  std::map<std::string, std::string> latest;
  for (const Row& row : rows) {
    latest[row.at("id").text] = row.at("_extracted_at").text;
  }
  EXPECT_EQ(latest.size(), 5000u);
  EXPECT_EQ(latest.at("r1999"), kT1);
  EXPECT_EQ(latest.at("r2000"), kT2);
}

}  // namespace
}  // namespace segsync
