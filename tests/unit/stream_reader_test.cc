// SPDX-License-Identifier: Apache-2.0
// The stream reader on its own: pages, slices, pauses, cursors, injected fields, vanished parents.
#include "sync/stream_reader.h"

#include <gtest/gtest.h>

#include "fakes.h"
#include "list_page.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using testing::FakeClock;
using testing::FakeHttpClient;
using testing::Page;

constexpr char kBase[] = "http://api.test";
const UnixMillis kNow = DaysFromCivil(2026, 11, 28) * 86'400'000;

/// One stream's reader over a scripted client, collecting what it hands on.
struct ReaderHarness {
  FakeHttpClient http;
  FakeClock clock{kNow};
  RateLimitPacer pacer{clock};
  ClientOptions client_options{kBase, "tok-secret", "us", {}, 30};
  std::unique_ptr<SegmentClient> client;
  const StreamSpec& spec;
  TableSpec table;
  std::unique_ptr<RecordBuilder> builder;
  std::vector<std::pair<std::string, Value>> constants;
  ReaderOptions options;
  std::vector<Slice> slices;
  RequestStats stats;
  simdjson::dom::parser parser;

  explicit ReaderHarness(std::string_view stream) : spec(*FindStream(stream)) {
    client_options.retry.max_retries = 0;
    client = std::make_unique<SegmentClient>(http, pacer, clock, client_options);
    table = *TableSpecFor(spec);
    builder = std::make_unique<RecordBuilder>(table);
  }

  Status Read(
      const Partition& partition, ChainProgress& progress, bool* paused = nullptr,
      const PauseCheck& should_pause = [] { return false; }) {
    bool ignored = false;
    const StreamReader reader(spec, *builder, constants, options);
    return reader.Read(
        partition, progress, *client, parser, stats,
        [this](Slice slice) {
          slices.push_back(std::move(slice));
          return Status::Ok();
        },
        should_pause, paused != nullptr ? paused : &ignored);
  }

  std::vector<std::string> Texts(std::string_view field) const {
    std::vector<std::string> out;
    for (const auto& slice : slices) {
      for (const auto& record : slice.records) {
        const Value* v = record.Find(field);
        out.push_back(v == nullptr ? "-" : v->text);
      }
    }
    return out;
  }
};

TEST(StreamReader, FollowsTheCursorAndHandsOnEachPage) {
  ReaderHarness h("users");
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1"},{"id":"u2"})", "Mg=="));
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000&pagination.cursor=Mg%3D%3D", 200,
                Page("users", R"({"id":"u3"})"));
  ChainProgress progress;
  ASSERT_OK(h.Read({"/users", {}, nullptr, std::nullopt, {}}, progress));
  ASSERT_EQ(h.slices.size(), 2u);
  EXPECT_TRUE(h.slices[0].page_done);
  EXPECT_GT(h.slices[0].bytes, 0u);
  EXPECT_EQ(h.Texts("id"), (std::vector<std::string>{"u1", "u2", "u3"}));
  EXPECT_EQ(h.stats.requests, 2);
}

TEST(StreamReader, ABigPageIsHandedOnInSlices) {
  ReaderHarness h("users");
  h.options.slice_bytes = 1;  // every record fills a slice
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1"},{"id":"u2"})"));
  ChainProgress progress;
  ASSERT_OK(h.Read({"/users", {}, nullptr, std::nullopt, {}}, progress));
  ASSERT_EQ(h.slices.size(), 3u);  // one per record, then the page's (empty) last slice
  EXPECT_FALSE(h.slices[0].page_done);
  EXPECT_FALSE(h.slices[1].page_done);
  EXPECT_TRUE(h.slices[2].page_done);
  EXPECT_TRUE(h.slices[2].records.empty());
}

