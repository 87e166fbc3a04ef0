// SPDX-License-Identifier: Apache-2.0
// The sync engine against a scripted API and an in-memory destination.
#include "sync/engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "fakes.h"
#include "list_page.h"

namespace segsync {
namespace {

using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MemoryDestination;
using testing::Page;

constexpr char kBase[] = "http://api.test";
const UnixMillis kNow = DaysFromCivil(2026, 11, 28) * 86'400'000 + int64_t{12} * 3'600'000;

struct Harness {
  FakeHttpClient http;
  FakeClock clock{kNow};
  RateLimitPacer pacer{clock};
  MemoryDestination destination;
  ClientOptions client_options{kBase, "tok-secret", "us", {}, 30};
  std::unique_ptr<SegmentClient> client;
  std::function<void(SyncEngine&)> hook;  // callbacks to set on the engine

  Harness() {
    client_options.retry.max_retries = 2;
    client = std::make_unique<SegmentClient>(http, pacer, clock, client_options);
  }

  RunReport Run(std::vector<std::string> streams, std::string_view start = "2026-09-15",
                const std::function<void(EngineOptions&)>& tweak = {}) {
    EngineOptions options;
    options.selected = std::move(streams);
    options.start_date = *ParseStartDate(start);
    if (tweak) {
      tweak(options);
    }
    SyncEngine engine({client.get()}, destination, clock, options);
    if (hook) {
      hook(engine);
    }
    return engine.Run();
  }
};

const StreamReport& ReportOf(const RunReport& run, std::string_view name) {
  for (const auto& s : run.streams) {
    if (s.name == name) {
      return s;
    }
  }
  static StreamReport none;
  ADD_FAILURE() << "no report for " << name;
  return none;
}

TEST(Engine, FollowsEveryCursorAtTheLargestPageSize) {
  Harness h;
  h.http.Expect(
      std::string(kBase) + "/users?pagination.count=1000", 200,
      Page("users", R"({"id":"u1","name":"A","email":"a@x"},{"id":"u2","name":"B","email":"b@x"})",
           "MTAwMA=="));
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000&pagination.cursor=MTAwMA%3D%3D",
                200, Page("users", R"({"id":"u3","name":"","email":"c@x"})"));
  RunReport run = h.Run({"users"});
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "users").rows_written, 3);
  EXPECT_EQ(ReportOf(run, "users").pages, 2);
  EXPECT_EQ(h.destination.tables["users"].size(), 3u);
  ASSERT_EQ(h.http.sent().size(), 2u);
  EXPECT_EQ(h.http.sent()[0].headers[0].second, "Bearer tok-secret");
}

TEST(Engine, ProgressCarriesTheListTotalAndThePartitionsRead) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/sources?pagination.count=1000", 200,
                R"({"data":{"sources":[{"id":"s1","slug":"a"}],)"
                R"("pagination":{"current":"MA==","next":"MQ==","totalEntries":2}}})");
  h.http.Expect(std::string(kBase) + "/sources?pagination.count=1000&pagination.cursor=MQ%3D%3D",
                200,
                R"({"data":{"sources":[{"id":"s2","slug":"b"}],)"
                R"("pagination":{"current":"MQ==","totalEntries":2}}})");
  for (const char* id : {"s1", "s2"}) {
    h.http.Expect(
        std::string(kBase) + "/sources/" + id + "/connected-warehouses?pagination.count=1000", 200,
        Page("warehouses", R"({"id":"w1","enabled":true})"));
  }
  std::vector<StreamReport> pages;
  h.hook = [&pages](SyncEngine& engine) {
    engine.OnPage([&pages](const StreamReport& s) { pages.push_back(s); });
  };
  RunReport run = h.Run({"sources", "source_connected_warehouses"});
  ASSERT_EQ(run.ExitCode(), 0);
  std::vector<std::string> seen;
  seen.reserve(pages.size());
  for (const auto& s : pages) {
    seen.push_back(s.name + " " + std::to_string(s.rows_written) + "/" +
                   std::to_string(s.total_entries) + " " + std::to_string(s.partitions));
  }
  // A list knows its total from its first page; a stream per parent has one partition each.
  EXPECT_EQ(seen[0], "sources 1/2 1");
  EXPECT_EQ(seen[1], "sources 2/2 1");
  ASSERT_EQ(pages.size(), 4u);
  EXPECT_EQ(pages[3].name, "source_connected_warehouses");
  EXPECT_EQ(pages[3].total_entries, -1);  // per-parent totals do not add up to the stream's
  EXPECT_EQ(pages[3].partitions, 2);
  EXPECT_LE(pages[3].partitions_read, 2);
}

