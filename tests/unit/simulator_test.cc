// SPDX-License-Identifier: Apache-2.0
// The simulator in-process: pagination, errors, gates, faults and its data.
#include "sim/simulator.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "sim/paging.h"
#include "sim/workspace.h"
#include "status_matchers.h"

namespace segsync::sim {
namespace {

using simdjson::dom::element;

std::unique_ptr<Simulator> StartOrDie(const SimOptions& options = {}) {
  auto started = Simulator::Start(options);
  EXPECT_OK(started);
  return started.ok() ? started.MoveValue() : nullptr;
}

httplib::Client ClientFor(const Simulator& sim, const std::string& token = "sim-token") {
  httplib::Client client(sim.base_url());
  if (!token.empty()) {
    client.set_default_headers({{"Authorization", "Bearer " + token}});
  }
  client.set_read_timeout(std::chrono::seconds(10));
  return client;
}

// Owns the parser so the returned element stays valid while the test uses it.
struct Json {
  simdjson::dom::parser parser;
  element root;
  explicit Json(const std::string& text) {
    const auto error = parser.parse(text).get(root);
    EXPECT_EQ(error, simdjson::SUCCESS) << text.substr(0, 200);
  }
};

// Cursors are base64: `+`, `/` and `=` must be escaped in a query.
std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string FirstErrorType(const std::string& body) {
  Json json(body);
  std::string_view type;
  EXPECT_EQ(json.root["errors"].at(0)["type"].get(type), simdjson::SUCCESS) << body;
  return std::string(type);
}

std::string FirstErrorField(const std::string& body) {
  Json json(body);
  std::string_view field;
  EXPECT_EQ(json.root["errors"].at(0)["field"].get(field), simdjson::SUCCESS) << body;
  return std::string(field);
}

std::vector<std::string> Ids(element list) {
  std::vector<std::string> ids;
  for (element item : list.get_array()) {
    ids.emplace_back(std::string_view(item["id"]));
  }
  return ids;
}

std::string Field(element e, std::string_view key) {
  std::string_view value;
  EXPECT_EQ(e[key].get(value), simdjson::SUCCESS) << key;
  return std::string(value);
}

// Every id of a list endpoint, following `next` until it is absent.
std::vector<std::string> WalkIds(httplib::Client& client, const std::string& path,
                                 const std::string& list_key, int count) {
  std::vector<std::string> ids;
  std::string cursor;
  for (int guard = 0; guard < 10000; ++guard) {
    std::string target = path + "?pagination.count=" + std::to_string(count);
    if (!cursor.empty()) {
      target += "&pagination.cursor=" + cursor;
    }
    auto res = client.Get(target);
    EXPECT_TRUE(res && res->status == 200) << target;
    if (!res || res->status != 200) {
      return ids;
    }
    Json json(res->body);
    for (const std::string& id : Ids(json.root["data"][list_key])) {
      ids.push_back(id);
    }
    std::string_view next;
    if (json.root["data"]["pagination"]["next"].get(next) != simdjson::SUCCESS) {
      return ids;
    }
    cursor = std::string(next);
  }
  ADD_FAILURE() << "pagination of " << path << " never ended";
  return ids;
}

std::vector<std::string> DumpIds(const Simulator& sim, std::string_view stream) {
  httplib::Client admin(sim.base_url());
  admin.set_read_timeout(std::chrono::seconds(60));
  auto res = admin.Get("/__sim/dump?streams=" + std::string(stream));
  EXPECT_TRUE(res && res->status == 200);
  Json json(res->body);
  return Ids(json.root[stream]);
}

std::string FirstId(httplib::Client& client, const std::string& path, const std::string& key) {
  auto res = client.Get(path + "?pagination.count=1");
  EXPECT_TRUE(res && res->status == 200);
  Json json(res->body);
  return Field(json.root["data"][key].at(0), "id");
}

TEST(SimulatorTest, BothPaginationSpellingsServeTheSamePages) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  const std::vector<std::string> spellings = {
      "/users?pagination.count=3&pagination.cursor=Mw==",
      "/users?pagination.count=3&pagination.cursor=Mw%3D%3D",
      "/users?pagination[count]=3&pagination[cursor]=Mw==",
      "/users?pagination%5Bcount%5D=3&pagination%5Bcursor%5D=Mw%3D%3D",
  };
  auto first = client.Get(spellings[0]);
  ASSERT_TRUE(first && first->status == 200);
  Json json(first->body);
  EXPECT_EQ(Ids(json.root["data"]["users"]).size(), 3u);
  EXPECT_EQ(Field(json.root["data"]["pagination"], "current"), "Mw==");
  EXPECT_EQ(Field(json.root["data"]["pagination"], "next"), "Ng==");
  for (const std::string& target : spellings) {
    auto res = client.Get(target);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << target;
    EXPECT_EQ(res->body, first->body) << target;
  }
}

TEST(SimulatorTest, CountOutsideOneToThousandOrNotAnIntegerIs422) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  for (const std::string target : {"/sources?pagination.count=0", "/sources?pagination[count]=1001",
                                   "/sources?pagination.count=abc", "/sources?pagination.count=2.5",
                                   "/sources?pagination.count=-1"}) {
    auto res = client.Get(target);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << target;
    EXPECT_EQ(FirstErrorType(res->body), "ValidationFailure") << target;
    EXPECT_EQ(FirstErrorField(res->body), "pagination.count") << target;
  }
  for (const std::string target :
       {"/sources?pagination.count=1", "/sources?pagination.count=1000"}) {
    auto res = client.Get(target);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << target;
  }
}

