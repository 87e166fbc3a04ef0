// SPDX-License-Identifier: Apache-2.0
// Bookmarks: the state's format, reading it from a destination, and advancing.
#include "sync/bookmarks.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "status_matchers.h"

namespace segsync {
namespace {

Record WithCursor(const std::string& timestamp) {
  Record r;
  r.Set("timestamp", Value::String(timestamp));
  return r;
}

TEST(Bookmarks, RoundTripThroughTheState) {
  const std::string state = StateWithBookmark("2026-11-01T00:00:00Z");
  EXPECT_EQ(state, R"({"bookmark":"2026-11-01T00:00:00Z"})");
  EXPECT_EQ(BookmarkFromState(state), "2026-11-01T00:00:00Z");
}

TEST(Bookmarks, NoOrAnUnreadableStateIsNoBookmark) {
  EXPECT_EQ(BookmarkFromState(std::nullopt), std::nullopt);
  EXPECT_EQ(BookmarkFromState(std::string("not json")), std::nullopt);
  EXPECT_EQ(BookmarkFromState(std::string(R"({"other":1})")), std::nullopt);
}

TEST(Bookmarks, AreReadFromTheDestinationsState) {
  testing::MemoryDestination destination;
  ASSERT_OK_AND_ASSIGN(auto none, ReadBookmark(destination, "audit_events"));
  EXPECT_EQ(none, std::nullopt);
  destination.state["audit_events"] = StateWithBookmark("2026-11-01T00:00:00Z");
  ASSERT_OK_AND_ASSIGN(auto some, ReadBookmark(destination, "audit_events"));
  EXPECT_EQ(some, "2026-11-01T00:00:00Z");
}

TEST(Bookmarks, AdvanceOnlyToALaterTimestamp) {
  Bookmark bookmark(std::string("2026-11-02T00:00:00.000Z"));
  ASSERT_TRUE(bookmark.at().has_value());
  bookmark.Advance(WithCursor("2026-11-01T00:00:00.000Z"), "timestamp");
  EXPECT_EQ(bookmark.text(), "2026-11-02T00:00:00.000Z");
  bookmark.Advance(WithCursor("not a time"), "timestamp");
  bookmark.Advance(Record(), "timestamp");
  EXPECT_EQ(bookmark.text(), "2026-11-02T00:00:00.000Z");
  bookmark.Advance(WithCursor("2026-11-03T00:00:00Z"), "timestamp");
  EXPECT_EQ(bookmark.text(), "2026-11-03T00:00:00Z");  // kept as written
  EXPECT_EQ(bookmark.at(), *ParseRfc3339("2026-11-03T00:00:00Z"));
}

TEST(Bookmarks, AStoredBookmarkThatIsNoTimestampIsIgnored) {
  Bookmark bookmark(std::string("yesterday"));
  EXPECT_FALSE(bookmark.at().has_value());
  EXPECT_TRUE(bookmark.text().empty());
}

}  // namespace
}  // namespace segsync