TEST(Engine, ARepeatedCursorFailsTheStreamInsteadOfLooping) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1","name":"A","email":"a@x"})", "MQ=="));
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000&pagination.cursor=MQ%3D%3D", 200,
                Page("users", R"({"id":"u2","name":"B","email":"b@x"})", "MQ=="));
  RunReport run = h.Run({"users"});
  EXPECT_EQ(run.ExitCode(), 1);
  EXPECT_EQ(ReportOf(run, "users").outcome, StreamOutcome::kFailed);
  EXPECT_NE(ReportOf(run, "users").message.find("second time"), std::string::npos);
  EXPECT_TRUE(h.destination.tables["users"].empty());  // rolled back
}

TEST(Engine, ChildWithoutItsParentReadsTheParentWithoutWritingIt) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/sources?pagination.count=1000", 200,
                Page("sources", R"({"id":"s1","slug":"a"},{"id":"s2","slug":"b"})"));
  h.http.Expect(std::string(kBase) + "/sources/s1/connected-warehouses?pagination.count=1000", 200,
                Page("warehouses", R"({"id":"w1","enabled":true},{"id":"w2","enabled":false})"));
  // s2 was deleted after the list was read: its 404 skips it, not the stream.
  h.http.Expect(std::string(kBase) + "/sources/s2/connected-warehouses?pagination.count=1000", 404,
                R"({"errors":[{"type":"NotFound","message":"Resource not found"}]})");
  RunReport run = h.Run({"source_connected_warehouses"});
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(h.destination.tables.count("sources"), 0u);
  auto& rows = h.destination.tables["source_connected_warehouses"];
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [key, row] : rows) {
    const Value* source = row.record.Find("sourceId");
    ASSERT_NE(source, nullptr);
    EXPECT_EQ(source->text, "s1");
  }
}

TEST(Engine, UsageStepsMonthByMonthFromTheStartDateThenFromTheBookmark) {
  Harness h;
  for (const char* period : {"2026-09-01", "2026-10-01", "2026-11-01"}) {
    h.http.Expect(
        std::string(kBase) + "/usage/api-calls/daily?period=" + period + "&pagination.count=1000",
        200,
        Page("dailyWorkspaceAPICallsUsage",
             std::string(R"({"apiCalls":"12345678901","timestamp":")") + period +
                 R"(T00:00:00.000Z"})"));
  }
  RunReport first = h.Run({"usage_api_calls_workspace_daily"});
  ASSERT_EQ(first.ExitCode(), 0) << ReportOf(first, "usage_api_calls_workspace_daily").message;
  auto& rows = h.destination.tables["usage_api_calls_workspace_daily"];
  ASSERT_EQ(rows.size(), 3u);
  const Value* calls = rows.begin()->second.record.Find("apiCalls");
  ASSERT_NE(calls, nullptr);
  EXPECT_EQ(calls->kind, Value::Kind::kInt);
  EXPECT_EQ(calls->integer, 12345678901);
  EXPECT_EQ(h.destination.state["usage_api_calls_workspace_daily"],
            R"({"bookmark":"2026-11-01T00:00:00.000Z"})");

  // Second run: only the bookmark's month (the current one) is read again.
  h.http.Expect(
      std::string(kBase) + "/usage/api-calls/daily?period=2026-11-01&pagination.count=1000", 200,
      Page("dailyWorkspaceAPICallsUsage", ""));
  RunReport second = h.Run({"usage_api_calls_workspace_daily"});
  EXPECT_EQ(second.ExitCode(), 0);
}

TEST(Engine, AuditTrailFiltersOnTheServerFromTheBookmarkWithOnePinnedEnd) {
  Harness h;
  h.destination.state["audit_events"] = R"({"bookmark":"2026-11-27T10:00:00Z"})";
  const std::string end = FormatRfc3339Millis(kNow);
  const std::string query = "startTime=2026-11-27T09%3A59%3A59.999Z&endTime=" + PercentEncode(end) +
                            "&pagination.count=1000";
  h.http.Expect(
      std::string(kBase) + "/audit-events?" + query, 200,
      Page(
          "events",
          R"({"id":"events/2","timestamp":"2026-11-28T09:00:00Z","type":"Source Created","actor":"a","resourceId":"r","resourceType":"source","resourceName":"n"})",
          "eyJwYWdlVG9rZW4iOiJNUT09In0="));
  h.http.Expect(
      std::string(kBase) + "/audit-events?" + query +
          "&pagination.cursor=eyJwYWdlVG9rZW4iOiJNUT09In0%3D",
      200,
      Page(
          "events",
          R"({"id":"events/1","timestamp":"2026-11-27T11:00:00Z","type":"Source Deleted","actor":"a","resourceId":"r","resourceType":"source","resourceName":"n"})"));
  RunReport run = h.Run({"audit_events"});
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(h.destination.tables["audit_events"].size(), 2u);
  EXPECT_EQ(h.destination.state["audit_events"], R"({"bookmark":"2026-11-28T09:00:00Z"})");
}

