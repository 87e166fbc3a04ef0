// SPDX-License-Identifier: Apache-2.0
#include "dest/sqlite_destination.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace segsync {
namespace {

namespace fs = std::filesystem;

using Row = std::vector<std::optional<std::string>>;

constexpr char kT1[] = "2024-03-01T00:00:00.000Z";
constexpr char kT2[] = "2024-03-02T00:00:00.000Z";
constexpr char kT3[] = "2024-03-03T00:00:00.000Z";

/// Every column of every row of `sql` as text (nullopt for NULL), read on its own connection.
std::vector<Row> Query(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  std::vector<Row> rows;
  while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
    Row row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const unsigned char* text = sqlite3_column_text(statement, i);
      row.push_back(text == nullptr
                        ? std::nullopt
                        : std::optional<std::string>(reinterpret_cast<const char*>(text)));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

std::optional<std::string> QueryOne(const fs::path& db_path, const std::string& sql) {
  const std::vector<Row> rows = Query(db_path, sql);
  EXPECT_EQ(rows.size(), 1u) << sql;
  return rows.empty() || rows[0].empty() ? std::nullopt : rows[0][0];
}

Record MakeRecord(std::vector<std::pair<std::string, Value>> fields) {
  Record record;
  record.fields = std::move(fields);
  return record;
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
    const Status begun = destination.BeginStream(table);
    EXPECT_TRUE(begun.ok()) << begun.ToString();
    const Status written = destination.Write(records, extracted_at);
    EXPECT_TRUE(written.ok()) << written.ToString();
    Result<int64_t> committed = destination.CommitStream(commit);
    EXPECT_TRUE(committed.ok()) << committed.status().ToString();
    return committed.ValueOr(-1);
  }

  fs::path dir_;
  fs::path db_path_;
};

TEST_F(SqliteDestinationTest, ColumnsGetTheDeclaredTypesAndBookkeepingColumns) {
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

TEST_F(SqliteDestinationTest, FullTableWithoutDeletionTrackingHasNoDeletedAtColumn) {
  TableSpec table = SourcesTable();
  table.track_deletions = false;
  SqliteDestination destination(db_path_.string());
  Sync(destination, table, {}, kT1);
  EXPECT_EQ(
      QueryOne(db_path_,
               "SELECT count(*) FROM pragma_table_info('sources') WHERE name = '_deleted_at'"),
      "0");
}

TEST_F(SqliteDestinationTest, ValuesRoundTripWithTheirTypes) {
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

TEST_F(SqliteDestinationTest, UpsertReplacesTheRowInsteadOfDuplicatingIt) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("s1")}, {"name", Value::String("first")}})}, kT1);
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("s1")}, {"name", Value::String("second")}})}, kT2);

  const std::vector<Row> rows = Query(db_path_, "SELECT id, name, _extracted_at FROM sources");
  const std::vector<Row> expected = {{"s1", "second", kT2}};
  EXPECT_EQ(rows, expected);
}

TEST_F(SqliteDestinationTest, DuplicateKeyWithinOneBatchKeepsTheLastRecord) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("s1")}, {"name", Value::String("old")}}),
        MakeRecord({{"id", Value::String("s1")}, {"name", Value::String("new")}})},
       kT1);
  const std::vector<Row> expected = {{"s1", "new"}};
  EXPECT_EQ(Query(db_path_, "SELECT id, name FROM sources"), expected);
}

TEST_F(SqliteDestinationTest, FieldAbsentFromTheLatestReadIsStoredAsNull) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("s1")}, {"name", Value::String("named")}})}, kT1);
  Sync(destination, SourcesTable(), {MakeRecord({{"id", Value::String("s1")}})}, kT2);
  EXPECT_EQ(QueryOne(db_path_, "SELECT name FROM sources"), std::nullopt);
}

TEST_F(SqliteDestinationTest, FieldsInVaryingOrderLandInTheirOwnColumns) {
  TableSpec table = SourcesTable();
  table.columns.push_back({"slug", ColumnType::kString});
  SqliteDestination destination(db_path_.string());
  Sync(destination, table,
       {MakeRecord({{"id", Value::String("a")},
                    {"name", Value::String("A")},
                    {"slug", Value::String("a-slug")}}),
        MakeRecord({{"slug", Value::String("b-slug")},
                    {"id", Value::String("b")},
                    {"name", Value::String("B")}}),
        MakeRecord({{"name", Value::String("C")}, {"id", Value::String("c")}})},
       kT1);
  const std::vector<Row> expected = {
      {"a", "A", "a-slug"}, {"b", "B", "b-slug"}, {"c", "C", std::nullopt}};
  EXPECT_EQ(Query(db_path_, "SELECT id, name, slug FROM sources ORDER BY id"), expected);
}

