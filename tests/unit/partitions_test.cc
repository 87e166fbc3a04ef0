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

TEST(Partitions, TheAuditWindowStartsAtTheStartDateOrJustBeforeTheBookmark) {
  const StreamSpec& spec = *FindStream("audit_events");
  PartitionOptions options;
  options.start_date = *ParseStartDate("2020-01-01");
  ASSERT_OK_AND_ASSIGN(auto fresh, PlanPartitions(spec, nullptr, std::nullopt, kNow, options));
  ASSERT_EQ(fresh.partitions.size(), 1u);
  // Nothing assumed about how long the API keeps events: the start date, years back, as is.
  EXPECT_EQ(fresh.partitions[0].query, (QueryParams{{"startTime", "2020-01-01T00:00:00.000Z"},
                                                    {"endTime", FormatRfc3339Millis(kNow)}}));

  const UnixMillis bookmark = kNow - 3'600'000;
  ASSERT_OK_AND_ASSIGN(auto resumed, PlanPartitions(spec, nullptr, bookmark, kNow, options));
  EXPECT_EQ(resumed.partitions[0].query[0].second, FormatRfc3339Millis(bookmark - 1));

  const UnixMillis old_bookmark = kNow - int64_t{200} * 86'400'000;
  ASSERT_OK_AND_ASSIGN(auto stale, PlanPartitions(spec, nullptr, old_bookmark, kNow, options));
  EXPECT_EQ(stale.partitions[0].query[0].second, FormatRfc3339Millis(old_bookmark - 1));
}

TEST(Partitions, AFannedOutParameterIsOnePartitionPerValue) {
  const StreamSpec& spec = *FindStream("functions");
  EXPECT_EQ(spec.partitioning, Partitioning::kQueryValues);
  ASSERT_OK_AND_ASSIGN(auto plan, PlanPartitions(spec, nullptr, std::nullopt, kNow, {}));
  ASSERT_EQ(plan.partitions.size(), 3u);
  std::vector<std::string> values;
  for (const auto& partition : plan.partitions) {
    EXPECT_EQ(partition.path, "/functions");
    ASSERT_EQ(partition.query.size(), 1u);
    EXPECT_EQ(partition.query[0].first, "resourceType");
    values.push_back(partition.query[0].second);
  }
  EXPECT_EQ(values, (std::vector<std::string>{"SOURCE", "DESTINATION", "INSERT_DESTINATION"}));
}

const int64_t kDay = 86'400'000;

/// The windows of a day-window plan as [start, end) pairs, checking the fixed query too.
std::vector<std::pair<UnixMillis, UnixMillis>> Windows(const PartitionPlan& plan) {
  std::vector<std::pair<UnixMillis, UnixMillis>> out;
  for (const auto& partition : plan.partitions) {
    EXPECT_EQ(partition.path, "/events/volume");
    EXPECT_EQ(partition.query, (QueryParams{{"startTime", partition.query[0].second},
                                            {"endTime", partition.query[1].second},
                                            {"granularity", "DAY"},
                                            {"groupBy", "source,eventName,eventType"}}));
    out.emplace_back(*ParseRfc3339(partition.query[0].second),
                     *ParseRfc3339(partition.query[1].second));
  }
  return out;
}

