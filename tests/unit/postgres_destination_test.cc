// SPDX-License-Identifier: Apache-2.0
// What only the PostgreSQL destination does.
//
// Its URI, its schema and types, values its column types cannot hold, and the failures a server
// brings (refused, missing database, wrong password, missing rights, a lost connection, a second
// writer). What every destination does is in destination_conformance_test.cc.
#include "dest/postgres_destination.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fakes.h"
#include "pg_test_server.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;

using testing::kPgPassword;
using testing::PgRow;
using testing::PgTestServer;

constexpr char kT1[] = "2024-03-01T00:00:00.000Z";
constexpr char kT2[] = "2024-03-02T00:00:00.000Z";

Value S(std::string text) { return Value::String(std::move(text)); }

TableSpec SourcesTable() {
  TableSpec table;
  table.name = "sources";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString},
                   {"name", ColumnType::kString},
                   {"workspaceId", ColumnType::kString},
                   {"createdAt", ColumnType::kTimestamp}};
  table.track_deletions = true;
  return table;
}

std::unique_ptr<Destination> Open(const std::string& uri) {
  Result<std::unique_ptr<Destination>> opened = OpenDestination(uri);
  EXPECT_OK(opened);
  return opened.ok() ? opened.MoveValue() : nullptr;
}

TEST(PostgresUriTest, UnusableSchemaIsAConfigErrorThatShowsNoPassword) {
  for (const std::string& schema :
       {std::string(), std::string("%zz"), std::string(64, 's'), std::string("pg_mine")}) {
    Result<std::unique_ptr<Destination>> opened =
        OpenDestination("postgresql://u:hunter22@h/db?schema=" + schema);
    ASSERT_FALSE(opened.ok()) << schema;
    EXPECT_EQ(opened.status().code(), StatusCode::kConfig);
    EXPECT_NE(opened.status().message().find("schema"), std::string::npos);
    EXPECT_EQ(opened.status().message().find("hunter22"), std::string::npos);
  }
}

TEST(PostgresUriTest, OpenDestinationAcceptsBothSchemesWithoutConnecting) {
  // Nothing listens there: opening must not try.
  for (const char* uri : {"postgresql:///db?host=/nonexistent-segsync", "postgres://u@/db",
                          "postgresql://localhost:1/db", "postgres://u@h.invalid/db"}) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Destination> opened, OpenDestination(uri));
    EXPECT_NE(dynamic_cast<PostgresDestination*>(opened.get()), nullptr);
  }
}

class PostgresDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server().failure(), "") << "the private PostgreSQL server did not start";
    // A schema per test, so tests sharing the process's server do not see each other.
    static int counter = 0;
    schema_ = "pgtest_" + std::to_string(++counter);
  }

  static const PgTestServer& server() { return PgTestServer::Shared(); }
  std::string Uri(const std::string& user = "segsync") const {
    return server().Uri("postgres", user, "schema=" + schema_);
  }
  std::vector<PgRow> Query(const std::string& sql) const { return server().Query(sql); }
  std::optional<std::string> QueryOne(const std::string& sql) const {
    return server().QueryOne(sql);
  }
  std::string Table(const std::string& name) const { return schema_ + ".\"" + name + "\""; }

  void Sync(Destination& destination, const TableSpec& table, const std::vector<Record>& records,
            std::string_view extracted_at, const StreamCommit& commit = {}) {
    ASSERT_OK(destination.BeginStream(table));
    ASSERT_OK(destination.Write(records, extracted_at));
    ASSERT_OK(destination.CommitStream(commit));
  }

  std::string schema_;
};