TEST_F(SqliteDestinationTest, CompositeKeyKeepsOneRowPerKeyPair) {
  TableSpec table;
  table.name = "source_connected_warehouses";
  table.primary_key = {"sourceId", "id"};
  table.columns = {{"id", ColumnType::kString}, {"name", ColumnType::kString}};
  table.track_deletions = true;
  SqliteDestination destination(db_path_.string());
  Sync(destination, table,
       {MakeRecord({{"id", Value::String("w1")},
                    {"name", Value::String("one")},
                    {"sourceId", Value::String("s1")}}),
        MakeRecord({{"id", Value::String("w1")},
                    {"name", Value::String("one")},
                    {"sourceId", Value::String("s2")}})},
       kT1);
  Sync(destination, table,
       {MakeRecord({{"id", Value::String("w1")},
                    {"name", Value::String("renamed")},
                    {"sourceId", Value::String("s2")}})},
       kT2);

  const std::vector<Row> expected = {{"s1", "w1", "one"}, {"s2", "w1", "renamed"}};
  EXPECT_EQ(
      Query(db_path_, "SELECT \"sourceId\", id, name FROM source_connected_warehouses ORDER BY 1"),
      expected);
}

TEST_F(SqliteDestinationTest, DeletionsAreMarkedOnlyWhenACompleteReadSaysSo) {
  SqliteDestination destination(db_path_.string());
  const Record a = MakeRecord({{"id", Value::String("a")}});
  const Record b = MakeRecord({{"id", Value::String("b")}});
  Sync(destination, SourcesTable(), {a, b}, kT1);

  // An incomplete read (no mark_deleted_before) marks nothing.
  EXPECT_EQ(Sync(destination, SourcesTable(), {a}, kT2), 0);
  EXPECT_EQ(QueryOne(db_path_, "SELECT count(*) FROM sources WHERE _deleted_at IS NOT NULL"), "0");

  StreamCommit complete;
  complete.mark_deleted_before = kT3;
  complete.now = kT3;
  EXPECT_EQ(Sync(destination, SourcesTable(), {a}, kT3, complete), 1);
  const std::vector<Row> expected = {{"a", std::nullopt}, {"b", kT3}};
  EXPECT_EQ(Query(db_path_, "SELECT id, _deleted_at FROM sources ORDER BY id"), expected);

  // Already-deleted rows are not counted again.
  EXPECT_EQ(Sync(destination, SourcesTable(), {a}, kT3, complete), 0);
}

TEST_F(SqliteDestinationTest, RowThatComesBackHasItsDeletionCleared) {
  SqliteDestination destination(db_path_.string());
  const Record a = MakeRecord({{"id", Value::String("a")}});
  const Record b = MakeRecord({{"id", Value::String("b")}});
  StreamCommit complete;
  complete.mark_deleted_before = kT2;
  complete.now = kT2;
  Sync(destination, SourcesTable(), {a, b}, kT1);
  Sync(destination, SourcesTable(), {a}, kT2, complete);
  ASSERT_EQ(QueryOne(db_path_, "SELECT _deleted_at FROM sources WHERE id = 'b'"), kT2);

  complete.mark_deleted_before = kT3;
  complete.now = kT3;
  Sync(destination, SourcesTable(), {a, b}, kT3, complete);
  EXPECT_EQ(QueryOne(db_path_, "SELECT count(*) FROM sources WHERE _deleted_at IS NOT NULL"), "0");
}

TEST_F(SqliteDestinationTest, UnknownFieldAddsAColumnTypedFromItsValue) {
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

TEST_F(SqliteDestinationTest, ColumnAddedByAnEarlierRunIsKeptAndNulledWhenAbsent) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("a")}, {"extra", Value::String("x")}})}, kT1);
  SqliteDestination reopened(db_path_.string());
  Sync(reopened, SourcesTable(), {MakeRecord({{"id", Value::String("a")}})}, kT2);
  const std::vector<Row> expected = {{"a", std::nullopt, kT2}};
  EXPECT_EQ(Query(db_path_, "SELECT id, extra, _extracted_at FROM sources"), expected);
}