TEST(SimulatorTest, InvalidCursorIs422) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  for (const std::string cursor : {"zzz", "MA=", "LTE=" /* "-1" */, "YWJj" /* "abc" */, ""}) {
    auto res = client.Get("/warehouses?pagination.cursor=" + cursor);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << cursor;
    EXPECT_EQ(FirstErrorField(res->body), "pagination.cursor") << cursor;
  }
}

TEST(SimulatorTest, CursorWalkVisitsEveryItemOnceInOrder) {
  SimOptions options;
  options.scale = "large";
  auto sim = StartOrDie(options);
  auto client = ClientFor(*sim);
  const std::vector<std::string> expected = DumpIds(*sim, "users");
  ASSERT_GT(expected.size(), 1000u);  // a client at count 1000 must still page
  for (int count : {200, 1000, 333}) {
    const std::vector<std::string> walked = WalkIds(client, "/users", "users", count);
    EXPECT_EQ(walked, expected) << "count " << count;
    EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()).size(), walked.size());
  }
}

// The largest child list of each paginated child stream: at `large` more than one page at 1000
// (so also several at 200), at `bench` more than two pages at 1000.
TEST(SimulatorTest, SomeParentOfEveryChildListSpansSeveralPages) {
  for (const auto& [scale_name, more_than] : {std::pair{"large", 1000}, std::pair{"bench", 2000}}) {
    auto scale = ScaleNamed(scale_name);
    ASSERT_TRUE(scale.ok());
    scale->audit_events = 0;
    const Workspace ws = GenerateWorkspace(1, *scale, 1'700'000'000'000);
    std::map<std::string, size_t> per_source;
    for (const Item& destination : ws.list(ListStream::kDestinations)) {
      ++per_source[destination.source_id];
    }
    size_t destinations = 0;
    size_t warehouses = 0;
    size_t subscriptions = 0;
    for (const auto& [source, n] : per_source) {
      destinations = std::max(destinations, n);
    }
    for (const auto& [source, ids] : ws.connected_warehouses) {
      warehouses = std::max(warehouses, ids.size());
    }
    for (const auto& [destination, extras] : ws.destination_extras) {
      subscriptions = std::max(subscriptions, extras.subscriptions.size());
    }
    EXPECT_GT(destinations, static_cast<size_t>(more_than)) << scale_name;
    EXPECT_GT(warehouses, static_cast<size_t>(more_than)) << scale_name;
    EXPECT_GT(subscriptions, static_cast<size_t>(more_than)) << scale_name;
  }
}

