// SPDX-License-Identifier: Apache-2.0
// The SQL both SQL destinations share, checked as text without a database.
#include "dest/sql_common.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fakes.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;

constexpr SqlDialect kDialect{"TEXT", "INTEGER", "REAL", "BOOLEAN", "STAMP", "JSON"};

TableSpec WarehousesTable() {
  TableSpec table;
  table.name = "source_connected_warehouses";
  table.primary_key = {"sourceId", "id"};
  table.columns = {{"id", ColumnType::kString},
                   {"count", ColumnType::kInteger},
                   {"at", ColumnType::kTimestamp},
                   {"settings", ColumnType::kJson}};
  table.track_deletions = true;
  return table;
}

TEST(SqlCommonTest, IdentifiersAreQuotedWithInnerQuotesDoubled) {
  EXPECT_EQ(QuoteIdentifier("workspaceId"), "\"workspaceId\"");
  EXPECT_EQ(QuoteIdentifier("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteIdentifier(""), "\"\"");
  EXPECT_EQ(Quoted("a\"b"), "\"a\"b\"");
}

TEST(SqlCommonTest, DialectNamesEachColumnType) {
  EXPECT_EQ(kDialect.TypeOf(ColumnType::kString), "TEXT");
  EXPECT_EQ(kDialect.TypeOf(ColumnType::kInteger), "INTEGER");
  EXPECT_EQ(kDialect.TypeOf(ColumnType::kNumber), "REAL");
  EXPECT_EQ(kDialect.TypeOf(ColumnType::kBoolean), "BOOLEAN");
  EXPECT_EQ(kDialect.TypeOf(ColumnType::kTimestamp), "STAMP");
  EXPECT_EQ(kDialect.TypeOf(ColumnType::kJson), "JSON");
}

TEST(SqlCommonTest, ColumnForAnUnknownFieldIsTypedFromItsValue) {
  EXPECT_EQ(ColumnTypeOfValue(Value::Int(1)), ColumnType::kInteger);
  EXPECT_EQ(ColumnTypeOfValue(Value::Double(1.5)), ColumnType::kNumber);
  EXPECT_EQ(ColumnTypeOfValue(Value::Bool(true)), ColumnType::kBoolean);
  EXPECT_EQ(ColumnTypeOfValue(Value::Json("[]")), ColumnType::kJson);
  EXPECT_EQ(ColumnTypeOfValue(Value::String("x")), ColumnType::kString);
  EXPECT_EQ(ColumnTypeOfValue(Value::Null()), ColumnType::kString);
}

TEST(SqlCommonTest, CreateTableHasKeysNotNullAnUndeclaredKeyAndTheBookkeepingColumns) {
  EXPECT_EQ(CreateTableSql(kDialect, "s.\"t\"", WarehousesTable(), /*if_not_exists=*/false),
            "CREATE TABLE s.\"t\" (\"id\" TEXT NOT NULL, \"count\" INTEGER, \"at\" STAMP, "
            "\"settings\" JSON, \"sourceId\" TEXT NOT NULL, \"_extracted_at\" STAMP NOT NULL, "
            "\"_deleted_at\" STAMP, PRIMARY KEY (\"sourceId\", \"id\"))");
  TableSpec plain;
  plain.name = "users";
  plain.primary_key = {"id"};
  plain.columns = {{"id", ColumnType::kString}};
  EXPECT_EQ(CreateTableSql(kDialect, "\"users\"", plain, /*if_not_exists=*/true),
            "CREATE TABLE IF NOT EXISTS \"users\" (\"id\" TEXT NOT NULL, \"_extracted_at\" STAMP "
            "NOT NULL, PRIMARY KEY (\"id\"))");
}

TEST(SqlCommonTest, MissingColumnsAreTheDeclaredOnesTheTableLacksAndDeletedAt) {
  const std::vector<std::pair<std::string, std::string>> none = {};
  EXPECT_EQ(MissingColumns(kDialect, WarehousesTable(),
                           {"id", "count", "at", "settings", "sourceId", "_extracted_at",
                            "_deleted_at", "extra"}),
            none);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"count", "INTEGER"}, {"settings", "JSON"}, {"_deleted_at", "STAMP"}};
  EXPECT_EQ(MissingColumns(kDialect, WarehousesTable(), {"sourceId", "id", "at", "_extracted_at"}),
            expected);
  TableSpec untracked = WarehousesTable();
  untracked.track_deletions = false;
  EXPECT_EQ(MissingColumns(kDialect, untracked,
                           {"sourceId", "id", "count", "at", "settings", "_extracted_at"}),
            none);
}