TEST(Engine, ARejectedTokenStopsEverythingAndWritesNothing) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/sources?pagination.count=1000", 401,
                R"({"errors":[{"type":"Unauthorized","message":"invalid token"}]})");
  RunReport run = h.Run({"sources", "users"});
  EXPECT_EQ(run.ExitCode(), 3);
  EXPECT_EQ(run.fatal.code(), StatusCode::kAuth);
  EXPECT_EQ(run.fatal.message().find("tok-secret"), std::string::npos);
  EXPECT_TRUE(h.destination.tables.empty());
  EXPECT_TRUE(h.destination.runs.empty());
}

constexpr char kProtocolsRefusal[] =
    R"({"errors":[{"type":"Forbidden","message":"Protocols required"}]})";

TEST(Engine, ANotEntitledStreamIsSkippedAndTheOthersCommit) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  h.http.Expect(std::string(kBase) + "/transformations?pagination.count=1000", 403,
                kProtocolsRefusal);
  RunReport run = h.Run({"users", "transformations"});
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "transformations").outcome, StreamOutcome::kNotEntitled);
  EXPECT_NE(ReportOf(run, "transformations").message.find("Protocols"), std::string::npos);
  EXPECT_EQ(h.destination.tables["users"].size(), 1u);
  ASSERT_EQ(h.destination.runs.size(), 1u);
  EXPECT_EQ(h.destination.runs[0].status, "ok");
}

TEST(Engine, TheChildrenOfAGatedParentAreSkippedToo) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/tracking-plans?pagination.count=1000", 403,
                kProtocolsRefusal);
  RunReport run = h.Run({"tracking_plan_rules", "tracking_plan_sources"});
  EXPECT_EQ(run.ExitCode(), 0);
  for (const char* name : {"tracking_plan_rules", "tracking_plan_sources"}) {
    EXPECT_EQ(ReportOf(run, name).outcome, StreamOutcome::kNotEntitled) << name;
    EXPECT_NE(ReportOf(run, name).message.find("Protocols"), std::string::npos) << name;
  }
}

TEST(Engine, ServerErrorsAndBrokenBodiesAreRetried) {
  Harness h;
  const std::string url = std::string(kBase) + "/users?pagination.count=1000";
  h.http.Expect(url, 503, R"({"errors":[{"type":"Unavailable"}]})");
  h.http.Expect(url, 200, R"({"data":{"users":[{"id":"u1")");  // truncated
  h.http.Expect(url, 200, Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  RunReport run = h.Run({"users"});
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "users").requests.retries, 2);
  EXPECT_EQ(ReportOf(run, "users").requests.requests, 3);
  EXPECT_GT(h.clock.slept_ms, 0);
}

TEST(Engine, RetriesRunOutAndOnlyThatStreamFails) {
  Harness h;
  const std::string url = std::string(kBase) + "/users?pagination.count=1000";
  h.http.Expect(url, 502, "<html>bad gateway</html>");
  h.http.ExpectTransportError(url);
  h.http.Expect(url, 500, R"({"errors":[{"type":"InternalError"}]})");
  h.http.Expect(std::string(kBase) + "/groups?pagination.count=1000", 200,
                Page("userGroups", R"({"id":"g1","name":"G","memberCount":3})"));
  RunReport run = h.Run({"users", "groups"});
  EXPECT_EQ(run.ExitCode(), 1);
  EXPECT_EQ(ReportOf(run, "users").outcome, StreamOutcome::kFailed);
  EXPECT_NE(ReportOf(run, "users").message.find("3 attempts"), std::string::npos);
  EXPECT_EQ(ReportOf(run, "groups").outcome, StreamOutcome::kOk);
  EXPECT_EQ(h.destination.tables["groups"].size(), 1u);
}