TEST(SimulatorTest, FirstPageHasNullPreviousAndLastPageHasNoNext) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  auto first = client.Get("/catalog/warehouses?pagination.count=5");
  ASSERT_TRUE(first && first->status == 200);
  Json head(first->body);
  EXPECT_TRUE(head.root["data"]["pagination"]["previous"].is_null());
  EXPECT_EQ(int64_t(head.root["data"]["pagination"]["totalEntries"]), 8);
  auto last = client.Get("/catalog/warehouses?pagination.count=5&pagination.cursor=NQ==");
  ASSERT_TRUE(last && last->status == 200);
  Json tail(last->body);
  EXPECT_EQ(tail.root["data"]["pagination"]["next"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(Field(tail.root["data"]["pagination"], "previous"), "MA==");
  EXPECT_EQ(Ids(tail.root["data"]["warehousesCatalog"]).size(), 3u);
}

TEST(SimulatorTest, MissingOrWrongTokenIs401WithErrorsEnvelope) {
  auto sim = StartOrDie();
  auto anonymous = ClientFor(*sim, "");
  auto wrong = ClientFor(*sim, "not-the-token");
  httplib::Client no_scheme(sim->base_url());
  no_scheme.set_default_headers({{"Authorization", "sim-token"}});
  for (httplib::Client* client : {&anonymous, &wrong, &no_scheme}) {
    auto res = client->Get("/sources");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    EXPECT_EQ(FirstErrorType(res->body), "Unauthorized");
  }
}

TEST(SimulatorTest, UnknownPathAndUnknownParentIdAre404) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  for (const std::string target :
       {"/nope", "/sources/", "//sources", "/sources/abc/connected-destinations",
        "/sources/abc/connected-warehouses", "/destinations/abc/subscriptions",
        "/destinations/abc/delivery-metrics?sourceId=x"}) {
    auto res = client.Get(target);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404) << target;
    EXPECT_EQ(res->body, R"({"errors":[{"type":"NotFound","message":"Resource not found"}]})")
        << target;
  }
}

TEST(SimulatorTest, ConnectedDestinationsAreExactlyTheSourcesDestinations) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  httplib::Client admin(sim->base_url());
  auto dump = admin.Get("/__sim/dump");
  ASSERT_TRUE(dump && dump->status == 200);
  Json json(dump->body);
  size_t total = 0;
  for (element source : json.root["sources"].get_array()) {
    const std::string id = Field(source, "id");
    std::vector<std::string> expected;
    for (element destination : json.root["destinations"].get_array()) {
      if (Field(destination, "sourceId") == id) {
        expected.push_back(Field(destination, "id"));
      }
    }
    EXPECT_EQ(WalkIds(client, "/sources/" + id + "/connected-destinations", "destinations", 4),
              expected);
    total += expected.size();
  }
  EXPECT_EQ(total, Ids(json.root["destinations"]).size());
}

TEST(SimulatorTest, ConnectedWarehousesAreListedWarehousesWithoutSourceId) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  const std::vector<std::string> warehouses = DumpIds(*sim, "warehouses");
  const std::set<std::string> known(warehouses.begin(), warehouses.end());
  size_t connections = 0;
  for (const std::string& source : DumpIds(*sim, "sources")) {
    auto res = client.Get("/sources/" + source + "/connected-warehouses");
    ASSERT_TRUE(res && res->status == 200);
    Json json(res->body);
    for (element warehouse : json.root["data"]["warehouses"].get_array()) {
      EXPECT_EQ(known.count(Field(warehouse, "id")), 1u);
      EXPECT_EQ(warehouse["sourceId"].error(), simdjson::NO_SUCH_FIELD);
      ++connections;
    }
  }
  EXPECT_GT(connections, 0u);
}