TEST_F(PostgresDestinationTest, TablesGoToSchemaSegmentWithCaseKeptColumnNamesAndContractTypes) {
  auto destination = Open(server().Uri());
  TableSpec table = SourcesTable();
  table.columns.push_back({"count", ColumnType::kInteger});
  table.columns.push_back({"ratio", ColumnType::kNumber});
  table.columns.push_back({"enabled", ColumnType::kBoolean});
  table.columns.push_back({"settings", ColumnType::kJson});
  Sync(*destination, table, {MakeRecord({{"id", S("s1")}, {"workspaceId", S("w1")}})}, kT1);

  const std::vector<PgRow> columns = Query(
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
      "WHERE table_schema = 'segment' AND table_name = 'sources' ORDER BY ordinal_position");
  const std::vector<PgRow> expected = {{"id", "text", "NO"},
                                       {"name", "text", "YES"},
                                       {"workspaceId", "text", "YES"},
                                       {"createdAt", "timestamp with time zone", "YES"},
                                       {"count", "bigint", "YES"},
                                       {"ratio", "double precision", "YES"},
                                       {"enabled", "boolean", "YES"},
                                       {"settings", "jsonb", "YES"},
                                       {"_extracted_at", "timestamp with time zone", "NO"},
                                       {"_deleted_at", "timestamp with time zone", "YES"}};
  EXPECT_EQ(columns, expected);
  EXPECT_EQ(QueryOne("SELECT \"workspaceId\" FROM segment.sources"), "w1");
  const std::vector<PgRow> bookkeeping = Query(
      "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE "
      "table_schema = 'segment' AND table_name LIKE '\\_segsync%' ORDER BY 1, "
      "ordinal_position");
  const std::vector<PgRow> expected_bookkeeping = {
      {"_segsync_runs", "run_id", "bigint"},
      {"_segsync_runs", "started_at", "timestamp with time zone"},
      {"_segsync_runs", "ended_at", "timestamp with time zone"},
      {"_segsync_runs", "status", "text"},
      {"_segsync_runs", "streams", "jsonb"},
      {"_segsync_state", "stream", "text"},
      {"_segsync_state", "state", "text"},
      {"_segsync_state", "updated_at", "timestamp with time zone"}};
  EXPECT_EQ(bookkeeping, expected_bookkeeping);
  Query("DROP SCHEMA segment CASCADE");
}

TEST_F(PostgresDestinationTest, SchemaParameterPutsEveryTableInThatSchema) {
  auto destination = Open(server().Uri("postgres", "segsync", "schema=Odd%20Schema"));
  StreamCommit commit;
  commit.state = R"({"v":1})";
  Sync(*destination, SourcesTable(), {MakeRecord({{"id", S("s1")}})}, kT1, commit);
  ASSERT_OK(destination->RecordRun({kT1, kT2, "ok", "[]"}));
  const std::vector<PgRow> tables = Query(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema "
      "NOT IN ('pg_catalog', 'information_schema') ORDER BY 2");
  const std::vector<PgRow> expected = {
      {"Odd Schema", "_segsync_runs"}, {"Odd Schema", "_segsync_state"}, {"Odd Schema", "sources"}};
  EXPECT_EQ(tables, expected);
  Query("DROP SCHEMA \"Odd Schema\" CASCADE");
}

TEST_F(PostgresDestinationTest, PrimaryKeyIsTheStreamKeyInItsOrder) {
  TableSpec table;
  table.name = "source_connected_warehouses";
  table.primary_key = {"sourceId", "id"};
  table.columns = {{"id", ColumnType::kString}, {"name", ColumnType::kString}};
  auto destination = Open(Uri());
  Sync(*destination, table, {MakeRecord({{"id", S("w")}, {"sourceId", S("s")}})}, kT1);
  EXPECT_EQ(QueryOne("SELECT string_agg(a.attname, ',' ORDER BY k.ordinality) FROM pg_index i "
                     "CROSS JOIN unnest(i.indkey) WITH ORDINALITY k(attnum, ordinality) "
                     "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
                     "WHERE i.indisprimary AND i.indrelid = '" +
                     Table(table.name) + "'::regclass"),
            "sourceId,id");
  // The injected key the schema does not declare is text and required.
  EXPECT_EQ(QueryOne("SELECT format_type(atttypid, atttypmod) || ' ' || attnotnull FROM "
                     "pg_attribute WHERE attrelid = '" +
                     Table(table.name) + "'::regclass AND attname = 'sourceId'"),
            "text true");
}