TEST(StreamReader, PausesBetweenPagesAndResumesFromItsProgress) {
  ReaderHarness h("users");
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1"})", "Mg=="));
  ChainProgress progress;
  bool paused = false;
  const Partition partition{"/users", {}, nullptr, std::nullopt, {}};
  ASSERT_OK(h.Read(partition, progress, &paused, [] { return true; }));
  EXPECT_TRUE(paused);
  EXPECT_EQ(progress.cursor, "Mg==");
  EXPECT_EQ(h.http.sent().size(), 1u);  // nothing fetched ahead for a paused chain

  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000&pagination.cursor=Mg%3D%3D", 200,
                Page("users", R"({"id":"u2"})"));
  paused = false;
  ASSERT_OK(h.Read(partition, progress, &paused));
  EXPECT_FALSE(paused);
  EXPECT_EQ(h.Texts("id"), (std::vector<std::string>{"u1", "u2"}));
}

TEST(StreamReader, AChainReadAheadPausesInsideABigPageAndResumesAtTheNextItem) {
  ReaderHarness h("users");
  h.options.split_pages_from_bytes = 1;  // every page is split into items
  h.options.slice_bytes = 1;             // every record fills a slice
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1"},{"id":"u2"},{"id":"u3"})", "Mg=="));
  ChainProgress progress;
  bool paused = false;
  const Partition partition{"/users", {}, nullptr, std::nullopt, {}};
  ASSERT_OK(h.Read(partition, progress, &paused, [] { return true; }));
  EXPECT_TRUE(paused);
  EXPECT_EQ(h.Texts("id"), (std::vector<std::string>{"u1"}));
  ASSERT_TRUE(progress.pending.has_value());
  EXPECT_EQ(progress.pending->next_item, 1u);
  EXPECT_EQ(progress.cursor, "Mg==");
  EXPECT_EQ(h.http.sent().size(), 1u);

  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000&pagination.cursor=Mg%3D%3D", 200,
                Page("users", R"({"id":"u4"})"));
  paused = false;
  ASSERT_OK(h.Read(partition, progress, &paused));
  EXPECT_FALSE(paused);
  EXPECT_FALSE(progress.pending.has_value());
  EXPECT_EQ(h.Texts("id"), (std::vector<std::string>{"u1", "u2", "u3", "u4"}));
  int pages = 0;
  for (const auto& slice : h.slices) {
    pages += slice.page_done ? 1 : 0;
  }
  EXPECT_EQ(pages, 2);  // the paused page is counted once, when its last item is handed on
  EXPECT_EQ(h.http.sent().size(), 2u);
}

TEST(StreamReader, ACursorSeenTwiceStopsTheChain) {
  ReaderHarness h("users");
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1"})", "Mg=="));
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000&pagination.cursor=Mg%3D%3D", 200,
                Page("users", R"({"id":"u2"})", "Mg=="));
  ChainProgress progress;
  Status status = h.Read({"/users", {}, nullptr, std::nullopt, {}}, progress);
  EXPECT_EQ(status.code(), StatusCode::kInvalid);
  EXPECT_NE(status.message().find("a second time"), std::string::npos) << status.message();
}

TEST(StreamReader, RecordsCarryTheirParentsFieldsAndTheReadsConstants) {
  ReaderHarness h("source_connected_warehouses");
  h.constants = {{"note", Value::String("fixed")}};
  Record parent;
  parent.Set("id", Value::String("s1"));
  h.http.Expect(std::string(kBase) + "/sources/s1/connected-warehouses?pagination.count=1000", 200,
                Page("warehouses", R"({"id":"w1"})"));
  ChainProgress progress;
  ASSERT_OK(h.Read({"/sources/s1/connected-warehouses", {}, &parent, std::nullopt, {}}, progress));
  EXPECT_EQ(h.Texts("sourceId"), (std::vector<std::string>{"s1"}));
  EXPECT_EQ(h.Texts("note"), (std::vector<std::string>{"fixed"}));
}

TEST(StreamReader, AParentThatVanishedHasNothingToRead) {
  ReaderHarness h("source_connected_warehouses");
  Record parent;
  parent.Set("id", Value::String("s2"));
  h.http.Expect(std::string(kBase) + "/sources/s2/connected-warehouses?pagination.count=1000", 404,
                R"({"errors":[{"type":"not-found","message":"Source not found"}]})");
  ChainProgress progress;
  EXPECT_OK(h.Read({"/sources/s2/connected-warehouses", {}, &parent, std::nullopt, {}}, progress));
  EXPECT_TRUE(h.slices.empty());

  // Without a parent record, a 404 is an error like any other.
  ReaderHarness top("users");
  top.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 404,
                  R"({"errors":[{"type":"not-found","message":"gone"}]})");
  EXPECT_EQ(top.Read({"/users", {}, nullptr, std::nullopt, {}}, progress).code(),
            StatusCode::kNotFound);
}