TEST(SimulatorTest, GeneratedDataIsHostileButValidJson) {
  auto sim = StartOrDie();
  httplib::Client admin(sim->base_url());
  auto dump = admin.Get("/__sim/dump");
  ASSERT_TRUE(dump && dump->status == 200);
  simdjson::dom::parser parser;
  ASSERT_EQ(parser.parse(dump->body).error(), simdjson::SUCCESS);
  for (std::string_view marker :
       {"🚀", "日本語", "مصدر", "\\u0000 is not a NUL", "\\Users", "line one\\nline two",
        "\\u0007bell", "\\\"ship it\\\"", "\"name\":\"\"", "9007199254740993",
        "18446744073709551615", "\"mark\":null", "\"defaultTrigger\":null", "x_segsync_extra",
        "\"propertyDrops\"", "\"level5\":"}) {
    EXPECT_NE(dump->body.find(marker), std::string::npos) << marker;
  }
}

TEST(SimulatorTest, UsageNeedsFirstOfMonthPeriod) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  for (const std::string target :
       {"/usage/mtu/daily", "/usage/api-calls/daily?period=2024-03-02",
        "/usage/api-calls/sources/daily?period=2024-13-01",
        "/usage/mtu/sources/daily?period=2024-03-01T00:00:00Z", "/usage/mtu/daily?period=March"}) {
    auto res = client.Get(target);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << target;
    EXPECT_EQ(FirstErrorField(res->body), "period") << target;
  }
}

TEST(SimulatorTest, PastUsageMonthRepeatsNextMonthsFirstDay) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  const UnixMillis now = SystemClock::Instance().Now();
  const std::string this_month = FormatDate(StartOfMonth(now));
  const std::string last_month = FormatDate(StartOfMonth(StartOfMonth(now) - 1));
  auto past = client.Get("/usage/api-calls/daily?pagination.count=1000&period=" + last_month);
  auto current = client.Get("/usage/api-calls/daily?pagination.count=1000&period=" + this_month);
  ASSERT_TRUE(past && past->status == 200 && current && current->status == 200);
  Json past_json(past->body);
  Json current_json(current->body);
  simdjson::dom::array past_rows = past_json.root["data"]["dailyWorkspaceAPICallsUsage"];
  simdjson::dom::array current_rows = current_json.root["data"]["dailyWorkspaceAPICallsUsage"];
  const auto elapsed = static_cast<size_t>((now - StartOfMonth(now)) / 86'400'000 + 1);
  EXPECT_EQ(current_rows.size(), elapsed);
  const std::string last_row = simdjson::minify(past_rows.at(past_rows.size() - 1));
  EXPECT_EQ(last_row, simdjson::minify(current_rows.at(0)));
  EXPECT_EQ(Field(current_rows.at(0), "timestamp"), this_month + "T00:00:00.000Z");
  // Cumulative within the month: never decreasing.
  uint64_t previous = 0;
  for (size_t i = 0; i + 1 < past_rows.size(); ++i) {
    const uint64_t calls = std::stoull(Field(past_rows.at(i), "apiCalls"));
    EXPECT_GE(calls, previous);
    previous = calls;
  }
  auto ancient = client.Get("/usage/api-calls/daily?period=2001-01-01");
  ASSERT_TRUE(ancient && ancient->status == 200);
  Json ancient_json(ancient->body);
  EXPECT_EQ(ancient_json.root["data"]["dailyWorkspaceAPICallsUsage"].get_array().size(), 0u);
}