TEST(Partitions, DayWindowsCoverTheRangeWithoutGapsOrOverlapsWithinTheLimit) {
  const StreamSpec& spec = *FindStream("event_volume_daily");
  EXPECT_EQ(spec.partitioning, Partitioning::kDayWindows);
  PartitionOptions options;
  options.start_date =
      *ParseStartDate("2026-01-15") + int64_t{5} * 3'600'000;  // its day counts whole
  const UnixMillis tomorrow = kNow + int64_t{12} * 3'600'000;
  ASSERT_OK_AND_ASSIGN(auto plan, PlanPartitions(spec, nullptr, std::nullopt, kNow, options));
  auto windows = Windows(plan);
  ASSERT_FALSE(windows.empty());
  EXPECT_EQ(windows.front().first, *ParseStartDate("2026-01-15"));
  // The last window is first asked for as documented, a minute behind the clock; its
  // boundary form, the one a refusal leads to first, is the next midnight.
  EXPECT_EQ(windows.back().second, kNow - 60'000);
  ASSERT_EQ(plan.partitions.back().end_time_fallbacks,
            (std::vector<UnixMillis>{tomorrow, tomorrow - kDay}));
  windows.back().second = plan.partitions.back().end_time_fallbacks.front();
  // Through the end of today: every bound is a midnight, as DAY buckets are.
  EXPECT_EQ(windows.back().second, tomorrow);
  for (size_t i = 0; i < windows.size(); ++i) {
    const auto& [start, end] = windows[i];
    EXPECT_LT(start, end);
    EXPECT_LE(end - start, spec.day_window_days * kDay);
    EXPECT_LE(spec.day_window_days, 14) << "the widest DAY window the API documents";
    EXPECT_EQ(start % kDay, 0) << "windows start at 00:00 UTC";
    EXPECT_EQ(end % kDay, 0) << "and end at 00:00 UTC";
    if (i + 1 < windows.size()) {
      EXPECT_TRUE(plan.partitions[i].end_time_fallbacks.empty()) << "past midnights: taken";
      EXPECT_EQ(end, windows[i + 1].first) << "no gap, no overlap";
      EXPECT_EQ(end - start, spec.day_window_days * kDay) << "only the last is short";
    }
  }
  const int64_t width = spec.day_window_days * kDay;
  EXPECT_EQ(windows.size(),
            static_cast<size_t>((tomorrow - windows.front().first + width - 1) / width));
}

TEST(Partitions, DayWindowsStartAgainAtTheBookmarksDaySoTheLastDayIsReRead) {
  const StreamSpec& spec = *FindStream("event_volume_daily");
  PartitionOptions options;
  options.start_date = *ParseStartDate("2025-01-01");
  const UnixMillis today = kNow - int64_t{12} * 3'600'000;
  ASSERT_OK_AND_ASSIGN(auto plan, PlanPartitions(spec, nullptr, today, kNow, options));
  EXPECT_EQ(Windows(plan),
            (std::vector<std::pair<UnixMillis, UnixMillis>>{{today, kNow - 60'000}}));
  EXPECT_EQ(plan.partitions.back().end_time_fallbacks,
            (std::vector<UnixMillis>{today + kDay, today}));
  EXPECT_EQ(DayWindows(today, kNow, spec.day_window_days),
            (std::vector<std::pair<UnixMillis, UnixMillis>>{{today, today + kDay}}));
  ASSERT_OK_AND_ASSIGN(auto two, PlanPartitions(spec, nullptr, today - kDay + 5, today, options));
  EXPECT_EQ(Windows(two),
            (std::vector<std::pair<UnixMillis, UnixMillis>>{{today - kDay, today - 60'000}}));
  EXPECT_EQ(DayWindows(today - kDay + 5, today, spec.day_window_days),
            (std::vector<std::pair<UnixMillis, UnixMillis>>{{today - kDay, today + kDay}}));
}

// --- The open day window's endTime: which form a server takes is undocumented. ---

Status EndTimeRefusal(const std::string& message) {
  return {StatusCode::kInvalid,
          "GET /events/volume answered HTTP 422 ValidationFailure: " + message + " (field endTime)",
          422};
}

/// The plan of event volume from `bookmark` at `now`.
PartitionPlan VolumePlan(UnixMillis bookmark, UnixMillis now) {
  PartitionOptions options;
  auto plan = PlanPartitions(*FindStream("event_volume_daily"), nullptr, bookmark, now, options);
  EXPECT_OK(plan.status());
  return plan.ok() ? *std::move(plan) : PartitionPlan{};
}

std::string EndTimeOf(const QueryParams& query) {
  for (const auto& [key, value] : query) {
    if (key == "endTime") {
      return value;
    }
  }
  return "";
}

TEST(EndTimeRetry, TheDocumentedFormIsAMinuteBehindTheClockOnTheMinute) {
  const UnixMillis today = kNow - int64_t{12} * 3'600'000;
  EXPECT_EQ(OpenDayWindowEnd(today, today + kDay, kNow + 59'999), kNow - 60'000);
  EXPECT_EQ(OpenDayWindowEnd(today, today + kDay, kNow + 60'000), kNow);
  // In a day's first minute it would not be after the window's start: the midnight then.
  EXPECT_EQ(OpenDayWindowEnd(today, today + kDay, today + 30'000), today + kDay);
  EXPECT_EQ(OpenDayWindowEnd(today, today + kDay, today + 60'000), today + kDay);
  // A window of two days holds yesterday's last minute.
  EXPECT_EQ(OpenDayWindowEnd(today - kDay, today + kDay, today + 30'000), today - 60'000);
}

TEST(EndTimeRetry, ARefusedEndTimeIsSentAgainAsTheNextMidnightThenAsToday) {
  const UnixMillis today = kNow - int64_t{12} * 3'600'000;
  const PartitionPlan plan = VolumePlan(today - 3 * kDay, kNow);
  ASSERT_EQ(plan.partitions.size(), 1u);
  const Partition& open = plan.partitions.back();
  EXPECT_EQ(EndTimeOf(open.query), FormatRfc3339Millis(kNow - 60'000));
  const Status boundary = EndTimeRefusal("\"endTime\" must fall on a DAY boundary (UTC)");
  auto first = EndTimeRetryQuery(open, open.query, boundary);
  ASSERT_TRUE(first.has_value());
  QueryParams expected = open.query;
  expected[1].second = FormatRfc3339Millis(today + kDay);  // everything else kept
  EXPECT_EQ(*first, expected);
  auto second = EndTimeRetryQuery(open, *first, EndTimeRefusal("must not be in the future"));
  ASSERT_TRUE(second.has_value());
  expected[1].second = FormatRfc3339Millis(today);
  EXPECT_EQ(*second, expected);
  // Today's midnight refused too: that refusal stands.
  EXPECT_FALSE(EndTimeRetryQuery(open, *second, boundary));
}

TEST(EndTimeRetry, AWindowOfTodayOnlyWhoseFormsAreAllRefusedIsLeftToALaterRun) {
  const UnixMillis today = kNow - int64_t{12} * 3'600'000;
  const PartitionPlan plan = VolumePlan(today, kNow);
  ASSERT_EQ(plan.partitions.size(), 1u);
  const Partition& open = plan.partitions.back();
  const Status refusal = EndTimeRefusal("\"endTime\" must not be in the future");
  auto first = EndTimeRetryQuery(open, open.query, refusal);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(EndTimeOf(*first), FormatRfc3339Millis(today + kDay));
  auto second = EndTimeRetryQuery(open, *first, refusal);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->empty()) << "nothing left to ask for";

  // In the day's first minute the midnight is the first form, today the only other.
  const PartitionPlan early = VolumePlan(today, today + 30'000);
  ASSERT_EQ(early.partitions.size(), 1u);
  EXPECT_EQ(EndTimeOf(early.partitions[0].query), FormatRfc3339Millis(today + kDay));
  auto only = EndTimeRetryQuery(early.partitions[0], early.partitions[0].query, refusal);
  ASSERT_TRUE(only.has_value());
  EXPECT_TRUE(only->empty());
}

TEST(EndTimeRetry, EachFormIsSentOnceEvenWhenTheDocumentedOneIsAMidnight) {
  // A minute after midnight, a window of two days: the documented form is today's midnight.
  const UnixMillis today = kNow - int64_t{12} * 3'600'000;
  const PartitionPlan plan = VolumePlan(today - kDay, today + 90'000);
  ASSERT_EQ(plan.partitions.size(), 1u);
  const Partition& open = plan.partitions[0];
  EXPECT_EQ(EndTimeOf(open.query), FormatRfc3339Millis(today));
  EXPECT_EQ(open.end_time_fallbacks, (std::vector<UnixMillis>{today + kDay}));
  const Status refusal = EndTimeRefusal("\"endTime\" is not accepted");
  auto next = EndTimeRetryQuery(open, open.query, refusal);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(EndTimeOf(*next), FormatRfc3339Millis(today + kDay));
  EXPECT_FALSE(EndTimeRetryQuery(open, *next, refusal)) << "every form was refused";
}

TEST(EndTimeRetry, OtherRefusalsAndPastWindowsAreNotRetried) {
  const UnixMillis today = kNow - int64_t{12} * 3'600'000;
  const PartitionPlan plan = VolumePlan(today - 40 * kDay, kNow);
  ASSERT_GE(plan.partitions.size(), 2u);
  const Status refusal = EndTimeRefusal("\"endTime\" must not be in the future");
  // A past window ends on a midnight every server takes: a refusal of it (say, its length)
  // stands rather than shrink it and lose days.
  EXPECT_FALSE(EndTimeRetryQuery(plan.partitions[0], plan.partitions[0].query, refusal));
  const Partition& open = plan.partitions.back();
  EXPECT_FALSE(EndTimeRetryQuery(
      open, open.query, Status(StatusCode::kInvalid, "bad startTime (field startTime)", 422)));
  EXPECT_FALSE(EndTimeRetryQuery(open, open.query, Status(StatusCode::kTransient, "endTime", 500)));
  EXPECT_FALSE(EndTimeRetryQuery(open, open.query, Status::Ok()));
  EXPECT_TRUE(RefusesEndTime(Status(StatusCode::kInvalid, "endTime", 400)));
  EXPECT_FALSE(RefusesEndTime(Status(StatusCode::kInvalid, "endTime", 409)));
  // A query whose endTime is none of the window's forms is not this window's.
  QueryParams other = open.query;
  other[1].second = FormatRfc3339Millis(today - kDay);
  EXPECT_FALSE(EndTimeRetryQuery(open, other, refusal));
}

const int64_t kMargin = int64_t{10} * 60'000;

QueryParams AuditQuery(UnixMillis start) {
  return {{"startTime", FormatRfc3339Millis(start)},
          {"endTime", FormatRfc3339Millis(kNow)},
          {"resourceType", "source"}};
}

Status Refusal(int http_status, const std::string& message) {
  return {StatusCode::kInvalid,
          "GET /audit-events answered HTTP " + std::to_string(http_status) + " " + message,
          http_status};
}

TEST(AuditRetry, ARefusalNamingStartTimeRetriesFrom90DaysBeforeTheWindowsEnd) {
  const UnixMillis start = kNow - 365 * kDay;
  // Segment's envelope; the refused value is echoed, which is not a time the server accepts.
  const Status refusal = Refusal(422, "ValidationFailure: startTime " + FormatRfc3339Millis(start) +
                                          " is older than the audit trail keeps (field startTime)");
  EXPECT_TRUE(RefusesStartTime(refusal));
  auto retry = AuditRetryQuery(AuditQuery(start), refusal);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(*retry, AuditQuery(kNow - 90 * kDay + kMargin));  // the other parameters kept
}

TEST(AuditRetry, TheOldestTimeTheServerNamesWins) {
  const UnixMillis start = kNow - 365 * kDay;
  const UnixMillis oldest = kNow - 30 * kDay;
  auto retry = AuditRetryQuery(
      AuditQuery(start), Refusal(400, "input-validation: \"startTime\" must be after " +
                                          FormatRfc3339Millis(oldest) + ". (field startTime)"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(*retry, AuditQuery(oldest + kMargin));
  // Seconds without a fraction, and an offset, are times too.
  retry = AuditRetryQuery(AuditQuery(start),
                          Refusal(422, "startTime too old; earliest 2026-11-01T02:00:00+02:00"));
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->front().second, "2026-11-01T00:10:00.000Z");
}

TEST(AuditRetry, OtherFailuresAreNotRetried) {
  const QueryParams query = AuditQuery(kNow - 365 * kDay);
  // Not about startTime, not a validation error, or no error at all.
  EXPECT_FALSE(AuditRetryQuery(query, Refusal(422, "ValidationFailure (field endTime)")));
  EXPECT_FALSE(AuditRetryQuery(query, Status(StatusCode::kTransient, "startTime 500", 500)));
  EXPECT_FALSE(AuditRetryQuery(query, Status(StatusCode::kNotEntitled, "startTime", 403)));
  EXPECT_FALSE(AuditRetryQuery(query, Status::Ok()));
  EXPECT_FALSE(RefusesStartTime(Status(StatusCode::kInvalid, "startTime", 409)));
}

TEST(AuditRetry, ARefusedStartAlreadyWithinTheRetentionIsNotRetried) {
  // Retrying later than asked would not help: the refusal is about something else.
  const Status refusal = Refusal(422, "ValidationFailure: bad startTime (field startTime)");
  EXPECT_FALSE(AuditRetryQuery(AuditQuery(kNow - 3'600'000), refusal));
  // A named time at or after the window's end leaves nothing to ask for.
  EXPECT_FALSE(AuditRetryQuery(
      AuditQuery(kNow - 365 * kDay),
      Refusal(422, "startTime must be after " + FormatRfc3339Millis(kNow) + " (field startTime)")));
  // Without both bounds there is no window to move.
  EXPECT_FALSE(
      AuditRetryQuery({{"startTime", "2020-01-01T00:00:00Z"}}, Refusal(422, "(field startTime)")));
}

}  // namespace
}  // namespace segsync
