// SPDX-License-Identifier: Apache-2.0
#include "core/clock.h"

#include <gtest/gtest.h>

namespace segsync {
namespace {

TEST(Clock, Rfc3339RoundTripsWithMillisecondsAndOffsets) {
  auto t = ParseRfc3339("2022-03-04T21:29:22Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339Millis(*t), "2022-03-04T21:29:22.000Z");
  auto frac = ParseRfc3339("2006-01-02T15:04:05.123456Z");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(FormatRfc3339Millis(*frac), "2006-01-02T15:04:05.123Z");
  auto offset = ParseRfc3339("2024-01-01T01:30:00+01:30");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(FormatRfc3339Millis(*offset), "2024-01-01T00:00:00.000Z");
  EXPECT_FALSE(ParseRfc3339("2024-01-01").ok());
  EXPECT_FALSE(ParseRfc3339("2024-13-01T00:00:00Z").ok());
}

TEST(Clock, Rfc5322DatesParseAndFormat) {
  auto t = ParseRfc5322("Tue, 01 Jul 2025 10:00:00 GMT");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339Millis(*t), "2025-07-01T10:00:00.000Z");
  EXPECT_EQ(FormatRfc5322(*t), "Tue, 01 Jul 2025 10:00:00 GMT");
}

TEST(Clock, MonthsStepAcrossYearEnds) {
  auto t = ParseRfc3339("2024-12-15T10:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatDate(StartOfMonth(*t)), "2024-12-01");
  EXPECT_EQ(FormatDate(StartOfNextMonth(*t)), "2025-01-01");
  auto feb = ParseRfc3339("2024-02-29T23:59:59Z");
  ASSERT_TRUE(feb.ok());
  EXPECT_EQ(FormatDate(StartOfNextMonth(*feb)), "2024-03-01");
}

TEST(Clock, StartDateFormsAgree) {
  auto a = ParseStartDate("01/31/2024");
  auto b = ParseStartDate("2024-01-31");
  auto c = ParseStartDate("2024-01-31T00:00:00Z");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*b, *c);
  EXPECT_FALSE(ParseStartDate("31/01/2024").ok());
}

}  // namespace
}  // namespace segsync