TEST(SimulatorTest, AuditCursorPinsEndTimeOverTheQuery) {
  SimOptions options;
  options.audit_events = 50;
  auto sim = StartOrDie(options);
  auto client = ClientFor(*sim);
  // Generated history ends a minute ago; an end five seconds ago keeps events added below out.
  const std::string end = FormatRfc3339Millis(SystemClock::Instance().Now() - 5000);
  auto first = client.Get("/audit-events?pagination.count=10&endTime=" + end);
  ASSERT_TRUE(first && first->status == 200);
  Json head(first->body);
  const std::string next = Field(head.root["data"]["pagination"], "next");
  const auto decoded = Base64Decode(next);
  ASSERT_TRUE(decoded.has_value());
  Json cursor(*decoded);
  EXPECT_EQ(Field(cursor.root, "pageToken"), "Mg==");
  const std::string pinned = Field(cursor.root, "endTime");
  EXPECT_EQ(pinned, end);

  // New events after the first page, and an endTime in the query that would exclude everything:
  // the cursor's pinned end wins, so page two continues the same window.
  httplib::Client admin(sim->base_url());
  ASSERT_EQ(admin.Post("/__sim/audit?add=5")->status, 200);
  auto second = client.Get(
      "/audit-events?pagination.count=10&endTime=2001-01-01T00:00:00Z"
      "&pagination.cursor=" +
      PercentEncode(next));
  ASSERT_TRUE(second && second->status == 200);
  Json page_two(second->body);
  const std::vector<std::string> all = DumpIds(*sim, "audit_events");
  ASSERT_EQ(all.size(), 55u);
  // Dump is newest first: the five new events, then the fifty the first read saw.
  const std::vector<std::string> expected(all.begin() + 15, all.begin() + 25);
  EXPECT_EQ(Ids(page_two.root["data"]["events"]), expected);
}

TEST(SimulatorTest, AuditFiltersByTimeAndResource) {
  SimOptions options;
  options.audit_events = 200;
  auto sim = StartOrDie(options);
  auto client = ClientFor(*sim);
  auto bad = client.Get("/audit-events?startTime=yesterday");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_EQ(FirstErrorField(bad->body), "startTime");

  httplib::Client admin(sim->base_url());
  Json dump(admin.Get("/__sim/dump")->body);
  simdjson::dom::array events = dump.root["audit_events"];
  const std::string newest = Field(events.at(0), "timestamp");
  const std::string tenth = Field(events.at(9), "timestamp");
  auto windowed =
      client.Get("/audit-events?pagination.count=1000&startTime=" + tenth + "&endTime=" + newest);
  ASSERT_TRUE(windowed && windowed->status == 200);
  Json window(windowed->body);
  for (element e : window.root["data"]["events"].get_array()) {
    const std::string ts = Field(e, "timestamp");
    EXPECT_GT(ts, tenth);  // both bounds exclusive; fixed-width UTC text compares in time order
    EXPECT_LT(ts, newest);
  }
  const std::string type = Field(events.at(0), "resourceType");
  auto typed = client.Get("/audit-events?pagination.count=1000&resourceType=" + type);
  ASSERT_TRUE(typed && typed->status == 200);
  Json by_type(typed->body);
  size_t matching = 0;
  for (element e : events) {
    if (Field(e, "resourceType") == type) {
      ++matching;
    }
  }
  EXPECT_EQ(by_type.root["data"]["events"].get_array().size(), matching);
}

TEST(SimulatorTest, DeletingASourceTakesItsDestinationsAlong) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  httplib::Client admin(sim->base_url());
  Json before(admin.Get("/__sim/dump")->body);
  const std::string source = Field(before.root["destinations"].at(0), "sourceId");
  size_t owned = 0;
  for (element d : before.root["destinations"].get_array()) {
    if (Field(d, "sourceId") == source) {
      ++owned;
    }
  }
  ASSERT_GT(owned, 0u);
  auto deleted = admin.Post("/__sim/delete?stream=sources&id=" + source);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200);

  const std::vector<std::string> sources = WalkIds(client, "/sources", "sources", 200);
  EXPECT_EQ(std::count(sources.begin(), sources.end(), source), 0);
  EXPECT_EQ(sources.size(), Ids(before.root["sources"]).size() - 1);
  auto res = client.Get("/destinations?pagination.count=1000");
  Json after(res->body);
  for (element d : after.root["data"]["destinations"].get_array()) {
    EXPECT_NE(Field(d, "sourceId"), source);
  }
  EXPECT_EQ(after.root["data"]["destinations"].get_array().size(),
            Ids(before.root["destinations"]).size() - owned);
  EXPECT_EQ(client.Get("/sources/" + source + "/connected-destinations")->status, 404);
  EXPECT_EQ(admin.Post("/__sim/delete?stream=sources&id=" + source)->status, 404);
  EXPECT_EQ(admin.Post("/__sim/delete?stream=nonsense&id=x")->status, 400);
}