TEST(Engine, AnUnreachableApiEndsTheRunAndWritesNothing) {
  Harness h;
  const std::string url = std::string(kBase) + "/users?pagination.count=1000";
  for (int i = 0; i < 3; ++i) {
    h.http.ExpectTransportError(url);
  }
  RunReport run = h.Run({"users", "groups"});
  EXPECT_EQ(run.ExitCode(), 1);
  EXPECT_EQ(run.fatal.code(), StatusCode::kTransient);
  EXPECT_NE(run.fatal.message().find("could not reach the API"), std::string::npos);
  ASSERT_EQ(run.streams.size(), 2u);
  // groups was not attempted (the fake fails the test on an unscripted request), and says so.
  EXPECT_EQ(ReportOf(run, "groups").outcome, StreamOutcome::kNotRun);
  EXPECT_NE(ReportOf(run, "groups").message.find("run stopped"), std::string::npos);
  EXPECT_TRUE(h.destination.tables.empty());
  EXPECT_TRUE(h.destination.runs.empty());
}

TEST(Engine, RateLimitedRequestsWaitAsTheResponseSays) {
  Harness h;
  const std::string url = std::string(kBase) + "/users?pagination.count=1000";
  h.http.Expect(
      url, 429,
      R"({"errors":[{"type":"RequestError","message":"Too many requests","data":{"remainingPoints":0,"msBeforeNext":1500,"consumedPoints":21}}]})");
  h.http.Expect(url, 200, Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  RunReport run = h.Run({"users"});
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "users").requests.rate_limited, 1);
  EXPECT_GE(h.clock.slept_ms, 1500);
}