TEST(StreamReader, AMonthKeepsOnlyItsOwnMonthsRows) {
  ReaderHarness h("usage_mtu_workspace_daily");
  const UnixMillis october = *ParseRfc3339("2026-10-01T00:00:00.000Z");
  h.http.Expect(
      std::string(kBase) + "/usage/mtu/daily?period=2026-10-01&pagination.count=1000", 200,
      Page("dailyWorkspaceMTUUsage",
           R"({"timestamp":"2026-10-31T00:00:00.000Z"},{"timestamp":"2026-11-01T00:00:00.000Z"})"));
  ChainProgress progress;
  ASSERT_OK(
      h.Read({"/usage/mtu/daily", {{"period", "2026-10-01"}}, nullptr, october, {}}, progress));
  EXPECT_EQ(h.Texts("timestamp"), (std::vector<std::string>{"2026-10-31T00:00:00.000Z"}));
}

TEST(StreamReader, EachPointOfAResultsSeriesIsOneRowWithItsDayAndCount) {
  ReaderHarness h("event_volume_daily");
  const QueryParams query = {{"startTime", "2026-11-01T00:00:00.000Z"},
                             {"endTime", "2026-11-03T00:00:00.000Z"},
                             {"granularity", "DAY"},
                             {"groupBy", "source,eventName,eventType"}};
  h.http.Expect(
      std::string(kBase) +
          "/events/volume?startTime=2026-11-01T00%3A00%3A00.000Z&endTime=2026-11-03T00%3A00%3A00."
          "000Z&granularity=DAY&groupBy=source%2CeventName%2CeventType&pagination.count=1000",
      200,
      Page(
          "result",
          R"({"source":{"id":"s1","name":"Web","slug":"web"},"eventName":"Signed Up",)"
          R"("eventType":"track","total":7,"series":[{"time":"2026-11-01T00:00:00Z","count":3},)"
          R"({"time":"2026-11-02T00:00:00Z","count":4.0}]},)"
          R"({"source":{"id":"s2"},"eventType":"identify","total":5,)"
          R"("series":[{"time":"2026-11-02T00:00:00Z","count":5}]},)"
          R"({"source":{"id":"s3"},"eventName":"x","eventType":"track","total":0,"series":null})"));
  ChainProgress progress;
  ASSERT_OK(h.Read({"/events/volume", query, nullptr, std::nullopt, {}}, progress));
  ASSERT_EQ(h.slices.size(), 1u);
  const auto& records = h.slices[0].records;
  ASSERT_EQ(records.size(), 3u);  // two points, one point, no series
  EXPECT_EQ(h.Texts("timestamp"),
            (std::vector<std::string>{"2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z",
                                      "2026-11-02T00:00:00Z"}));
  EXPECT_EQ(h.Texts("sourceId"), (std::vector<std::string>{"s1", "s1", "s2"}));
  EXPECT_EQ(h.Texts("eventName"), (std::vector<std::string>{"Signed Up", "Signed Up", ""}));
  EXPECT_EQ(h.Texts("eventType"), (std::vector<std::string>{"track", "track", "identify"}));
  std::vector<int64_t> counts;
  for (const Record& record : records) {
    const Value* count = record.Find("count");
    ASSERT_NE(count, nullptr);
    EXPECT_EQ(count->kind, Value::Kind::kInt);
    counts.push_back(count->integer);
    // The series and the window's total are not columns of a day's row; the source is kept.
    EXPECT_EQ(record.Find("series"), nullptr);
    EXPECT_EQ(record.Find("total"), nullptr);
    EXPECT_EQ(record.Find("time"), nullptr);
    ASSERT_NE(record.Find("source"), nullptr);
    EXPECT_EQ(record.Find("source")->kind, Value::Kind::kJson);
  }
  EXPECT_EQ(counts, (std::vector<int64_t>{3, 4, 5}));
}