TEST(SimulatorTest, DeleteAfterListWaitsForTheLastPage) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  httplib::Client admin(sim->base_url());
  const std::string victim = FirstId(client, "/groups", "userGroups");
  ASSERT_EQ(admin.Post("/__sim/delete?stream=groups&id=" + victim + "&when=after_list")->status,
            200);
  // Reading pages with a `next` leaves it in place; the page without one removes it.
  auto page = client.Get("/groups?pagination.count=2");
  ASSERT_TRUE(page && page->status == 200);
  EXPECT_NE(page->body.find(victim), std::string::npos);
  EXPECT_EQ(FirstId(client, "/groups", "userGroups"), victim);
  const std::vector<std::string> full = WalkIds(client, "/groups", "userGroups", 1000);
  EXPECT_EQ(full.front(), victim);
  const std::vector<std::string> after = WalkIds(client, "/groups", "userGroups", 1000);
  EXPECT_EQ(after.size() + 1, full.size());
  EXPECT_EQ(std::count(after.begin(), after.end(), victim), 0);
}

TEST(SimulatorTest, DeliveryMetricsValidateSourceGranularityAndWindow) {
  auto sim = StartOrDie();
  auto client = ClientFor(*sim);
  auto list = client.Get("/destinations?pagination.count=1");
  Json json(list->body);
  element destination = json.root["data"]["destinations"].at(0);
  const std::string base = "/destinations/" + Field(destination, "id") + "/delivery-metrics";
  const std::string source = Field(destination, "sourceId");
  const UnixMillis now = SystemClock::Instance().Now();
  const std::string two_days_ago = FormatRfc3339Millis(now - int64_t{2} * 86'400'000);

  auto ok =
      client.Get(base + "?sourceId=" + source + "&granularity=HOUR&startTime=" + two_days_ago);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  Json summary(ok->body);
  EXPECT_EQ(Field(summary.root["data"]["deliveryMetricsSummary"], "sourceId"), source);
  EXPECT_GT(summary.root["data"]["deliveryMetricsSummary"]["metrics"].get_array().size(), 0u);

  struct Case {
    std::string query;
    std::string field;
  };
  const std::string with_source = "?sourceId=" + source;
  const std::string with_start = with_source + "&startTime=";
  for (const Case& c : std::vector<Case>{
           {"", "sourceId"},
           {"?sourceId=someone-else", "sourceId"},
           {with_source + "&granularity=WEEK", "granularity"},
           {with_start + two_days_ago, "startTime"},         // MINUTE: 4 h
           {with_source + "&granularity=DAY", "startTime"},  // 30-day default > 14 days
           {with_source + "&endTime=soon", "endTime"},
       }) {
    auto res = client.Get(base + c.query);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 422) << c.query;
    EXPECT_EQ(FirstErrorField(res->body), c.field) << c.query;
  }
}