TEST(Engine, ACompleteReadMarksVanishedRowsDeletedAndClearsReturningOnes) {
  Harness h;
  const std::string url = std::string(kBase) + "/users?pagination.count=1000";
  h.http.Expect(
      url, 200,
      Page("users",
           R"({"id":"u1","name":"A","email":"a@x"},{"id":"u2","name":"B","email":"b@x"})"));
  ASSERT_EQ(h.Run({"users"}).ExitCode(), 0);
  h.clock.Advance(60'000);
  h.http.Expect(url, 200, Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  RunReport second = h.Run({"users"});
  EXPECT_EQ(ReportOf(second, "users").rows_deleted, 1);
  auto& rows = h.destination.tables["users"];
  EXPECT_FALSE(rows["u1|"].deleted_at.has_value());
  EXPECT_TRUE(rows["u2|"].deleted_at.has_value());
  h.clock.Advance(60'000);
  h.http.Expect(
      url, 200,
      Page("users",
           R"({"id":"u1","name":"A","email":"a@x"},{"id":"u2","name":"B","email":"b@x"})"));
  ASSERT_EQ(h.Run({"users"}).ExitCode(), 0);
  EXPECT_FALSE(h.destination.tables["users"]["u2|"].deleted_at.has_value());
}

/// A field of a record as text ("-" when absent), its integer for an integer.
std::string FieldText(const Record& record, std::string_view name) {
  const Value* v = record.Find(name);
  if (v == nullptr) {
    return "-";
  }
  return v->kind == Value::Kind::kInt ? std::to_string(v->integer) : v->text;
}

TEST(Engine, ALogIsUpsertedAndNeverMarkedDeleted) {
  Harness h;
  const std::string warehouses = std::string(kBase) + "/warehouses?pagination.count=1000";
  const std::string syncs = std::string(kBase) + "/warehouses/w1/syncs?pagination.count=1000";
  const std::string older =
      R"({"sourceId":"s1","start":"2026-11-27T01:00:00Z","end":"2026-11-27T01:05:00Z",)"
      R"("status":"SUCCESS","duration":300,"humanDuration":"5m","count":10,"notices":[]})";
  const std::string newer =
      R"({"sourceId":"s1","start":"2026-11-28T01:00:00Z","end":null,"status":"RUNNING",)"
      R"("duration":60,"humanDuration":"1m","count":0,"notices":[]})";
  EXPECT_FALSE(TableSpecFor(*FindStream("warehouse_syncs"))->track_deletions);
  h.http.Expect(warehouses, 200, Page("warehouses", R"({"id":"w1","enabled":true})"));
  h.http.Expect(syncs, 200, Page("reports", older + "," + newer));
  ASSERT_EQ(h.Run({"warehouse_syncs"}).ExitCode(), 0);
  ASSERT_EQ(h.destination.tables["warehouse_syncs"].size(), 2u);

  // The API has stopped listing the older sync, and the newer one finished.
  h.clock.Advance(60'000);
  std::string finished = newer;
  finished.replace(finished.find("RUNNING"), 7, "SUCCESS");
  h.http.Expect(warehouses, 200, Page("warehouses", R"({"id":"w1","enabled":true})"));
  h.http.Expect(syncs, 200, Page("reports", finished));
  RunReport second = h.Run({"warehouse_syncs"});
  ASSERT_EQ(second.ExitCode(), 0) << ReportOf(second, "warehouse_syncs").message;
  EXPECT_EQ(ReportOf(second, "warehouse_syncs").rows_deleted, 0);
  const auto& rows = h.destination.tables["warehouse_syncs"];
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [key, row] : rows) {
    EXPECT_FALSE(row.deleted_at.has_value()) << key;
    EXPECT_EQ(FieldText(row.record, "warehouseId"), "w1");
    EXPECT_EQ(FieldText(row.record, "status"), "SUCCESS") << key;
  }
}

TEST(Engine, EventVolumeRowsAreKeptByDayAndTheBookmarksDayIsReadAgain) {
  Harness h;
  // The window holding today ends as the spec documents: a minute behind the clock.
  const std::string end = PercentEncode(FormatRfc3339Millis(kNow - 60'000));
  const std::string fixed = "&granularity=DAY&groupBy=source%2CeventName%2CeventType";
  const std::string today = "2026-11-28T00:00:00.000Z";
  auto url = [&](const std::string& start) {
    return std::string(kBase) + "/events/volume?startTime=" + PercentEncode(start) +
           "&endTime=" + end + fixed + "&pagination.count=1000";
  };
  auto point = [](const std::string& time, int count) {
    return R"({"source":{"id":"s1"},"eventName":"A","eventType":"track","total":)" +
           std::to_string(count) + R"(,"series":[{"time":")" + time + R"(","count":)" +
           std::to_string(count) + "}]}";
  };
  h.http.Expect(url("2026-11-27T00:00:00.000Z"), 200,
                Page("result", point("2026-11-27T00:00:00.000Z", 5) + "," + point(today, 1)));
  RunReport first = h.Run({"event_volume_daily"}, "2026-11-27");
  ASSERT_EQ(first.ExitCode(), 0) << ReportOf(first, "event_volume_daily").message;
  EXPECT_EQ(h.destination.tables["event_volume_daily"].size(), 2u);
  EXPECT_EQ(h.destination.state["event_volume_daily"], R"({"bookmark":")" + today + R"("})");

  // Today grew: it is read again, and its row is updated in place.
  h.http.Expect(url(today), 200, Page("result", point(today, 9)));
  RunReport second = h.Run({"event_volume_daily"}, "2026-11-27");
  ASSERT_EQ(second.ExitCode(), 0) << ReportOf(second, "event_volume_daily").message;
  const auto& rows = h.destination.tables["event_volume_daily"];
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& [key, row] : rows) {
    EXPECT_FALSE(row.deleted_at.has_value());
    if (FieldText(row.record, "timestamp") == today) {
      EXPECT_EQ(FieldText(row.record, "count"), "9");
    }
  }
}

/// Answers every request from its path, from several workers at once, and counts how many
/// requests of each endpoint were in flight together.
class ConcurrentApi final : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    const std::string path = request.url.substr(0, request.url.find('?'));
    const bool volume = path.find("/events/volume") != std::string::npos;
    {
      std::lock_guard lock(mu_);
      const int now = ++in_flight_[volume];
      max_in_flight_[volume] = std::max(max_in_flight_[volume], now);
      if (!volume && in_flight_[true] > 0) {
        ++others_beside_volume_;
      }
    }
    HttpResponse response;
    if (volume && refuse_first_volume_request_) {
      // Its own limit met at once: the 429 comes back before any function page does.
      std::lock_guard lock(mu_);
      refuse_first_volume_request_ = false;
      --in_flight_[volume];
      response.status = 429;
      response.headers.emplace_back("retry-after", "1");
      response.body = R"({"errors":[{"type":"too-many-requests","message":"Too many"}]})";
      return response;
    }
    // Event volume answers slowly, as an endpoint waiting on its own budget would; each
    // function list has five pages.
    std::this_thread::sleep_for(std::chrono::milliseconds(volume ? 30 : 10));
    response.status = 200;
    const size_t at = request.url.find("pagination.cursor=");
    const int page = at == std::string::npos ? 0 : request.url[at + 18] - '0';
    response.body = volume     ? Page("result", "")
                    : page < 4 ? Page("functions", "", std::to_string(page + 1))
                               : Page("functions", "");
    std::lock_guard lock(mu_);
    --in_flight_[volume];
    return response;
  }

  std::mutex mu_;
  bool refuse_first_volume_request_ = false;
  std::map<bool, int> in_flight_;
  std::map<bool, int> max_in_flight_;
  int others_beside_volume_ = 0;
};

/// Event volume and functions read with four workers; `api` says how event volume answers.
RunReport ReadVolumeBesideFunctions(ConcurrentApi& api) {
  FakeClock clock{kNow};
  RateLimitPacer pacer{clock};
  pacer.DeclareOwnBudget(FindStream("event_volume_daily")->path);
  MemoryDestination destination;
  ClientOptions options{kBase, "tok-secret", "us", {}, 30};
  std::vector<std::unique_ptr<SegmentClient>> clients;
  std::vector<SegmentClient*> pointers;
  // Four workers: three for the function lists' chains, one left over for event volume.
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<SegmentClient>(api, pacer, clock, options));
    pointers.push_back(clients.back().get());
  }
  EngineOptions engine_options;
  engine_options.selected = {"functions", "event_volume_daily"};
  engine_options.start_date = kNow - int64_t{120} * 86'400'000;  // 9 windows of 14 days
  SyncEngine engine(pointers, destination, clock, engine_options);
  return engine.Run();
}