TEST(SqlCommonTest, UpsertUpdatesEveryNonKeyColumnAndClearsTheDeletion) {
  const UpsertSql upsert = BuildUpsert({"sourceId", "id", "name"}, 2, /*track_deletions=*/true);
  EXPECT_EQ(upsert.columns, "\"sourceId\", \"id\", \"name\", \"_extracted_at\"");
  EXPECT_EQ(upsert.keys, "\"sourceId\", \"id\"");
  EXPECT_EQ(upsert.on_conflict,
            " ON CONFLICT (\"sourceId\", \"id\") DO UPDATE SET \"name\" = excluded.\"name\", "
            "\"_extracted_at\" = excluded.\"_extracted_at\", \"_deleted_at\" = NULL");
  const UpsertSql keys_only = BuildUpsert({"id"}, 1, /*track_deletions=*/false);
  EXPECT_EQ(keys_only.on_conflict,
            " ON CONFLICT (\"id\") DO UPDATE SET \"_extracted_at\" = excluded.\"_extracted_at\"");
}

TEST(SqlCommonTest, DeletionAndStateStatementsTakeTheEnginesPlaceholders) {
  EXPECT_EQ(MarkDeletedSql("\"t\"", "?1", "?2"),
            "UPDATE \"t\" SET \"_deleted_at\" = ?1 WHERE \"_deleted_at\" IS NULL AND "
            "\"_extracted_at\" < ?2");
  EXPECT_EQ(SaveStateSql("s._segsync_state", "$1", "$2", "$3::timestamptz"),
            "INSERT INTO s._segsync_state (stream, state, updated_at) VALUES ($1, $2, "
            "$3::timestamptz) ON CONFLICT (stream) DO UPDATE SET state = excluded.state, "
            "updated_at = excluded.updated_at");
}

TEST(ColumnMapTest, KeysComeFirstInKeyOrderAndBookkeepingColumnsAreLeftOut) {
  ColumnMap map;
  ASSERT_OK_AND_ASSIGN(
      std::vector<size_t> order,
      map.Reset(WarehousesTable(), {"id", "_extracted_at", "name", "sourceId", "_deleted_at"},
                "Db x", "\"t\""));
  EXPECT_EQ(order, (std::vector<size_t>{3, 0, 2}));
  EXPECT_EQ(map.names(), (std::vector<std::string>{"sourceId", "id", "name"}));
}

TEST(ColumnMapTest, ATableWithoutAKeyColumnIsAnIoErrorSayingWhatToDo) {
  ColumnMap map;
  Result<std::vector<size_t>> order = map.Reset(WarehousesTable(), {"id", "name"}, "Db x", "\"t\"");
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), StatusCode::kIo);
  EXPECT_EQ(
      order.status().message(),
      "Db x: table \"t\" has no column for primary-key field \"sourceId\"; drop the table and "
      "sync again to rebuild it");
}

TEST(ColumnMapTest, FieldsMapToTheirColumnsInAnyOrderAndUnknownOnesAreReported) {
  ColumnMap map;
  ASSERT_OK(map.Reset(WarehousesTable(), {"sourceId", "id", "name"}, "Db", "t"));
  ASSERT_OK_AND_ASSIGN(
      bool first,
      map.MapFields(MakeRecord({{"name", Value::String("n")}, {"id", Value::String("i")}}),
                    "warehouses"));
  EXPECT_TRUE(first);
  EXPECT_EQ(map.slot(0), 2);
  EXPECT_EQ(map.slot(1), 1);
  // The same positions with other names: the cached slots are not trusted.
  ASSERT_OK_AND_ASSIGN(
      bool second,
      map.MapFields(MakeRecord({{"sourceId", Value::String("s")}, {"extra", Value::Int(1)}}),
                    "warehouses"));
  EXPECT_FALSE(second);
  EXPECT_EQ(map.slot(0), 0);
  EXPECT_EQ(map.slot(1), -1);
  EXPECT_EQ(map.Add("extra"), 3);
  EXPECT_TRUE(map.Contains("extra"));
  ASSERT_OK_AND_ASSIGN(
      bool third,
      map.MapFields(MakeRecord({{"sourceId", Value::String("s")}, {"extra", Value::Int(1)}}),
                    "warehouses"));
  EXPECT_TRUE(third);
  EXPECT_EQ(map.slot(1), 3);
}

TEST(ColumnMapTest, FieldNamedLikeABookkeepingOrReservedColumnIsInvalid) {
  ColumnMap map("_segsync_ord");
  ASSERT_OK(map.Reset(WarehousesTable(), {"sourceId", "id"}, "Db", "t"));
  for (const char* name : {"_extracted_at", "_deleted_at", "_segsync_ord"}) {
    Result<bool> mapped = map.MapFields(MakeRecord({{name, Value::Null()}}), "warehouses");
    ASSERT_FALSE(mapped.ok()) << name;
    EXPECT_EQ(mapped.status().code(), StatusCode::kInvalid);
    EXPECT_NE(mapped.status().message().find(name), std::string::npos);
    EXPECT_NE(mapped.status().message().find("warehouses"), std::string::npos);
  }
  ColumnMap plain;
  ASSERT_OK(plain.Reset(WarehousesTable(), {"sourceId", "id"}, "Db", "t"));
  EXPECT_OK(plain.MapFields(MakeRecord({{"_segsync_ord", Value::Null()}}), "w"));
}

}  // namespace
}  // namespace segsync