TEST(SimulatorTest, RateLimitSendsHeadersThen429WithWaitInBody) {
  SimOptions options;
  options.rate_limit = 3;
  options.rate_window_ms = 60'000;
  auto sim = StartOrDie(options);
  auto client = ClientFor(*sim);
  for (int i = 1; i <= 3; ++i) {
    auto res = client.Get("/warehouses");
    ASSERT_TRUE(res && res->status == 200);
    EXPECT_EQ(res->get_header_value("X-RateLimit-Consumed"), std::to_string(i));
    EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), std::to_string(3 - i));
    auto reset = ParseRfc5322(res->get_header_value("X-RateLimit-Reset"));
    ASSERT_OK(reset) << res->get_header_value("X-RateLimit-Reset");
    EXPECT_GT(*reset, SystemClock::Instance().Now());
  }
  auto limited = client.Get("/warehouses");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  EXPECT_FALSE(limited->has_header("Retry-After"));
  Json body(limited->body);
  element error = body.root["errors"].at(0);
  EXPECT_EQ(Field(error, "type"), "RequestError");
  EXPECT_EQ(Field(error, "message"), "Too many requests");
  EXPECT_EQ(int64_t(error["data"]["remainingPoints"]), 0);
  EXPECT_EQ(int64_t(error["data"]["consumedPoints"]), 4);
  const int64_t wait = error["data"]["msBeforeNext"];
  EXPECT_GT(wait, 0);
  EXPECT_LE(wait, 60'000);
}

TEST(SimulatorTest, EachPlanGateAnswers403NamingTheFeature) {
  SimOptions options;
  options.plan = "team";
  options.protocols = false;
  options.subscriptions = false;
  auto sim = StartOrDie(options);
  auto client = ClientFor(*sim);
  const std::string destination = FirstId(client, "/destinations", "destinations");
  struct Gate {
    std::string path;
    std::string named;
  };
  for (const Gate& gate : std::vector<Gate>{
           {"/audit-events", "Business plan"},
           {"/transformations", "Protocols"},
           {"/destinations/" + destination + "/subscriptions", "Destination Subscriptions"},
       }) {
    auto res = client.Get(gate.path);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 403) << gate.path;
    EXPECT_EQ(FirstErrorType(res->body), "Forbidden");
    EXPECT_NE(res->body.find(gate.named), std::string::npos) << res->body;
  }
  EXPECT_EQ(client.Get("/sources")->status, 200);

  SimOptions open;
  auto entitled = StartOrDie(open);
  auto entitled_client = ClientFor(*entitled);
  EXPECT_EQ(entitled_client.Get("/audit-events")->status, 200);
  EXPECT_EQ(entitled_client.Get("/transformations")->status, 200);
}

TEST(SimulatorTest, FaultsMixEveryKindAndNeverServeGoodData) {
  SimOptions options;
  options.faults = 1.0;
  options.stall_ms = 300;
  auto sim = StartOrDie(options);
  std::set<std::string> kinds;
  for (int i = 0; i < 60; ++i) {
    httplib::Client client = ClientFor(*sim);
    client.set_read_timeout(std::chrono::milliseconds(150));
    const auto started = std::chrono::steady_clock::now();
    auto res = client.Get("/sources");
    const auto elapsed = std::chrono::steady_clock::now() - started;
    if (!res) {
      kinds.insert(elapsed >= std::chrono::milliseconds(140) ? "stall" : "dropped or truncated");
      continue;
    }
    if (res->status == 200) {
      simdjson::dom::parser parser;
      EXPECT_NE(parser.parse(res->body).error(), simdjson::SUCCESS) << "a fault served good JSON";
      kinds.insert("invalid json");
    } else {
      kinds.insert(std::to_string(res->status));
    }
  }
  EXPECT_EQ(kinds,
            (std::set<std::string>{"500", "503", "dropped or truncated", "invalid json", "stall"}));
}

TEST(SimulatorTest, StalledRequestsFreeTheirWorkerWhenTheClientGivesUp) {
  SimOptions options;
  options.faults = 1.0;
  options.stall_ms = 60'000;
  auto sim = StartOrDie(options);
  // About one in six is a stall: 300 requests hold more stalls than the server has workers, so
  // if stalls outlived their clients every later request would time out as well.
  constexpr int kRequests = 300;
  int timed_out = 0;
  for (int i = 0; i < kRequests; ++i) {
    httplib::Client client = ClientFor(*sim);
    client.set_read_timeout(std::chrono::milliseconds(100));
    const auto started = std::chrono::steady_clock::now();
    auto res = client.Get("/sources");
    if (!res && std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(90)) {
      ++timed_out;
    }
  }
  EXPECT_GT(timed_out, kRequests / 12);
  EXPECT_LT(timed_out, kRequests * 3 / 10);
}