TEST(Engine, OnceItsOwnLimitBindsOneWorkerAtATimeReadsEventVolume) {
  ConcurrentApi api;
  api.refuse_first_volume_request_ = true;
  EXPECT_EQ(FindStream("event_volume_daily")->max_parallel_partitions, 1);
  RunReport run = ReadVolumeBesideFunctions(api);
  ASSERT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "event_volume_daily").requests.requests, 10);  // 9 windows, one 429
  EXPECT_EQ(ReportOf(run, "functions").requests.requests, 15);
  EXPECT_EQ(api.max_in_flight_[true], 1);
  EXPECT_GT(api.others_beside_volume_, 0) << "the other workers read functions meanwhile";
}

TEST(Engine, WhileNoLimitBindsEventVolumeIsReadByAsManyWorkersAsAnyStream) {
  // An API that sends no limit for the endpoint: one worker at a time would only be slower
  // (the benchmark's 2,102 warehouse sync requests took 105 s in one chain).
  ConcurrentApi api;
  RunReport run = ReadVolumeBesideFunctions(api);
  ASSERT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "event_volume_daily").requests.requests, 9);
  EXPECT_GT(api.max_in_flight_[true], 1);
}

TEST(Engine, DeliveryMetricsCarryTheDestinationAndTheWindow) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/destinations?pagination.count=1000", 200,
                Page("destinations", R"({"id":"d1","sourceId":"s1","enabled":true})"));
  const UnixMillis end = kNow / 1000 * 1000;
  const std::string start = FormatRfc3339Millis(end - 24 * 3'600'000LL);
  h.http.Expect(
      std::string(kBase) +
          "/destinations/d1/delivery-metrics?sourceId=s1&startTime=" + PercentEncode(start) +
          "&endTime=" + PercentEncode(FormatRfc3339Millis(end)) + "&granularity=HOUR",
      200,
      R"({"data":{"deliveryMetricsSummary":{"sourceId":"s1","destinationMetadataId":"m","metrics":[]}}})");
  RunReport run = h.Run({"destination_delivery_metrics_summary"});
  ASSERT_EQ(run.ExitCode(), 0) << ReportOf(run, "destination_delivery_metrics_summary").message;
  auto& rows = h.destination.tables["destination_delivery_metrics_summary"];
  ASSERT_EQ(rows.size(), 1u);
  const Record& r = rows.begin()->second.record;
  EXPECT_EQ(r.Find("destinationId")->text, "d1");
  EXPECT_EQ(r.Find("startTime")->text, start);
}

TEST(Engine, ASingleCursorChainIsWrittenInPageOrder) {
  Harness h;
  const std::string first = std::string(kBase) + "/users?pagination.count=1000";
  h.http.Expect(first, 200,
                Page("users", R"({"id":"u1","name":"A"},{"id":"u2","name":"B"})", "Mg=="));
  h.http.Expect(first + "&pagination.cursor=Mg%3D%3D", 200,
                Page("users", R"({"id":"u3","name":"C"})", "Mw=="));
  h.http.Expect(first + "&pagination.cursor=Mw%3D%3D", 200,
                Page("users", R"({"id":"u4","name":"D"},{"id":"u5","name":"E"})"));
  RunReport run = h.Run({"users"});
  ASSERT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "users").pages, 3);
  EXPECT_EQ(ReportOf(run, "users").rows_written, 5);
  EXPECT_EQ(h.destination.write_order,
            (std::vector<std::string>{"u1|", "u2|", "u3|", "u4|", "u5|"}));
  EXPECT_EQ(h.destination.commits, 1);
}

