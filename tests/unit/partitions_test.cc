// SPDX-License-Identifier: Apache-2.0
// PlanPartitions: each partitioning kind, as a pure function of what the read knows.
#include "sync/partitions.h"

#include <gtest/gtest.h>

#include "status_matchers.h"

namespace segsync {
namespace {

const UnixMillis kNow = DaysFromCivil(2026, 11, 28) * 86'400'000 + int64_t{12} * 3'600'000;

Record Parent(std::initializer_list<std::pair<std::string, std::string>> fields) {
  Record r;
  for (const auto& [k, v] : fields) {
    r.Set(k, Value::String(v));
  }
  return r;
}

TEST(Partitions, ATopLevelListIsOnePartitionWithoutQuery) {
  ASSERT_OK_AND_ASSIGN(auto plan,
                       PlanPartitions(*FindStream("users"), nullptr, std::nullopt, kNow, {}));
  ASSERT_EQ(plan.partitions.size(), 1u);
  EXPECT_EQ(plan.partitions[0].path, "/users");
  EXPECT_TRUE(plan.partitions[0].query.empty());
  EXPECT_TRUE(plan.injected_constants.empty());
}

TEST(Partitions, AChildHasOnePartitionPerParentWithItsIds) {
  const std::vector<Record> parents = {Parent({{"id", "s 1"}}), Parent({{"name", "no id"}}),
                                       Parent({{"id", "s2"}})};
  ASSERT_OK_AND_ASSIGN(auto plan, PlanPartitions(*FindStream("source_connected_warehouses"),
                                                 &parents, std::nullopt, kNow, {}));
  ASSERT_EQ(plan.partitions.size(), 2u);  // the parent without an id is skipped
  EXPECT_EQ(plan.partitions[0].path, "/sources/s%201/connected-warehouses");
  EXPECT_EQ(plan.partitions[0].parent, &parents[0]);
  EXPECT_EQ(plan.partitions[1].path, "/sources/s2/connected-warehouses");
  EXPECT_EQ(plan.partitions[1].parent, &parents[2]);
}

TEST(Partitions, AChildWithoutItsParentsKeysIsAnError) {
  auto plan =
      PlanPartitions(*FindStream("source_connected_warehouses"), nullptr, std::nullopt, kNow, {});
  EXPECT_EQ(plan.status().code(), StatusCode::kInternal);
}

TEST(Partitions, TheDeliveryWindowIsOneWindowForEveryParentAndEveryRecord) {
  const StreamSpec& spec = *FindStream("destination_delivery_metrics_summary");
  EXPECT_EQ(spec.partitioning, Partitioning::kDeliveryWindow);
  const std::vector<Record> parents = {Parent({{"id", "d1"}, {"sourceId", "s1"}}),
                                       Parent({{"id", "d2"}, {"sourceId", "s2"}})};
  PartitionOptions options;
  options.delivery_window_minutes = 60;
  ASSERT_OK_AND_ASSIGN(auto plan, PlanPartitions(spec, &parents, std::nullopt, kNow, options));
  const QueryParams window = DeliveryWindowQuery(kNow, 60, "HOUR");
  ASSERT_EQ(plan.partitions.size(), 2u);
  EXPECT_EQ(plan.partitions[1].path, "/destinations/d2/delivery-metrics");
  QueryParams expected = {{"sourceId", "s2"}};
  expected.insert(expected.end(), window.begin(), window.end());
  EXPECT_EQ(plan.partitions[1].query, expected);
  ASSERT_EQ(plan.injected_constants.size(), 2u);
  EXPECT_EQ(plan.injected_constants[0].first, "startTime");
  EXPECT_EQ(plan.injected_constants[0].second.text, window[0].second);
  EXPECT_EQ(plan.injected_constants[1].first, "endTime");
  EXPECT_EQ(plan.injected_constants[1].second.text, window[1].second);
}

TEST(Partitions, TheDeliveryWindowStaysWithinTheGranularitysLimit) {
  const QueryParams window = DeliveryWindowQuery(kNow + 999, int64_t{30} * 24 * 60, "HOUR");
  EXPECT_EQ(window[1].second, FormatRfc3339Millis(kNow));  // whole seconds
  // HOUR allows seven days back; a minute of margin.
  EXPECT_EQ(window[0].second, FormatRfc3339Millis(kNow - int64_t{7} * 86'400'000 + 60'000));
  EXPECT_EQ(window[2].second, "HOUR");
}

TEST(Partitions, UsageIsOnePartitionPerMonthFromTheBookmarksThroughNows) {
  const StreamSpec& spec = *FindStream("usage_mtu_workspace_daily");
  PartitionOptions options;
  options.start_date = *ParseStartDate("2026-06-10");
  ASSERT_OK_AND_ASSIGN(auto from_start, PlanPartitions(spec, nullptr, std::nullopt, kNow, options));
  ASSERT_EQ(from_start.partitions.size(), 6u);  // June through November
  EXPECT_EQ(from_start.partitions[0].query, (QueryParams{{"period", "2026-06-01"}}));
  EXPECT_EQ(from_start.partitions[5].query, (QueryParams{{"period", "2026-11-01"}}));
  EXPECT_EQ(from_start.partitions[5].month, StartOfMonth(kNow));

  ASSERT_OK_AND_ASSIGN(
      auto from_bookmark,
      PlanPartitions(spec, nullptr, *ParseRfc3339("2026-10-31T00:00:00.000Z"), kNow, options));
  ASSERT_EQ(from_bookmark.partitions.size(), 2u);  // October (the bookmark's) and November
  EXPECT_EQ(from_bookmark.partitions[0].query, (QueryParams{{"period", "2026-10-01"}}));
}

TEST(Partitions, TheAuditWindowStartsJustBeforeTheBookmarkWithin90Days) {
  const StreamSpec& spec = *FindStream("audit_events");
  PartitionOptions options;
  options.start_date = *ParseStartDate("2020-01-01");
  ASSERT_OK_AND_ASSIGN(auto fresh, PlanPartitions(spec, nullptr, std::nullopt, kNow, options));
  ASSERT_EQ(fresh.partitions.size(), 1u);
  const int64_t days90 = int64_t{90} * 86'400'000;
  EXPECT_EQ(fresh.partitions[0].query,
            (QueryParams{{"startTime", FormatRfc3339Millis(kNow - days90)},
                         {"endTime", FormatRfc3339Millis(kNow)}}));

  const UnixMillis bookmark = kNow - 3'600'000;
  ASSERT_OK_AND_ASSIGN(auto resumed, PlanPartitions(spec, nullptr, bookmark, kNow, options));
  EXPECT_EQ(resumed.partitions[0].query[0].second, FormatRfc3339Millis(bookmark - 1));
}

}  // namespace
}  // namespace segsync
