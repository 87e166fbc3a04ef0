// SPDX-License-Identifier: Apache-2.0
// What only the SQLite destination does.
//
// Its declared types and storage classes, its bookkeeping rows, WAL, and the failures a file
// brings. What every destination does is in destination_conformance_test.cc.
#include "dest/sqlite_destination.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fakes.h"
#include "sqlite_query.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;

namespace fs = std::filesystem;

using Row = segsync::testing::SqliteRow;

constexpr char kT1[] = "2024-03-01T00:00:00.000Z";
constexpr char kT2[] = "2024-03-02T00:00:00.000Z";
constexpr char kT3[] = "2024-03-03T00:00:00.000Z";

std::vector<Row> Query(const fs::path& db_path, const std::string& sql) {
  return segsync::testing::QuerySqlite(db_path, sql);
}

std::optional<std::string> QueryOne(const fs::path& db_path, const std::string& sql) {
  const std::vector<Row> rows = Query(db_path, sql);
  EXPECT_EQ(rows.size(), 1u) << sql;
  return rows.empty() || rows[0].empty() ? std::nullopt : rows[0][0];
}

TableSpec SourcesTable() {
  TableSpec table;
  table.name = "sources";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString}, {"name", ColumnType::kString}};
  table.track_deletions = true;
  return table;
}

class SqliteDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "segsync-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    db_path_ = dir_ / "out.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// Begin `table`, write `records` stamped `extracted_at`, and commit with `commit`.
  int64_t Sync(SqliteDestination& destination, const TableSpec& table,
               const std::vector<Record>& records, std::string_view extracted_at,
               const StreamCommit& commit = {}) {
    EXPECT_OK(destination.BeginStream(table));
    EXPECT_OK(destination.Write(records, extracted_at));
    Result<int64_t> committed = destination.CommitStream(commit);
    EXPECT_OK(committed);
    return committed.ValueOr(-1);
  }

  fs::path dir_;
  fs::path db_path_;
};

TEST_F(SqliteDestinationTest, TablesHaveSqliteTypesRequiredKeysAndThePrimaryKey) {
  TableSpec table;
  table.name = "mixed";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString},    {"count", ColumnType::kInteger},
                   {"ratio", ColumnType::kNumber}, {"enabled", ColumnType::kBoolean},
                   {"at", ColumnType::kTimestamp}, {"settings", ColumnType::kJson}};
  table.track_deletions = true;
  SqliteDestination destination(db_path_.string());
  Sync(destination, table, {}, kT1);

  const std::vector<Row> columns =
      Query(db_path_, "SELECT name, type, \"notnull\", pk FROM pragma_table_info('mixed')");
  const std::vector<Row> expected = {{"id", "TEXT", "1", "1"},
                                     {"count", "INTEGER", "0", "0"},
                                     {"ratio", "REAL", "0", "0"},
                                     {"enabled", "BOOLEAN", "0", "0"},
                                     {"at", "TEXT", "0", "0"},
                                     {"settings", "TEXT", "0", "0"},
                                     {"_extracted_at", "TEXT", "1", "0"},
                                     {"_deleted_at", "TEXT", "0", "0"}};
  EXPECT_EQ(columns, expected);
}

TEST_F(SqliteDestinationTest, ValuesKeepTheirStorageClasses) {
  TableSpec table;
  table.name = "mixed";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString},    {"count", ColumnType::kInteger},
                   {"ratio", ColumnType::kNumber}, {"enabled", ColumnType::kBoolean},
                   {"at", ColumnType::kTimestamp}, {"settings", ColumnType::kJson},
                   {"name", ColumnType::kString},  {"code", ColumnType::kString},
                   {"note", ColumnType::kString}};
  const std::string settings = R"({"a":[1,2,{"b":null}],"s":"x\"y\\z","e":{}})";
  const std::string name =
      "h\xC3\xA9llo \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC "
      "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\nline \"two\"\t\\";
  SqliteDestination destination(db_path_.string());
  Sync(destination, table,
       {MakeRecord({{"id", Value::String("a")},
                    {"count", Value::Int(9007199254740993)},  // not exact as a double
                    {"ratio", Value::Double(0.25)},
                    {"enabled", Value::Bool(true)},
                    {"at", Value::String(kT1)},
                    {"settings", Value::Json(settings)},
                    {"name", Value::String(name)},
                    {"code", Value::String("0123")},  // text affinity keeps the leading zero
                    {"note", Value::Null()}}),
        MakeRecord({{"id", Value::String("b")},
                    {"enabled", Value::Bool(false)},
                    {"name", Value::String("")}})},
       kT2);

  const std::vector<Row> rows =
      Query(db_path_,
            "SELECT typeof(count), count, typeof(ratio), ratio, typeof(enabled), enabled, at, "
            "settings, name, code, note, _extracted_at FROM mixed WHERE id = 'a'");
  ASSERT_EQ(rows.size(), 1u);
  const Row expected_a = {"integer", "9007199254740993", "real", "0.25", "integer",    "1",
                          kT1,       settings,           name,   "0123", std::nullopt, kT2};
  EXPECT_EQ(rows[0], expected_a);

  const std::vector<Row> row_b =
      Query(db_path_, "SELECT enabled, typeof(name), name, count FROM mixed WHERE id = 'b'");
  ASSERT_EQ(row_b.size(), 1u);
  const Row expected_b = {"0", "text", "", std::nullopt};
  EXPECT_EQ(row_b[0], expected_b);
}