TEST(Engine, ABigPageIsParsedItemByItemIntoTheSameRows) {
  // Brackets, braces, commas and escaped quotes inside strings, nested values and unknown
  // fields: the split must find the same items the whole-page parse does.
  const std::string items =
      R"({"id":"u1","name":"a \"],{\" b","email":"x@y", "extra":{"list":[1,"]",{"k":"}"}]}} ,)"
      R"( {"id":"u2","name":"\\","email":"]"},{"id":"u3","name":"[{","tags":[[],[{}]]})";
  auto rows_of = [&](size_t split_from) {
    Harness h;
    const std::string first = std::string(kBase) + "/users?pagination.count=1000";
    h.http.Expect(first, 200, Page("users", items, "Mg=="));
    h.http.Expect(first + "&pagination.cursor=Mg%3D%3D", 200, Page("users", ""));
    RunReport run = h.Run({"users"}, "2026-09-15",
                          [&](EngineOptions& o) { o.split_pages_from_bytes = split_from; });
    EXPECT_EQ(run.ExitCode(), 0) << ReportOf(run, "users").message;
    EXPECT_EQ(ReportOf(run, "users").pages, 2);
    std::vector<Record> records;
    for (const auto& [key, row] : h.destination.tables["users"]) {
      records.push_back(row.record);
    }
    return records;
  };
  const std::vector<Record> split = rows_of(0);
  const std::vector<Record> whole = rows_of(size_t{1} << 30);
  ASSERT_EQ(split.size(), 3u);
  ASSERT_EQ(whole.size(), 3u);
  for (size_t i = 0; i < split.size(); ++i) {
    EXPECT_EQ(RecordToJson(split[i]), RecordToJson(whole[i]));
  }
  EXPECT_NE(RecordToJson(split[0]).find(R"("name":"a \"],{\" b")"), std::string::npos)
      << RecordToJson(split[0]);
}

TEST(Engine, APageBiggerThanASliceIsWrittenInSlicesAndCountedOnce) {
  Harness h;
  const std::string big(600'000, 'x');
  std::string items;
  for (int i = 1; i <= 3; ++i) {
    items += std::string(i == 1 ? "" : ",") + R"({"id":"u)" + std::to_string(i) + R"(","name":")" +
             big + R"("})";
  }
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200, Page("users", items));
  RunReport run = h.Run({"users"});
  ASSERT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(ReportOf(run, "users").pages, 1);
  EXPECT_EQ(ReportOf(run, "users").rows_written, 3);
  EXPECT_GE(h.destination.writes, 2);
  EXPECT_EQ(h.destination.write_order, (std::vector<std::string>{"u1|", "u2|", "u3|"}));
}

TEST(Engine, AnInvalidItemOfASplitPageFailsTheStreamAndWritesNothing) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1"},{"id":"u2",})"));
  RunReport run =
      h.Run({"users"}, "2026-09-15", [](EngineOptions& o) { o.split_pages_from_bytes = 0; });
  EXPECT_EQ(ReportOf(run, "users").outcome, StreamOutcome::kFailed);
  EXPECT_TRUE(h.destination.tables["users"].empty());
}

}  // namespace
}  // namespace segsync

namespace segsync {
namespace {

std::string AuditEvent(int n) {
  return R"({"id":"events/)" + std::to_string(n) + R"(","timestamp":"2026-11-2)" +
         std::to_string(n % 8) +
         R"(T09:00:00Z","type":"Source Created","actor":"a","resourceId":"r","resourceType":"source","resourceName":"n"})";
}

// Expects the audit trail's three pages (events 1..6) from the start date, for the run at kNow.
void ExpectAuditPages(Harness& h, std::string_view start) {
  const std::string first = std::string(kBase) + "/audit-events?startTime=" + PercentEncode(start) +
                            "&endTime=" + PercentEncode(FormatRfc3339Millis(kNow)) +
                            "&pagination.count=1000";
  h.http.Expect(first, 200, Page("events", AuditEvent(1) + "," + AuditEvent(2), "YQ=="));
  h.http.Expect(first + "&pagination.cursor=YQ%3D%3D", 200,
                Page("events", AuditEvent(3) + "," + AuditEvent(4), "Yg=="));
  h.http.Expect(first + "&pagination.cursor=Yg%3D%3D", 200,
                Page("events", AuditEvent(5) + "," + AuditEvent(6)));
}

