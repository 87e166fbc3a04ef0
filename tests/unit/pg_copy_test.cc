// SPDX-License-Identifier: Apache-2.0
// The COPY text encoder of the PostgreSQL destination (src/dest/pg_copy.h), without a server.
#include "dest/pg_copy.h"

#include <gtest/gtest.h>

#include <limits>
#include <optional>
#include <string>

namespace segsync {
namespace {

/// The cell for `value` in a column of `kind`, or nullopt if the column cannot hold it.
std::optional<std::string> Cell(const Value& value, PgColumnKind kind, int64_t* nuls = nullptr) {
  std::string cell = "stale";
  int64_t replaced = 0;
  if (!EncodeCopyCell(value, kind, cell, replaced)) {
    return std::nullopt;
  }
  if (nuls != nullptr) {
    *nuls = replaced;
  }
  return cell;
}

TEST(PgCopyTest, TextEscapesWhatWouldEndACellOrARowAndReplacesNul) {
  std::string out = "kept|";
  EXPECT_EQ(AppendCopyText(out, std::string("a\tb\nc\rd\\e\0f \\N", 14)), 1);
  EXPECT_EQ(out,
            "kept|a\\tb\\nc\\rd\\\\e\xEF\xBF\xBD"
            "f \\\\N");
  std::string plain;
  EXPECT_EQ(AppendCopyText(plain, "h\xC3\xA9llo 'quoted' \"x\""), 0);
  EXPECT_EQ(plain, "h\xC3\xA9llo 'quoted' \"x\"");
}

TEST(PgCopyTest, ColumnKindsFollowFormatTypeSpelling) {
  EXPECT_EQ(PgColumnKindOf("text"), PgColumnKind::kText);
  EXPECT_EQ(PgColumnKindOf("bigint"), PgColumnKind::kBigint);
  EXPECT_EQ(PgColumnKindOf("double precision"), PgColumnKind::kDouble);
  EXPECT_EQ(PgColumnKindOf("boolean"), PgColumnKind::kBoolean);
  EXPECT_EQ(PgColumnKindOf("timestamp with time zone"), PgColumnKind::kTimestamp);
  EXPECT_EQ(PgColumnKindOf("jsonb"), PgColumnKind::kJsonb);
  EXPECT_EQ(PgColumnKindOf("character varying(20)"), PgColumnKind::kOther);
}

TEST(PgCopyTest, TextColumnsTakeEveryScalarAsText) {
  EXPECT_EQ(Cell(Value::String("a\tb"), PgColumnKind::kText), "a\\tb");
  EXPECT_EQ(Cell(Value::Int(-7), PgColumnKind::kText), "-7");
  EXPECT_EQ(Cell(Value::Double(0.1), PgColumnKind::kText), "0.1");
  EXPECT_EQ(Cell(Value::Bool(true), PgColumnKind::kOther), "true");
  EXPECT_EQ(Cell(Value::Json(R"({"k":"v\n"})"), PgColumnKind::kText), R"({"k":"v\\n"})");
  EXPECT_EQ(Cell(Value::Null(), PgColumnKind::kText), std::nullopt);
  int64_t nuls = 0;
  EXPECT_EQ(Cell(Value::String(std::string("x\0\0", 3)), PgColumnKind::kText, &nuls),
            "x\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(nuls, 2);
}

TEST(PgCopyTest, BigintTakesExactIntegersOnly) {
  EXPECT_EQ(Cell(Value::Int(9007199254740993), PgColumnKind::kBigint), "9007199254740993");
  EXPECT_EQ(Cell(Value::Double(2.0), PgColumnKind::kBigint), "2");
  EXPECT_EQ(Cell(Value::String("-123"), PgColumnKind::kBigint), "-123");
  EXPECT_EQ(Cell(Value::Double(2.5), PgColumnKind::kBigint), std::nullopt);
  EXPECT_EQ(Cell(Value::Double(9223372036854775808.0), PgColumnKind::kBigint), std::nullopt);
  EXPECT_EQ(Cell(Value::String("12a"), PgColumnKind::kBigint), std::nullopt);
  EXPECT_EQ(Cell(Value::Bool(true), PgColumnKind::kBigint), std::nullopt);
}

TEST(PgCopyTest, DoubleReadsBackExactlyAndSpellsTheSpecialValues) {
  EXPECT_EQ(Cell(Value::Double(0.1), PgColumnKind::kDouble), "0.1");
  EXPECT_EQ(Cell(Value::Int(3), PgColumnKind::kDouble), "3");
  EXPECT_EQ(Cell(Value::String("0.5"), PgColumnKind::kDouble), "0.5");
  EXPECT_EQ(Cell(Value::Double(std::numeric_limits<double>::quiet_NaN()), PgColumnKind::kDouble),
            "NaN");
  EXPECT_EQ(Cell(Value::Double(-std::numeric_limits<double>::infinity()), PgColumnKind::kDouble),
            "-Infinity");
  EXPECT_EQ(Cell(Value::String("half"), PgColumnKind::kDouble), std::nullopt);
}

TEST(PgCopyTest, BooleanTakesBooleansOnly) {
  EXPECT_EQ(Cell(Value::Bool(true), PgColumnKind::kBoolean), "t");
  EXPECT_EQ(Cell(Value::Bool(false), PgColumnKind::kBoolean), "f");
  EXPECT_EQ(Cell(Value::String("yes"), PgColumnKind::kBoolean), std::nullopt);
  EXPECT_EQ(Cell(Value::Int(1), PgColumnKind::kBoolean), std::nullopt);
}

TEST(PgCopyTest, TimestampTakesWhatPostgresHoldsAsTheSameInstant) {
  EXPECT_EQ(Cell(Value::String("2024-03-01T02:30:00+02:30"), PgColumnKind::kTimestamp),
            "2024-03-01T02:30:00+02:30");
  EXPECT_EQ(Cell(Value::String("2024-01-01T00:00:00-15:59"), PgColumnKind::kTimestamp),
            "2024-01-01T00:00:00-15:59");
  for (const char* bad : {"yesterday", "2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z",
                          "2024-01-01T00:00:00+16:00", ""}) {
    EXPECT_EQ(Cell(Value::String(bad), PgColumnKind::kTimestamp), std::nullopt) << bad;
  }
  EXPECT_EQ(Cell(Value::Int(0), PgColumnKind::kTimestamp), std::nullopt);
}

TEST(PgCopyTest, JsonbTakesAnyValueAsJsonAndReplacesEscapedNul) {
  EXPECT_EQ(Cell(Value::String("a string"), PgColumnKind::kJsonb), "\"a string\"");
  EXPECT_EQ(Cell(Value::Double(1.5), PgColumnKind::kJsonb), "1.5");
  EXPECT_EQ(Cell(Value::Bool(false), PgColumnKind::kJsonb), "false");
  int64_t nuls = 0;
  EXPECT_EQ(Cell(Value::Json(R"({"k":"x\u0000y","e":"\\u0000"})"), PgColumnKind::kJsonb, &nuls),
            R"({"k":"x\\ufffdy","e":"\\\\u0000"})");
  EXPECT_EQ(nuls, 1);
}

}  // namespace
}  // namespace segsync
