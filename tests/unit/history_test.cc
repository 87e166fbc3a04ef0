// SPDX-License-Identifier: Apache-2.0
// The history's pure parts (JSON by value, the changes versions tell, the SQL) and its SQLite rows.
#include "dest/history.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dest/sqlite_destination.h"
#include "fakes.h"
#include "sqlite_query.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;
namespace fs = std::filesystem;

TEST(JsonEqualByValueTest, IgnoresKeyOrderAndSpellingButNotValues) {
  EXPECT_TRUE(JsonEqualByValue(R"({"a":1,"b":[1,2]})", R"({"b": [1, 2], "a": 1})"));
  EXPECT_TRUE(JsonEqualByValue(R"({"x":{"p":true,"q":null}})", R"({"x":{"q":null,"p":true}})"));
  EXPECT_TRUE(JsonEqualByValue("1", "1.0"));
  EXPECT_TRUE(JsonEqualByValue(R"("\u00e9")", "\"\xc3\xa9\""));
  EXPECT_FALSE(JsonEqualByValue("[1,2]", "[2,1]"));  // arrays keep their order
  EXPECT_FALSE(JsonEqualByValue(R"({"a":1})", R"({"a":1,"b":1})"));
  EXPECT_FALSE(JsonEqualByValue(R"({"a":1})", R"({"a":"1"})"));
  EXPECT_FALSE(JsonEqualByValue("true", "1"));
  EXPECT_TRUE(JsonEqualByValue("not json", "not json"));  // bytes, when not JSON
  EXPECT_FALSE(JsonEqualByValue("not json", "not  json"));
}

HistoryVersion Version(const std::string& id, const std::string& name, std::string from,
                       std::optional<std::string> to) {
  return {{"\"" + id + "\"", "\"" + name + "\""}, std::move(from), std::move(to)};
}

constexpr char kT1[] = "2024-03-01T00:00:00.000Z";
constexpr char kT2[] = "2024-03-02T00:00:00.000Z";
constexpr char kT3[] = "2024-03-03T00:00:00.000Z";

TEST(DeriveChangesTest, AddedUpdatedDeletedRestored) {
  const std::vector<HistoryVersion> versions = {
      Version("a", "A", kT1, kT2),          Version("a", "A2", kT2, std::nullopt),  // renamed
      Version("b", "B", kT1, kT2),                                                  // gone
      Version("c", "C", kT1, kT2),          Version("c", "C2", kT3, std::nullopt),  // back, renamed
      Version("d", "D", kT3, std::nullopt),                                         // new
  };
  const std::vector<DetectedChange> all = DeriveChanges(versions, 1, {false, false}, "");
  std::vector<std::string> told;
  told.reserve(all.size());
  for (const DetectedChange& change : all) {
    told.push_back(change.detected_at.substr(8, 2) + " " +
                   *versions[change.after ? *change.after : *change.before].cells[0] + " " +
                   std::string(ChangeKindName(change.kind)) + " " +
                   std::to_string(change.fields.size()));
  }
  EXPECT_EQ(told, (std::vector<std::string>{"01 \"a\" added 0", "01 \"b\" added 0",
                                            "01 \"c\" added 0", "02 \"a\" updated 1",
                                            "02 \"b\" deleted 0", "02 \"c\" deleted 0",
                                            "03 \"c\" restored 1", "03 \"d\" added 0"}));

  const std::vector<DetectedChange> later = DeriveChanges(versions, 1, {false, false}, kT2);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].kind, ChangeKind::kRestored);
  EXPECT_EQ(later[0].before, 3u);
  EXPECT_EQ(later[0].after, 4u);
  EXPECT_EQ(later[0].fields, std::vector<size_t>{1});
}

TEST(DeriveChangesTest, JsonColumnsCompareByValue) {
  const std::vector<HistoryVersion> versions = {
      {{"\"a\"", R"({"x":1,"y":2})", "\"n\""}, kT1, kT2},
      {{"\"a\"", R"({"y":2,"x":1})", "\"m\""}, kT2, std::nullopt},
  };
  const std::vector<DetectedChange> changes = DeriveChanges(versions, 1, {false, true, false}, kT1);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].fields, std::vector<size_t>{2});
}