TEST_F(SqliteDestinationTest, NewlyDeclaredColumnIsAddedToAnExistingTable) {
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(), {MakeRecord({{"id", Value::String("a")}})}, kT1);
  TableSpec wider = SourcesTable();
  wider.columns.push_back({"enabled", ColumnType::kBoolean});
  Sync(destination, wider,
       {MakeRecord({{"id", Value::String("b")}, {"enabled", Value::Bool(true)}})}, kT2);
  EXPECT_EQ(
      QueryOne(db_path_, "SELECT type FROM pragma_table_info('sources') WHERE name = 'enabled'"),
      "BOOLEAN");
  const std::vector<Row> expected = {{"a", std::nullopt}, {"b", "1"}};
  EXPECT_EQ(Query(db_path_, "SELECT id, enabled FROM sources ORDER BY id"), expected);
}

TEST_F(SqliteDestinationTest, AbortLeavesTheTableAndStateAsBefore) {
  SqliteDestination destination(db_path_.string());
  StreamCommit commit;
  commit.state = R"({"cursor":"one"})";
  commit.now = kT1;
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("a")}, {"name", Value::String("kept")}})}, kT1, commit);

  ASSERT_TRUE(destination.BeginStream(SourcesTable()).ok());
  ASSERT_TRUE(destination
                  .Write({MakeRecord({{"id", Value::String("a")}, {"name", Value::String("lost")}}),
                          MakeRecord({{"id", Value::String("b")}, {"surprise", Value::Int(1)}})},
                         kT2)
                  .ok());
  destination.AbortStream();

  const std::vector<Row> expected = {{"a", "kept", kT1}};
  EXPECT_EQ(Query(db_path_, "SELECT id, name, _extracted_at FROM sources"), expected);
  EXPECT_EQ(QueryOne(db_path_,
                     "SELECT count(*) FROM pragma_table_info('sources') WHERE name = 'surprise'"),
            "0");
  Result<std::optional<std::string>> state = destination.ReadState("sources");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, std::optional<std::string>(R"({"cursor":"one"})"));
}

TEST_F(SqliteDestinationTest, AbortOfAFirstSyncLeavesNoTable) {
  SqliteDestination destination(db_path_.string());
  ASSERT_TRUE(destination.BeginStream(SourcesTable()).ok());
  ASSERT_TRUE(destination.Write({MakeRecord({{"id", Value::String("a")}})}, kT1).ok());
  destination.AbortStream();
  EXPECT_EQ(QueryOne(db_path_, "SELECT count(*) FROM sqlite_master WHERE name = 'sources'"), "0");
}

TEST_F(SqliteDestinationTest, DestroyingTheDestinationMidStreamRollsBack) {
  {
    SqliteDestination destination(db_path_.string());
    ASSERT_TRUE(destination.BeginStream(SourcesTable()).ok());
    ASSERT_TRUE(destination.Write({MakeRecord({{"id", Value::String("a")}})}, kT1).ok());
  }
  EXPECT_EQ(QueryOne(db_path_, "SELECT count(*) FROM sqlite_master WHERE name = 'sources'"), "0");
}

TEST_F(SqliteDestinationTest, StateIsReadableAfterCommitIncludingFromANewConnection) {
  SqliteDestination destination(db_path_.string());
  StreamCommit commit;
  commit.state = R"({"bookmark":"2024-03-01"})";
  commit.now = kT1;
  Sync(destination, SourcesTable(), {}, kT1, commit);
  commit.state = R"({"bookmark":"2024-03-02"})";
  Sync(destination, SourcesTable(), {}, kT2, commit);

  Result<std::optional<std::string>> same = destination.ReadState("sources");
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(*same, std::optional<std::string>(R"({"bookmark":"2024-03-02"})"));

  SqliteDestination reopened(db_path_.string());
  Result<std::optional<std::string>> fresh = reopened.ReadState("sources");
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(*fresh, std::optional<std::string>(R"({"bookmark":"2024-03-02"})"));
  Result<std::optional<std::string>> other = reopened.ReadState("users");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(*other, std::nullopt);
  EXPECT_EQ(QueryOne(db_path_, "SELECT count(*) FROM _segsync_state"), "1");
}

