// SPDX-License-Identifier: Apache-2.0
// SplitDataList: finding a page's list and its items without parsing them.
#include "api/list_split.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace segsync {
namespace {

std::vector<std::string> ItemsOf(std::string_view body, std::string_view key) {
  auto split = SplitDataList(body, key);
  EXPECT_TRUE(split.has_value()) << body;
  std::vector<std::string> items;
  if (split) {
    EXPECT_EQ(body[split->open], '[');
    EXPECT_EQ(body[split->close], ']');
    for (const auto& [begin, end] : split->items) {
      items.emplace_back(body.substr(begin, end - begin));
    }
  }
  return items;
}

TEST(ListSplit, FindsEachItemOfTheDataList) {
  EXPECT_EQ(ItemsOf(R"({"data":{"users":[{"id":1}, {"id":2} ,3],"pagination":{}}})", "users"),
            (std::vector<std::string>{R"({"id":1})", R"({"id":2})", "3"}));
}

TEST(ListSplit, StringsMayHoldBracketsCommasAndEscapedQuotes) {
  EXPECT_EQ(ItemsOf(R"({"data":{"u":[{"a":"],[{\"}"},{"b":"\\"},{"c":"\\\""}]}})", "u"),
            (std::vector<std::string>{R"({"a":"],[{\"}"})", R"({"b":"\\"})", R"({"c":"\\\""})"}));
}

TEST(ListSplit, AnEmptyListHasNoItems) {
  auto split = SplitDataList(R"({"data":{"u":[ ],"pagination":{"next":"x"}}})", "u");
  ASSERT_TRUE(split.has_value());
  EXPECT_TRUE(split->items.empty());
}

TEST(ListSplit, OnlyTheListDirectlyUnderDataCounts) {
  // The same key nested deeper, or outside `data`, is not the list.
  EXPECT_EQ(ItemsOf(R"({"meta":{"u":[9]},"data":{"x":{"u":[8]},"u":[1]}})", "u"),
            (std::vector<std::string>{"1"}));
  EXPECT_FALSE(SplitDataList(R"({"data":{"x":{"u":[8]}},"u":[1]})", "u").has_value());
}

TEST(ListSplit, OtherShapesAndCutBodiesAreLeftToTheParser) {
  EXPECT_FALSE(SplitDataList(R"({"data":{"u":null}})", "u").has_value());
  EXPECT_FALSE(SplitDataList(R"({"data":{"u":{"id":1}}})", "u").has_value());
  EXPECT_FALSE(SplitDataList(R"({"data":{"u":[{"id":1},{"id":)", "u").has_value());
  EXPECT_FALSE(SplitDataList(R"({"data":{"u":[{"id":"1)", "u").has_value());
  EXPECT_FALSE(SplitDataList(R"({"data":{"u":[1,,2]}})", "u").has_value());
  EXPECT_FALSE(SplitDataList(R"({"data":{"u":[1}]}})", "u").has_value());
  EXPECT_FALSE(SplitDataList("", "u").has_value());
}

}  // namespace
}  // namespace segsync