TEST_F(SqliteDestinationTest, ColumnsForUnknownFieldsAreAppendedInOrderWithIntegerStorage) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("a")}}),
        MakeRecord({{"id", Value::String("b")},
                    {"newCount", Value::Int(42)},
                    {"newFlag", Value::Bool(true)},
                    {"newRatio", Value::Double(1.5)},
                    {"newObject", Value::Json(R"({"k":[1]})")},
                    {"newMaybe", Value::Null()}})},
       kT1);

  const std::vector<Row> types = Query(
      db_path_,
      "SELECT name, type FROM pragma_table_info('sources') WHERE name LIKE 'new%' ORDER BY cid");
  const std::vector<Row> expected_types = {{"newCount", "INTEGER"},
                                           {"newFlag", "BOOLEAN"},
                                           {"newRatio", "REAL"},
                                           {"newObject", "TEXT"},
                                           {"newMaybe", "TEXT"}};
  EXPECT_EQ(types, expected_types);
  const std::vector<Row> rows = Query(
      db_path_,
      "SELECT id, typeof(\"newCount\"), \"newCount\", \"newFlag\", \"newObject\" FROM sources "
      "ORDER BY id");
  const std::vector<Row> expected_rows = {{"a", "null", std::nullopt, std::nullopt, std::nullopt},
                                          {"b", "integer", "42", "1", R"({"k":[1]})"}};
  EXPECT_EQ(rows, expected_rows);
}

TEST_F(SqliteDestinationTest, StateIsOneRowPerStreamUpdatedInPlace) {
  SqliteDestination destination(db_path_.string());
  StreamCommit commit;
  commit.state = R"({"bookmark":"2024-03-01"})";
  commit.now = kT1;
  Sync(destination, SourcesTable(), {}, kT1, commit);
  commit.state = R"({"bookmark":"2024-03-02"})";
  commit.now = kT2;
  Sync(destination, SourcesTable(), {}, kT2, commit);

  const std::vector<Row> expected = {{"sources", R"({"bookmark":"2024-03-02"})", kT2}};
  EXPECT_EQ(Query(db_path_, "SELECT stream, state, updated_at FROM _segsync_state"), expected);
}

TEST_F(SqliteDestinationTest, RecordRunWritesOneRow) {
  SqliteDestination destination(db_path_.string());
  RunRecord run;
  run.started_at = kT1;
  run.ended_at = kT2;
  run.status = "ok";
  run.streams_json = R"({"sources":{"rows":2,"outcome":"ok"}})";
  ASSERT_OK(destination.RecordRun(run));
  ASSERT_OK(destination.RecordRun(run));
  const std::vector<Row> expected = {{"1", kT1, kT2, "ok", run.streams_json},
                                     {"2", kT1, kT2, "ok", run.streams_json}};
  EXPECT_EQ(Query(db_path_,
                  "SELECT run_id, started_at, ended_at, status, streams FROM _segsync_runs "
                  "ORDER BY run_id"),
            expected);
}

TEST_F(SqliteDestinationTest, UnwritableLocationIsAnIoErrorThatSaysWhatToDo) {
  SqliteDestination destination((dir_ / "no-such-dir" / "out.db").string());
  const Status status = destination.BeginStream(SourcesTable());
  EXPECT_EQ(status.code(), StatusCode::kIo);
  EXPECT_NE(status.message().find("check that the directory exists and is writable"),
            std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("no-such-dir"), std::string::npos) << status.message();
}

TEST_F(SqliteDestinationTest, DatabaseUsesWriteAheadLogging) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(), {}, kT1);
  EXPECT_EQ(QueryOne(db_path_, "PRAGMA journal_mode"), "wal");
}

TEST(OpenDestinationTest, SqliteUriOpensWithoutCreatingTheFile) {
  std::string pattern = (fs::temp_directory_path() / "segsync-open-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Destination> destination,
                       OpenDestination("sqlite:" + (dir / "x.db").string()));
  EXPECT_NE(dynamic_cast<SqliteDestination*>(destination.get()), nullptr);
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(OpenDestinationTest, UnknownFormIsAConfigErrorListingTheAcceptedForms) {
  for (const char* uri : {"mysql://db", "segment.db", "sqlite:", "jsonl:"}) {
    Result<std::unique_ptr<Destination>> destination = OpenDestination(uri);
    ASSERT_FALSE(destination.ok()) << uri;
    EXPECT_EQ(destination.status().code(), StatusCode::kConfig);
    EXPECT_NE(destination.status().message().find(uri), std::string::npos);
    EXPECT_NE(destination.status().message().find("sqlite:PATH"), std::string::npos);
  }
}

}  // namespace
}  // namespace segsync