TEST(Engine, AChainReadAheadPausesAtAFullSpoolAndResumesAtItsCursor) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  ExpectAuditPages(h, "2026-09-15T00:00:00.000Z");
  // While users is written (slowly), the one worker reads the audit trail ahead, and a spool
  // of one byte makes it stop after the first page. It must go on from the second page.
  h.hook = [](SyncEngine& engine) {
    engine.OnPage([](const StreamReport& s) {
      if (s.name == "users") {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  };
  RunReport run =
      h.Run({"users", "audit_events"}, "2026-09-15", [](EngineOptions& o) { o.spool_bytes = 1; });
  ASSERT_EQ(run.ExitCode(), 0) << ReportOf(run, "audit_events").message;
  EXPECT_EQ(ReportOf(run, "audit_events").pages, 3);
  EXPECT_EQ(ReportOf(run, "audit_events").requests.requests, 3);
  EXPECT_EQ(h.destination.tables["audit_events"].size(), 6u);
  EXPECT_EQ(h.destination.tables["users"].size(), 1u);
}

TEST(Engine, ARefusedAuditStartIsAWarningOfAnOkStreamInTheRunReport) {
  Harness h;
  h.http.Expect(
      std::string(kBase) + "/audit-events?startTime=2025-01-01T00%3A00%3A00.000Z&endTime=" +
          PercentEncode(FormatRfc3339Millis(kNow)) + "&pagination.count=1000",
      422, R"({"errors":[{"type":"ValidationFailure","message":"too old","field":"startTime"}]})");
  ExpectAuditPages(h, FormatRfc3339Millis(kNow - int64_t{90} * 86'400'000 + 600'000));
  RunReport run = h.Run({"audit_events"}, "2025-01-01");
  ASSERT_EQ(run.ExitCode(), 0) << ReportOf(run, "audit_events").message;
  const StreamReport& audit = ReportOf(run, "audit_events");
  EXPECT_EQ(audit.outcome, StreamOutcome::kOk);
  EXPECT_TRUE(audit.message.empty());
  EXPECT_NE(audit.warning.find("refused startTime 2025-01-01T00:00:00.000Z"), std::string::npos)
      << audit.warning;
  EXPECT_EQ(h.destination.tables["audit_events"].size(), 6u);
  EXPECT_NE(run.StreamsJson().find(R"("warning":"the API refused startTime)"), std::string::npos)
      << run.StreamsJson();
  EXPECT_EQ(run.StatusName(), "ok");
}

TEST(Engine, StreamsAreReportedInCatalogOrderWhateverOrderTheyWereWrittenIn) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  ExpectAuditPages(h, "2026-09-15T00:00:00.000Z");
  h.http.Expect(std::string(kBase) + "/groups?pagination.count=1000", 200,
                Page("userGroups", R"({"id":"g1","name":"G","memberCount":3})"));
  // users is written slowly, so the audit trail is read ahead meanwhile and written next,
  // before groups (a top-level list, read only when it is written).
  std::vector<std::string> written;
  h.hook = [&](SyncEngine& engine) {
    engine.OnPage([](const StreamReport& s) {
      if (s.name == "users") {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
    engine.OnStreamDone([&](const StreamReport& s) { written.push_back(s.name); });
  };
  RunReport run = h.Run({"audit_events", "groups", "users"});
  ASSERT_EQ(run.ExitCode(), 0);
  EXPECT_EQ(written, (std::vector<std::string>{"users", "audit_events", "groups"}));
  ASSERT_EQ(run.streams.size(), 3u);
  EXPECT_EQ(run.streams[0].name, "users");
  EXPECT_EQ(run.streams[1].name, "groups");
  EXPECT_EQ(run.streams[2].name, "audit_events");
}

TEST(Engine, ARejectedTokenInAStreamReadAheadStopsTheRunWithExit3) {
  Harness h;
  h.http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
                Page("users", R"({"id":"u1","name":"A","email":"a@x"})"));
  h.http.Expect(std::string(kBase) +
                    "/audit-events?startTime=2026-09-15T00%3A00%3A00.000Z&endTime=" +
                    PercentEncode(FormatRfc3339Millis(kNow)) + "&pagination.count=1000",
                401, R"({"errors":[{"type":"Unauthorized","message":"token revoked"}]})");
  h.hook = [](SyncEngine& engine) {
    engine.OnPage([](const StreamReport& s) {
      if (s.name == "users") {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  };
  RunReport run = h.Run({"users", "audit_events", "groups"});
  EXPECT_EQ(run.ExitCode(), 3);
  EXPECT_EQ(run.fatal.code(), StatusCode::kAuth);
  EXPECT_EQ(ReportOf(run, "audit_events").outcome, StreamOutcome::kFailed);
  EXPECT_TRUE(ReportOf(run, "audit_events").stopped_run);
  // groups was never asked for (the fake fails the test on an unscripted request), and what
  // was read before the token was revoked is kept.
  EXPECT_EQ(h.destination.tables["users"].size(), 1u);
  EXPECT_TRUE(h.destination.tables["audit_events"].empty());
}

}  // namespace
}  // namespace segsync