TEST(HistorySqlTest, ComparesJsonColumnsByTheFunctionInSqliteAndByJsonbInPostgres) {
  const std::vector<HistoryColumn> columns = {
      {"id", "TEXT", true}, {"name", "TEXT", false}, {"settings", "TEXT", true}};
  const HistorySql sqlite = BuildHistorySql(
      {"\"s\"", "\"s_history\"", "\"s_history\"", "?1", kSqliteJsonSameFunction}, columns, 1);
  EXPECT_NE(
      sqlite.close_changed.find("segsync_json_same(t.\"settings\", \"s_history\".\"settings\")"),
      std::string::npos)
      << sqlite.close_changed;
  EXPECT_EQ(sqlite.close_changed.find("segsync_json_same(t.\"name\""), std::string::npos);
  EXPECT_EQ(sqlite.close_changed.find("segsync_json_same(t.\"id\""), std::string::npos);
  const HistorySql pg = BuildHistorySql(
      {"\"x\".\"s\"", "\"x\".\"s_history\"", "\"s_history\"", "$1", {}}, columns, 1);
  EXPECT_NE(pg.close_changed.find("t.\"settings\" IS NOT DISTINCT FROM \"s_history\".\"settings\""),
            std::string::npos)
      << pg.close_changed;
  EXPECT_NE(pg.open_new.find("INSERT INTO \"x\".\"s_history\""), std::string::npos);
}

using Row = segsync::testing::SqliteRow;

class SqliteHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "segsync-history-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    table_.name = "sources";
    table_.primary_key = {"id"};
    table_.columns = {{"id", ColumnType::kString},
                      {"name", ColumnType::kString},
                      {"settings", ColumnType::kJson}};
    table_.track_deletions = true;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Record Source(std::string id, std::string name, std::string settings) {
    return MakeRecord({{"id", Value::String(std::move(id))},
                       {"name", Value::String(std::move(name))},
                       {"settings", Value::Json(std::move(settings))}});
  }

  /// One complete read at `at` of `records`.
  void Run(SqliteDestination& destination, const std::vector<Record>& records,
           const std::string& at) {
    ASSERT_OK(destination.BeginStream(table_));
    ASSERT_OK(destination.Write(records, at));
    StreamCommit commit;
    commit.mark_deleted_before = at;
    commit.now = at;
    ASSERT_OK(destination.CommitStream(commit).status());
  }

  std::vector<Row> History() {
    return segsync::testing::QuerySqlite(dir_ / "h.db",
                                         "SELECT id, name, _valid_from, _valid_to FROM "
                                         "sources_history ORDER BY id, _valid_from");
  }

  fs::path dir_;
  TableSpec table_;
};

TEST_F(SqliteHistoryTest, VersionsOpenOnlyOnChangeCloseOnDeletionAndReopenOnReturn) {
  SqliteDestination destination((dir_ / "h.db").string());
  Run(destination, {Source("a", "A", R"({"k":1,"l":[1]})"), Source("b", "B", "{}")}, kT1);
  // The same values, the JSON in another key order: nothing changes.
  Run(destination, {Source("a", "A", R"({"l": [1], "k": 1})"), Source("b", "B", "{}")}, kT2);
  EXPECT_EQ(History(),
            (std::vector<Row>{{"a", "A", kT1, std::nullopt}, {"b", "B", kT1, std::nullopt}}));
  // a renamed, b gone.
  Run(destination, {Source("a", "A2", R"({"k":1,"l":[1]})")}, kT3);
  const std::string t4 = "2024-03-04T00:00:00.000Z";
  const std::string t5 = "2024-03-05T00:00:00.000Z";
  EXPECT_EQ(History(),
            (std::vector<Row>{
                {"a", "A", kT1, kT3}, {"a", "A2", kT3, std::nullopt}, {"b", "B", kT1, kT3}}));
  // A read that does not complete changes no history.
  ASSERT_OK(destination.BeginStream(table_));
  ASSERT_OK(destination.Write({Source("a", "A3", "{}")}, t4));
  destination.AbortStream();
  // An incremental-style commit (no complete read) writes none either.
  ASSERT_OK(destination.BeginStream(table_));
  ASSERT_OK(
      destination.Write({Source("a", "A2", R"({"k":1,"l":[1]})"), Source("b", "B", "{}")}, t4));
  ASSERT_OK(destination.CommitStream({}).status());
  EXPECT_EQ(History().size(), 3u);
  // b back (it was cleared of _deleted_at above already; the complete read opens it again).
  Run(destination, {Source("a", "A2", R"({"k":1,"l":[1]})"), Source("b", "B", "{}")}, t5);
  EXPECT_EQ(History(), (std::vector<Row>{{"a", "A", kT1, kT3},
                                         {"a", "A2", kT3, std::nullopt},
                                         {"b", "B", kT1, kT3},
                                         {"b", "B", t5, std::nullopt}}));
}

TEST_F(SqliteHistoryTest, AFieldThatAppearsLaterWidensTheHistoryToo) {
  SqliteDestination destination((dir_ / "h.db").string());
  Run(destination, {Source("a", "A", "{}")}, kT1);
  Record extra = Source("a", "A", "{}");
  extra.fields.emplace_back("labels", Value::Json(R"(["x"])"));
  Run(destination, {extra}, kT2);
  EXPECT_EQ(History(), (std::vector<Row>{{"a", "A", kT1, kT2}, {"a", "A", kT2, std::nullopt}}));
}

}  // namespace
}  // namespace segsync