TEST_F(SqliteDestinationTest, ReadStateOfAMissingDatabaseCreatesNoFile) {
  SqliteDestination destination(db_path_.string());
  Result<std::optional<std::string>> state = destination.ReadState("sources");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, std::nullopt);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SqliteDestinationTest, RecordRunWritesOneRow) {
  SqliteDestination destination(db_path_.string());
  RunRecord run;
  run.started_at = kT1;
  run.ended_at = kT2;
  run.status = "ok";
  run.streams_json = R"({"sources":{"rows":2,"outcome":"ok"}})";
  ASSERT_TRUE(destination.RecordRun(run).ok());
  ASSERT_TRUE(destination.RecordRun(run).ok());
  const std::vector<Row> expected = {{"1", kT1, kT2, "ok", run.streams_json},
                                     {"2", kT1, kT2, "ok", run.streams_json}};
  EXPECT_EQ(Query(db_path_,
                  "SELECT run_id, started_at, ended_at, status, streams FROM _segsync_runs "
                  "ORDER BY run_id"),
            expected);
}

TEST_F(SqliteDestinationTest, RecordWithoutItsPrimaryKeyIsAnErrorNamingStreamAndKey) {
  SqliteDestination destination(db_path_.string());
  ASSERT_TRUE(destination.BeginStream(SourcesTable()).ok());
  const Status missing = destination.Write({MakeRecord({{"name", Value::String("no id")}})}, kT1);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("sources"), std::string::npos) << missing.message();
  EXPECT_NE(missing.message().find("id"), std::string::npos) << missing.message();

  const Status null_key =
      destination.Write({MakeRecord({{"id", Value::Null()}, {"name", Value::String("x")}})}, kT1);
  EXPECT_FALSE(null_key.ok());
  destination.AbortStream();
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

TEST_F(SqliteDestinationTest, KilledProcessLeavesTablesAsOfTheLastCommit) {
  {
    SqliteDestination destination(db_path_.string());
    StreamCommit commit;
    commit.state = R"({"v":1})";
    Sync(destination, SourcesTable(),
         {MakeRecord({{"id", Value::String("a")}, {"name", Value::String("committed")}})}, kT1,
         commit);
  }
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    SqliteDestination destination(db_path_.string());
    if (!destination.BeginStream(SourcesTable()).ok()) {
      _exit(1);
    }
    std::vector<Record> records;
    records.reserve(20001);
    for (int i = 0; i < 20000; ++i) {
      records.push_back(MakeRecord({{"id", Value::String("r" + std::to_string(i))}}));
    }
    records.push_back(MakeRecord({{"id", Value::String("a")}, {"name", Value::String("torn")}}));
    if (!destination.Write(records, kT2).ok()) {
      _exit(1);
    }
    kill(getpid(), SIGKILL);
  }
  int wait_status = 0;
  ASSERT_EQ(waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the child failed before it was killed";

  const std::vector<Row> expected = {{"a", "committed"}};
  EXPECT_EQ(Query(db_path_, "SELECT id, name FROM sources"), expected);
  SqliteDestination after(db_path_.string());
  Result<std::optional<std::string>> state = after.ReadState("sources");
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_EQ(*state, std::optional<std::string>(R"({"v":1})"));
}

TEST_F(SqliteDestinationTest, SeveralStreamsShareOneDatabase) {
  TableSpec users;
  users.name = "users";
  users.primary_key = {"id"};
  users.columns = {{"id", ColumnType::kString}, {"email", ColumnType::kString}};
  SqliteDestination destination(db_path_.string());
  Sync(destination, SourcesTable(),
       {MakeRecord({{"id", Value::String("s")}, {"name", Value::String("n")}})}, kT1);
  Sync(destination, users,
       {MakeRecord({{"email", Value::String("e@x")}, {"id", Value::String("u")}})}, kT1);
  EXPECT_EQ(QueryOne(db_path_, "SELECT name FROM sources"), "n");
  EXPECT_EQ(QueryOne(db_path_, "SELECT email FROM users"), "e@x");
}

TEST(OpenDestinationTest, SqliteUriOpensWithoutCreatingTheFile) {
  std::string pattern = (fs::temp_directory_path() / "segsync-open-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  Result<std::unique_ptr<Destination>> destination =
      OpenDestination("sqlite:" + (dir / "x.db").string());
  ASSERT_TRUE(destination.ok()) << destination.status().ToString();
  EXPECT_NE(dynamic_cast<SqliteDestination*>(destination->get()), nullptr);
  EXPECT_TRUE(fs::is_empty(dir));
  fs::remove_all(dir);
}

TEST(OpenDestinationTest, PostgresUrisOpenWithoutConnecting) {
  // The connection is made at the first write, so nothing listens at these hosts.
  for (const char* uri : {"postgresql://localhost:1/db", "postgres://u@h.invalid/db"}) {
    Result<std::unique_ptr<Destination>> destination = OpenDestination(uri);
    EXPECT_TRUE(destination.ok()) << uri << ": " << destination.status().ToString();
  }
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
