// SPDX-License-Identifier: Apache-2.0
// Clock: timestamp and date parsing and formatting, and calendar arithmetic.
#include "core/clock.h"

#include <gtest/gtest.h>

#include "status_matchers.h"

namespace segsync {
namespace {

TEST(Clock, Rfc3339RoundTripsWithMillisecondsAndOffsets) {
  ASSERT_OK_AND_ASSIGN(auto t, ParseRfc3339("2022-03-04T21:29:22Z"));
  EXPECT_EQ(FormatRfc3339Millis(t), "2022-03-04T21:29:22.000Z");
  ASSERT_OK_AND_ASSIGN(auto frac, ParseRfc3339("2006-01-02T15:04:05.123456Z"));
  EXPECT_EQ(FormatRfc3339Millis(frac), "2006-01-02T15:04:05.123Z");
  ASSERT_OK_AND_ASSIGN(auto offset, ParseRfc3339("2024-01-01T01:30:00+01:30"));
  EXPECT_EQ(FormatRfc3339Millis(offset), "2024-01-01T00:00:00.000Z");
  EXPECT_FALSE(ParseRfc3339("2024-01-01").ok());
  EXPECT_FALSE(ParseRfc3339("2024-13-01T00:00:00Z").ok());
}

TEST(Clock, Rfc5322DatesParseAndFormat) {
  ASSERT_OK_AND_ASSIGN(auto t, ParseRfc5322("Tue, 01 Jul 2025 10:00:00 GMT"));
  EXPECT_EQ(FormatRfc3339Millis(t), "2025-07-01T10:00:00.000Z");
  EXPECT_EQ(FormatRfc5322(t), "Tue, 01 Jul 2025 10:00:00 GMT");
}

TEST(Clock, MonthsStepAcrossYearEnds) {
  ASSERT_OK_AND_ASSIGN(auto t, ParseRfc3339("2024-12-15T10:00:00Z"));
  EXPECT_EQ(FormatDate(StartOfMonth(t)), "2024-12-01");
  EXPECT_EQ(FormatDate(StartOfNextMonth(t)), "2025-01-01");
  ASSERT_OK_AND_ASSIGN(auto feb, ParseRfc3339("2024-02-29T23:59:59Z"));
  EXPECT_EQ(FormatDate(StartOfNextMonth(feb)), "2024-03-01");
}

TEST(Clock, StartDateFormsAgree) {
  ASSERT_OK_AND_ASSIGN(auto a, ParseStartDate("01/31/2024"));
  ASSERT_OK_AND_ASSIGN(auto b, ParseStartDate("2024-01-31"));
  ASSERT_OK_AND_ASSIGN(auto c, ParseStartDate("2024-01-31T00:00:00Z"));
  EXPECT_EQ(a, b);
  EXPECT_EQ(b, c);
  EXPECT_FALSE(ParseStartDate("31/01/2024").ok());
}

}  // namespace
}  // namespace segsync