TEST(StreamReader, ARuleWithoutAKeyGetsAnEmptyKeyAndItsTrackingPlan) {
  ReaderHarness h("tracking_plan_rules");
  Record plan;
  plan.Set("id", Value::String("tp1"));
  h.http.Expect(
      std::string(kBase) + "/tracking-plans/tp1/rules?pagination.count=1000", 200,
      Page("rules", R"({"type":"IDENTIFY","version":1,"jsonSchema":{"properties":{"traits":{}}}},)"
                    R"({"type":"TRACK","key":"Order Completed","version":2,"jsonSchema":{}},)"
                    R"({"type":"GROUP","key":null,"version":1,"jsonSchema":null})"));
  ChainProgress progress;
  ASSERT_OK(h.Read({"/tracking-plans/tp1/rules", {}, &plan, std::nullopt, {}}, progress));
  EXPECT_EQ(h.Texts("key"), (std::vector<std::string>{"", "Order Completed", ""}));
  EXPECT_EQ(h.Texts("trackingPlanId"), (std::vector<std::string>{"tp1", "tp1", "tp1"}));
  EXPECT_EQ(h.Texts("jsonSchema")[0], R"({"properties":{"traits":{}}})");
}

/// The audit trail's first request for a window from `start` to kNow (then `more`).
std::string AuditUrl(std::string_view start, std::string_view more = "") {
  return std::string(kBase) + "/audit-events?startTime=" + PercentEncode(start) +
         "&endTime=" + PercentEncode(FormatRfc3339Millis(kNow)) + "&pagination.count=1000" +
         std::string(more);
}

TEST(StreamReader, ARefusedAuditStartIsReadAgainFromTheOldestKeptOnEveryPage) {
  ReaderHarness h("audit_events");
  const std::string asked = "2025-06-01T00:00:00.000Z";
  // 90 days before the window's end, plus the margin (sync/partitions.cc).
  const std::string kept = FormatRfc3339Millis(kNow - int64_t{90} * 86'400'000 + 600'000);
  h.http.Expect(AuditUrl(asked), 422,
                R"({"errors":[{"type":"ValidationFailure","message":"startTime )" + asked +
                    R"( is older than the audit trail keeps","field":"startTime"}]})");
  h.http.Expect(AuditUrl(kept), 200, Page("events", R"({"id":"e1"})", "YQ=="));
  const Partition partition{"/audit-events",
                            {{"startTime", asked}, {"endTime", FormatRfc3339Millis(kNow)}},
                            nullptr,
                            std::nullopt,
                            {}};
  ChainProgress progress;
  bool paused = false;
  ASSERT_OK(h.Read(partition, progress, &paused, [] { return true; }));
  EXPECT_TRUE(paused);
  EXPECT_NE(progress.warning.find("refused startTime " + asked), std::string::npos)
      << progress.warning;
  EXPECT_NE(progress.warning.find("read from " + kept), std::string::npos) << progress.warning;

  // Resumed, the chain goes on with the start the server took, and is not retried again.
  h.http.Expect(AuditUrl(kept, "&pagination.cursor=YQ%3D%3D"), 200,
                Page("events", R"({"id":"e2"})"));
  const std::string warning = progress.warning;
  paused = false;
  ASSERT_OK(h.Read(partition, progress, &paused));
  EXPECT_FALSE(paused);
  EXPECT_EQ(progress.warning, warning);
  EXPECT_EQ(h.Texts("id"), (std::vector<std::string>{"e1", "e2"}));
}