TEST(SimulatorTest, TruncatedBodyPromisesMoreThanItSends) {
  SimOptions options;
  options.faults = 1.0;
  options.stall_ms = 100;
  auto sim = StartOrDie(options);
  bool seen = false;
  for (int i = 0; i < 40 && !seen; ++i) {
    httplib::Client client = ClientFor(*sim);
    client.set_read_timeout(std::chrono::seconds(1));
    size_t received = 0;
    size_t promised = 0;
    auto res = client.Get(
        "/sources",
        [&](const httplib::Response& head) {
          if (head.has_header("Content-Length")) {
            promised = std::stoul(head.get_header_value("Content-Length"));
          }
          return true;
        },
        [&](const char*, size_t length) {
          received += length;
          return true;
        });
    if (!res && promised > 0 && received > 0 && received < promised) {
      seen = true;
      EXPECT_EQ(received, promised / 2);
    }
  }
  EXPECT_TRUE(seen);
}

TEST(SimulatorTest, LatencyDelaysEveryResponse) {
  SimOptions options;
  options.latency_ms = 120;
  auto sim = StartOrDie(options);
  auto client = ClientFor(*sim);
  const auto started = std::chrono::steady_clock::now();
  auto res = client.Get("/catalog/warehouses");
  ASSERT_TRUE(res && res->status == 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(120));
}

TEST(SimulatorTest, RequestLogHasOneJsonLinePerRequest) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("sim_log_" + std::to_string(::getpid()))).string();
  std::filesystem::remove(path);
  SimOptions options;
  options.request_log = path;
  {
    auto sim = StartOrDie(options);
    auto client = ClientFor(*sim);
    client.Get("/sources?pagination%5Bcount%5D=5");
    client.Get("/usage/mtu/daily");
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  std::filesystem::remove(path);
  ASSERT_EQ(lines.size(), 2u);
  Json first(lines[0]);
  EXPECT_EQ(Field(first.root, "method"), "GET");
  EXPECT_EQ(Field(first.root, "path"), "/sources");
  EXPECT_EQ(Field(first.root, "query"), "pagination%5Bcount%5D=5");
  EXPECT_EQ(int64_t(first.root["status"]), 200);
  EXPECT_GE(int64_t(first.root["ms"]), 0);
  Json second(lines[1]);
  EXPECT_EQ(int64_t(second.root["status"]), 422);
}

TEST(SimulatorTest, SameSeedSameWorkspaceOtherSeedOtherWorkspace) {
  SimOptions one;
  one.seed = 7;
  SimOptions two = one;
  SimOptions other = one;
  other.seed = 8;
  auto a = StartOrDie(one);
  auto b = StartOrDie(two);
  auto c = StartOrDie(other);
  for (std::string_view stream : {"sources", "destinations", "catalog_destinations", "users"}) {
    EXPECT_EQ(DumpIds(*a, stream), DumpIds(*b, stream)) << stream;
    EXPECT_NE(DumpIds(*a, stream), DumpIds(*c, stream)) << stream;
  }
  auto ca = ClientFor(*a);
  auto cb = ClientFor(*b);
  EXPECT_EQ(ca.Get("/destinations?pagination.count=1000")->body,
            cb.Get("/destinations?pagination.count=1000")->body);
}

TEST(SimulatorTest, StartRejectsUnknownScaleAndPlan) {
  SimOptions bad_scale;
  bad_scale.scale = "huge";
  EXPECT_EQ(Simulator::Start(bad_scale).status().code(), StatusCode::kConfig);
  SimOptions bad_plan;
  bad_plan.plan = "free";
  EXPECT_EQ(Simulator::Start(bad_plan).status().code(), StatusCode::kConfig);
}

}  // namespace
}  // namespace segsync::sim