TEST_F(PostgresDestinationTest, TimestampsWithOffsetsAreStoredAsTheSameInstant) {
  auto destination = Open(Uri());
  Sync(*destination, SourcesTable(),
       {MakeRecord({{"id", S("a")}, {"createdAt", S("2024-03-01T02:30:00+02:30")}}),
        MakeRecord({{"id", S("b")}, {"createdAt", S("2024-03-01T00:00:00.123456Z")}}),
        MakeRecord({{"id", S("c")}, {"createdAt", S("2016-12-31T23:59:60Z")}})},
       kT1);
  const std::vector<PgRow> rows = Query(
      "SELECT id, to_char(\"createdAt\" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') FROM " +
      Table("sources") + " ORDER BY id");
  const std::vector<PgRow> expected = {{"a", "2024-03-01 00:00:00.000000"},
                                       {"b", "2024-03-01 00:00:00.123456"},
                                       {"c", "2017-01-01 00:00:00.000000"}};
  EXPECT_EQ(rows, expected);
}

TEST_F(PostgresDestinationTest, TimestampPostgresCannotHoldIsStoredAsNullWithOneWarning) {
  auto destination = Open(Uri());
  const std::vector<std::string> bad = {"yesterday", "2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z",
                                        "2024-01-01T00:00:00+16:00", ""};
  std::vector<Record> records;
  for (size_t i = 0; i < bad.size(); ++i) {
    records.push_back(MakeRecord(
        {{"id", S("bad" + std::to_string(i))}, {"name", S("kept")}, {"createdAt", S(bad[i])}}));
  }
  records.push_back(MakeRecord({{"id", S("good")}, {"createdAt", S(kT1)}}));
  ::testing::internal::CaptureStderr();
  Sync(*destination, SourcesTable(), records, kT1);
  const std::string warnings = ::testing::internal::GetCapturedStderr();

  EXPECT_EQ(QueryOne("SELECT count(*) FROM " + Table("sources") +
                     " WHERE \"createdAt\" IS NULL AND name = 'kept'"),
            "5");
  EXPECT_EQ(QueryOne("SELECT \"createdAt\" = '" + std::string(kT1) + "' FROM " + Table("sources") +
                     " WHERE id = 'good'"),
            "t");
  EXPECT_NE(warnings.find("5 value(s) of field createdAt"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("\"yesterday\""), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("stored as NULL"), std::string::npos) << warnings;
  EXPECT_EQ(std::count(warnings.begin(), warnings.end(), '\n'), 1) << warnings;
}

TEST_F(PostgresDestinationTest, TimestampKeyPostgresCannotHoldFailsTheStreamWithItsValue) {
  TableSpec usage;
  usage.name = "usage_api_calls_workspace_daily";
  usage.primary_key = {"timestamp"};
  usage.columns = {{"timestamp", ColumnType::kTimestamp}, {"apiCalls", ColumnType::kInteger}};
  auto destination = Open(Uri());
  Sync(*destination, usage, {MakeRecord({{"timestamp", S(kT1)}, {"apiCalls", Value::Int(1)}})},
       kT1);
  ASSERT_OK(destination->BeginStream(usage));
  const Status status = destination->Write(
      {MakeRecord({{"timestamp", S("2024-13-01")}, {"apiCalls", Value::Int(2)}})}, kT2);
  EXPECT_EQ(status.code(), StatusCode::kInvalid);
  EXPECT_NE(status.message().find("2024-13-01"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("timestamp"), std::string::npos) << status.message();
  destination->AbortStream();
  EXPECT_EQ(QueryOne("SELECT string_agg(\"apiCalls\"::text, ',') FROM " + Table(usage.name)), "1");
}

TEST_F(PostgresDestinationTest, OneInstantSpelledTwiceInABatchIsOneKeyAndTheLastWins) {
  TableSpec usage;
  usage.name = "usage_api_calls_workspace_daily";
  usage.primary_key = {"timestamp"};
  usage.columns = {{"timestamp", ColumnType::kTimestamp}, {"apiCalls", ColumnType::kInteger}};
  auto destination = Open(Uri());
  Sync(
      *destination, usage,
      {MakeRecord({{"timestamp", S("2024-03-01T00:00:00Z")}, {"apiCalls", Value::Int(1)}}),
       MakeRecord({{"timestamp", S("2024-03-01T01:00:00.000+01:00")}, {"apiCalls", Value::Int(2)}}),
       MakeRecord({{"timestamp", S("2024-03-02T00:00:00Z")}, {"apiCalls", Value::Int(3)}})},
      kT1);
  EXPECT_EQ(QueryOne("SELECT string_agg(\"apiCalls\"::text, ',' ORDER BY timestamp) FROM " +
                     Table(usage.name)),
            "2,3");
}

TEST_F(PostgresDestinationTest, RowsBeyondOneFlushAllLandAndTheLastOfAKeyWins) {
  // About 1 KB a record: each Write of 12000 sends its rows before returning.
  const auto batch = [](int from, int to, const std::string& tag, bool extra) {
    std::vector<Record> records;
    for (int i = from; i < to; ++i) {
      Record record = MakeRecord(
          {{"id", S("r" + std::to_string(i))}, {"name", S(tag + std::string(1000, 'x'))}});
      if (extra) {
        record.fields.emplace_back("late", Value::Int(i));
      }
      records.push_back(std::move(record));
    }
    return records;
  };
  auto destination = Open(Uri());
  ASSERT_OK(destination->BeginStream(SourcesTable()));
  ASSERT_OK(destination->Write(batch(0, 12000, "a", false), kT1));
  ASSERT_OK(destination->Write(batch(6000, 18000, "b", false), kT1));
  ASSERT_OK(destination->Write(batch(100, 200, "c", false), kT2));
  // A new field after pending rows: they are sent before the column is added.
  ASSERT_OK(destination->Write(batch(150, 160, "d", true), kT2));
  ASSERT_OK(destination->CommitStream({}));

  const std::vector<PgRow> counts =
      Query("SELECT left(name, 1), count(*), count(late), min(_extracted_at)::text FROM " +
            Table("sources") + " GROUP BY 1 ORDER BY 1");
  const std::vector<PgRow> expected = {{"a", "5900", "0", "2024-03-01 00:00:00+00"},
                                       {"b", "12000", "0", "2024-03-01 00:00:00+00"},
                                       {"c", "90", "0", "2024-03-02 00:00:00+00"},
                                       {"d", "10", "10", "2024-03-02 00:00:00+00"}};
  EXPECT_EQ(counts, expected);
}

TEST_F(PostgresDestinationTest, ValuesAreConvertedToTheColumnTypeWhereExactElseNull) {
  TableSpec table;
  table.name = "drift";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString},    {"count", ColumnType::kInteger},
                   {"ratio", ColumnType::kNumber}, {"enabled", ColumnType::kBoolean},
                   {"label", ColumnType::kString}, {"settings", ColumnType::kJson}};
  auto destination = Open(Uri());
  ::testing::internal::CaptureStderr();
  Sync(*destination, table,
       {MakeRecord({{"id", S("a")},
                    {"count", S("123")},
                    {"ratio", Value::Int(2)},
                    {"enabled", S("yes")},
                    {"label", Value::Int(7)},
                    {"settings", S("a string")}}),
        MakeRecord({{"id", S("b")},
                    {"count", Value::Double(2.0)},
                    {"ratio", S("0.5")},
                    {"label", Value::Bool(true)},
                    {"settings", Value::Double(1.5)}}),
        MakeRecord({{"id", S("c")},
                    {"count", Value::Double(2.5)},
                    {"ratio", S("half")},
                    {"label", Value::Json(R"({"x":1})")},
                    {"settings", Value::Bool(false)}}),
        MakeRecord({{"id", S("d")}, {"count", S("abc")}})},
       kT1);
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  const std::vector<PgRow> rows =
      Query("SELECT id, count::text, ratio::text, enabled::text, label, settings::text FROM " +
            Table("drift") + " ORDER BY id");
  const std::vector<PgRow> expected = {
      {"a", "123", "2", std::nullopt, "7", "\"a string\""},
      {"b", "2", "0.5", std::nullopt, "true", "1.5"},
      {"c", std::nullopt, std::nullopt, std::nullopt, R"({"x":1})", "false"},
      {"d", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  EXPECT_EQ(rows, expected);
  EXPECT_NE(warnings.find("2 value(s) of field count"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("1 value(s) of field enabled"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("1 value(s) of field ratio"), std::string::npos) << warnings;
}

TEST_F(PostgresDestinationTest, NulCharactersAreStoredAsTheReplacementCharacter) {
  TableSpec table = SourcesTable();
  table.columns.push_back({"settings", ColumnType::kJson});
  auto destination = Open(Uri());
  ::testing::internal::CaptureStderr();
  Sync(*destination, table,
       {MakeRecord({{"id", S("a")},
                    {"name", S(std::string("before\0after", 12))},
                    {"settings", Value::Json(R"({"k":"x\u0000y","escaped":"\\u0000"})")}})},
       kT1);
  const std::string warnings = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(QueryOne("SELECT name FROM " + Table("sources")),
            "before\xEF\xBF\xBD"
            "after");
  EXPECT_EQ(QueryOne("SELECT settings->>'k' FROM " + Table("sources")), "x\xEF\xBF\xBDy");
  // An escaped backslash followed by "u0000" is text, not a NUL.
  EXPECT_EQ(QueryOne("SELECT settings->>'escaped' FROM " + Table("sources")), "\\u0000");
  EXPECT_NE(warnings.find("NUL character(s) in field name"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("NUL character(s) in field settings"), std::string::npos) << warnings;
}

TEST_F(PostgresDestinationTest, ASyncThatChangesNothingPrintsNothing) {
  auto destination = Open(Uri());
  ::testing::internal::CaptureStderr();
  for (int run = 0; run < 2; ++run) {
    Sync(*destination, SourcesTable(), {MakeRecord({{"id", S("a")}, {"extra", Value::Int(1)}})},
         kT1);
  }
  // Server notices ("already exists, skipping") must not leak to stderr.
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST_F(PostgresDestinationTest, RefusedConnectionIsOneLineWithAHintAndNoPassword) {
  const std::string uri = "postgresql://segsync_pw:" + std::string(kPgPassword) +
                          "@/postgres?host=/tmp/segsync-no-server-here";
  auto destination = Open(uri);
  const Status first = destination->BeginStream(SourcesTable());
  EXPECT_EQ(first.code(), StatusCode::kIo);
  EXPECT_EQ(first.message().find('\n'), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("connecting failed"), std::string::npos) << first.message();
  EXPECT_NE(first.message().find("check that the server is running"), std::string::npos);
  EXPECT_NE(first.message().find("segsync_pw:****@"), std::string::npos) << first.message();
  EXPECT_EQ(first.message().find(kPgPassword), std::string::npos) << first.message();
  // Later streams and the run record report the same failure without waiting for it again.
  EXPECT_EQ(destination->BeginStream(SourcesTable()).message(), first.message());
  EXPECT_EQ(destination->RecordRun({kT1, kT2, "failed", "[]"}).message(), first.message());
}

TEST_F(PostgresDestinationTest, MissingDatabaseIsNamedWithWhatToDo) {
  auto destination = Open(server().Uri("no_such_database"));
  const Result<std::optional<std::string>> state = destination->ReadState("audit_events");
  ASSERT_FALSE(state.ok());
  const std::string& message = state.status().message();
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_NE(message.find("database \"no_such_database\" does not exist"), std::string::npos)
      << message;
  EXPECT_NE(message.find("createdb"), std::string::npos) << message;
}

TEST_F(PostgresDestinationTest, WrongPasswordIsRefusedWithoutEchoingEitherPassword) {
  const std::string base = "@/postgres?host=" + server().socket_dir();
  auto wrong = Open("postgresql://segsync_pw:wrong-pw-4711" + base);
  const Status refused = wrong->BeginStream(SourcesTable());
  EXPECT_EQ(refused.code(), StatusCode::kIo);
  EXPECT_NE(refused.message().find("password authentication failed"), std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("check the user name and password"), std::string::npos);
  EXPECT_EQ(refused.message().find("wrong-pw-4711"), std::string::npos) << refused.message();

  auto right = Open("postgresql://segsync_pw:" + std::string(kPgPassword) + base);
  const Result<std::optional<std::string>> state = right->ReadState("sources");
  EXPECT_OK(state);
}

TEST_F(PostgresDestinationTest, RoleWithoutRightsGetsOneLineAndNothingIsWritten) {
  Query("DROP ROLE IF EXISTS limited_" + schema_);
  Query("CREATE ROLE limited_" + schema_ + " LOGIN");
  auto destination = Open(Uri("limited_" + schema_));
  const Status status = destination->BeginStream(SourcesTable());
  EXPECT_EQ(status.code(), StatusCode::kIo);
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("permission denied"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("grant this role"), std::string::npos) << status.message();
  EXPECT_FALSE(destination->RecordRun({kT1, kT2, "failed", "[]"}).ok());
  EXPECT_EQ(QueryOne("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema_ + "'"), "0");
}

TEST_F(PostgresDestinationTest, RoleGivenOnlyExistingTablesCanStillSyncIntoThem) {
  auto owner = Open(Uri());
  Sync(*owner, SourcesTable(), {MakeRecord({{"id", S("a")}})}, kT1);
  ASSERT_OK(owner->RecordRun({kT1, kT2, "ok", "[]"}));
  const std::string role = "writer_" + schema_;
  Query("DROP ROLE IF EXISTS " + role);
  Query("CREATE ROLE " + role + " LOGIN");
  Query("GRANT USAGE ON SCHEMA " + schema_ + " TO " + role);
  Query("GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA " + schema_ + " TO " + role);

  auto writer = Open(Uri(role));
  StreamCommit commit;
  commit.state = R"({"v":2})";
  Sync(*writer, SourcesTable(), {MakeRecord({{"id", S("b")}})}, kT2, commit);
  EXPECT_OK(writer->RecordRun({kT1, kT2, "ok", "[]"}));
  EXPECT_EQ(QueryOne("SELECT string_agg(id, ',' ORDER BY id) FROM " + Table("sources")), "a,b");
  EXPECT_EQ(QueryOne("SELECT count(*) FROM " + schema_ + "._segsync_runs"), "2");
}

TEST_F(PostgresDestinationTest, SecondWriterOfTheSameTableIsToldAndTheFirstIsUndisturbed) {
  auto first = Open(Uri());
  auto second = Open(Uri());
  ASSERT_OK(first->BeginStream(SourcesTable()));
  ASSERT_OK(first->Write({MakeRecord({{"id", S("a")}})}, kT1));
  const Status busy = second->BeginStream(SourcesTable());
  EXPECT_EQ(busy.code(), StatusCode::kIo);
  EXPECT_NE(busy.message().find("being written by another segsync run"), std::string::npos)
      << busy.message();
  ASSERT_OK(first->CommitStream({}));
  Sync(*second, SourcesTable(), {MakeRecord({{"id", S("b")}})}, kT2);
  EXPECT_EQ(QueryOne("SELECT count(*) FROM " + Table("sources")), "2");
}

TEST_F(PostgresDestinationTest, LostConnectionFailsTheStreamAndTheNextStreamReconnects) {
  auto destination = Open(Uri());
  Sync(*destination, SourcesTable(), {MakeRecord({{"id", S("a")}})}, kT1);
  ASSERT_OK(destination->BeginStream(SourcesTable()));
  Query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
      "'segsync'");
  // Rows are sent when enough are pending or at commit: the loss shows at one of the two.
  Status lost = destination->Write({MakeRecord({{"id", S("b")}})}, kT2);
  if (lost.ok()) {
    lost = destination->CommitStream({}).status();
  }
  EXPECT_EQ(lost.code(), StatusCode::kIo);
  EXPECT_NE(lost.message().find("connection to the server was lost"), std::string::npos)
      << lost.message();
  EXPECT_EQ(lost.message().find('\n'), std::string::npos) << lost.message();

  Sync(*destination, SourcesTable(), {MakeRecord({{"id", S("c")}})}, kT2);
  EXPECT_EQ(QueryOne("SELECT string_agg(id, ',' ORDER BY id) FROM " + Table("sources")), "a,c");
}

}  // namespace
}  // namespace segsync