TEST(StreamReader, OtherRefusalsOfTheAuditTrailAreNotRetried) {
  ReaderHarness h("audit_events");
  const std::string asked = "2025-06-01T00:00:00.000Z";
  h.http.Expect(AuditUrl(asked), 422,
                R"({"errors":[{"type":"ValidationFailure","message":"bad","field":"endTime"}]})");
  ChainProgress progress;
  const Status status = h.Read({"/audit-events",
                                {{"startTime", asked}, {"endTime", FormatRfc3339Millis(kNow)}},
                                nullptr,
                                std::nullopt,
                                {}},
                               progress);
  EXPECT_EQ(status.code(), StatusCode::kInvalid);
  EXPECT_TRUE(progress.warning.empty());
  EXPECT_EQ(h.http.sent().size(), 1u);
}

/// An event volume request for [start, end), as the reader sends it.
std::string VolumeUrl(std::string_view start, std::string_view end) {
  return std::string(kBase) + "/events/volume?startTime=" + PercentEncode(start) +
         "&endTime=" + PercentEncode(end) +
         "&granularity=DAY&groupBy=source%2CeventName%2CeventType&pagination.count=1000";
}

/// The window that holds today (kNow - 1 minute), from `start`, as PlanPartitions makes it.
Partition OpenVolumeWindow(std::string_view start) {
  Partition open{"/events/volume",
                 {{"startTime", std::string(start)},
                  {"endTime", FormatRfc3339Millis(kNow - 60'000)},
                  {"granularity", "DAY"},
                  {"groupBy", "source,eventName,eventType"}},
                 nullptr,
                 std::nullopt,
                 {}};
  open.end_time_fallbacks = {kNow, kNow - 86'400'000};
  return open;
}

const char* const kRefusedEndTime =
    R"({"errors":[{"type":"ValidationFailure","message":"\"endTime\" must fall on a DAY )"
    R"(boundary (UTC) for this granularity","field":"endTime"}]})";

TEST(StreamReader, ARefusedEndTimeOfTheOpenDayWindowIsSentAgainAsTheNextForm) {
  ReaderHarness h("event_volume_daily");
  const std::string start = "2026-11-25T00:00:00.000Z";
  h.http.Expect(VolumeUrl(start, FormatRfc3339Millis(kNow - 60'000)), 422, kRefusedEndTime);
  h.http.Expect(VolumeUrl(start, FormatRfc3339Millis(kNow)), 200,
                Page("result", R"({"source":{"id":"s1"},"eventType":"track","total":2,)"
                               R"("series":[{"time":"2026-11-27T00:00:00Z","count":2}]})"));
  ChainProgress progress;
  ASSERT_OK(h.Read(OpenVolumeWindow(start), progress));
  EXPECT_EQ(h.Texts("timestamp"), (std::vector<std::string>{"2026-11-27T00:00:00Z"}));
  EXPECT_TRUE(progress.warning.empty()) << "nothing was lost: no warning";
  EXPECT_EQ(h.http.sent().size(), 2u);
}

TEST(StreamReader, AnOpenDayWindowWhoseEveryEndTimeIsRefusedIsLeftToALaterRun) {
  ReaderHarness h("event_volume_daily");
  const std::string today = FormatRfc3339Millis(kNow - 86'400'000);
  h.http.Expect(VolumeUrl(today, FormatRfc3339Millis(kNow - 60'000)), 422, kRefusedEndTime);
  h.http.Expect(VolumeUrl(today, FormatRfc3339Millis(kNow)), 422,
                R"({"errors":[{"type":"ValidationFailure","message":"\"endTime\" must not be )"
                R"(in the future","field":"endTime"}]})");
  ChainProgress progress;
  ASSERT_OK(h.Read(OpenVolumeWindow(today), progress));
  EXPECT_TRUE(h.slices.empty());
  EXPECT_EQ(h.http.sent().size(), 2u) << "the empty window [today, today) is not asked for";

  // A refusal of a window without other forms stands.
  ReaderHarness past("event_volume_daily");
  past.http.Expect(VolumeUrl(today, FormatRfc3339Millis(kNow)), 422, kRefusedEndTime);
  Partition closed = OpenVolumeWindow(today);
  closed.query[1].second = FormatRfc3339Millis(kNow);
  closed.end_time_fallbacks.clear();
  ChainProgress closed_progress;
  EXPECT_EQ(past.Read(closed, closed_progress).code(), StatusCode::kInvalid);
}

}  // namespace
}  // namespace segsync
