// SPDX-License-Identifier: Apache-2.0
// The simulator's newer endpoints without HTTP: their data, gates, parameters and event counts.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "sim/api.h"
#include "sim/extras.h"
#include "sim/random.h"
#include "sim/workspace.h"
#include "status_matchers.h"

namespace segsync::sim {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kHour = 3'600'000;
// 2026-03-10T15:20:00Z: a fixed clock, so the generated data is the same on every run.
constexpr UnixMillis kNow = 1'773'156'000'000;

Workspace Small(uint64_t seed = 1) {
  auto scale = ScaleNamed("small");
  EXPECT_OK(scale);
  return GenerateWorkspace(seed, *scale, kNow);
}

QueryParams Query(std::initializer_list<std::pair<std::string, std::string>> pairs) {
  QueryParams query;
  for (const auto& [k, v] : pairs) {
    query.emplace(k, v);
  }
  return query;
}

struct Parsed {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  explicit Parsed(const std::string& text) {
    EXPECT_EQ(parser.parse(text).get(root), simdjson::SUCCESS) << text.substr(0, 200);
  }
};

std::string ErrorField(const ApiResponse& response) {
  Parsed json(response.body);
  std::string_view field;
  if (json.root["errors"].at(0)["field"].get(field) != simdjson::SUCCESS) {
    return "";
  }
  return std::string(field);
}

uint64_t Digest(const Workspace& ws) {
  uint64_t h = HashString(ws.workspace_id);
  for (const ListStreamInfo& info : ListStreams()) {
    for (const Item& item : ws.list(info.stream)) {
      h = HashCombine(h, HashString(item.json));
    }
  }
  for (const auto& [source, warehouses] : ws.connected_warehouses) {
    for (const std::string& id : warehouses) {
      std::string pair = source;
      pair += '/';
      pair += id;
      h ^= HashString(pair);  // the map's order is unspecified: order-free
    }
  }
  for (const auto& [id, extras] : ws.destination_extras) {
    uint64_t d = HashString(id + extras.delivery_metrics);
    for (const std::string& subscription : extras.subscriptions) {
      d = HashCombine(d, HashString(subscription));
    }
    h ^= d;
  }
  return h;
}

TEST(SimExtrasTest, TheOlderListsAreWhatTheyWereBeforeTheNewerOnes) {
  // The digest of the nine top-level lists, connected warehouses, subscriptions and delivery
  // metrics at `small`, seed 1, as generated before the newer endpoints existed (c1a76eb):
  // the newer data comes from its own random streams and must not shift the older.
  EXPECT_EQ(Digest(Small()), 0x68686772953ee506ULL);
}

TEST(SimExtrasTest, SameSeedSameData) {
  const Workspace a = Small(3);
  const Workspace b = Small(3);
  ASSERT_EQ(a.extras.tracking_plans.size(), b.extras.tracking_plans.size());
  for (size_t i = 0; i < a.extras.tracking_plans.size(); ++i) {
    EXPECT_EQ(a.extras.tracking_plans[i].json, b.extras.tracking_plans[i].json);
    EXPECT_EQ(a.extras.rules.at(a.extras.tracking_plans[i].id),
              b.extras.rules.at(b.extras.tracking_plans[i].id));
  }
  EXPECT_EQ(a.extras.syncs, b.extras.syncs);
  EXPECT_EQ(a.extras.filters, b.extras.filters);
}

TEST(SimExtrasTest, HoursAndMinutesAddUpToTheirDay) {
  VolumeSeries series;
  series.salt = 12345;
  series.first_day = kNow / kDay - 10;
  series.daily_mean = 5'000'000'000;
  int checked_days = 0;
  for (int64_t day = series.first_day - 2; day <= kNow / kDay; ++day) {
    const uint64_t total = VolumeCount(series, day * kDay, kDay);
    if (day < series.first_day) {
      EXPECT_EQ(total, 0u);
      continue;
    }
    uint64_t hours = 0;
    for (int h = 0; h < 24; ++h) {
      const uint64_t hour = VolumeCount(series, day * kDay + h * kHour, kHour);
      hours += hour;
      if (h == 5) {
        uint64_t minutes = 0;
        for (int m = 0; m < 60; ++m) {
          minutes += VolumeCount(series, day * kDay + h * kHour + int64_t{m} * 60'000, 60'000);
        }
        EXPECT_EQ(minutes, hour);
      }
    }
    EXPECT_EQ(hours, total);
    EXPECT_EQ(VolumeCount(series, day * kDay, kDay), total);  // fixed
    ++checked_days;
  }
  EXPECT_EQ(checked_days, 11);
}

TEST(SimExtrasTest, KeylessRuleTypesHaveNoKeyAndVersionsMakeRulesUnique) {
  const Workspace ws = Small();
  std::set<std::string> types_without_key;
  std::set<std::tuple<std::string, std::string, std::string, int64_t>> keys;
  size_t rules = 0;
  for (const Item& plan : ws.extras.tracking_plans) {
    for (const std::string& json : ws.extras.rules.at(plan.id)) {
      Parsed rule(json);
      std::string_view type;
      ASSERT_EQ(rule.root["type"].get(type), simdjson::SUCCESS);
      std::string_view key;
      const bool keyed = rule.root["key"].get(key) == simdjson::SUCCESS;
      if (!keyed) {
        types_without_key.emplace(type);
      }
      EXPECT_TRUE(keyed || type != "TRACK") << json;
      EXPECT_TRUE(!keyed || type == "TRACK" || type == "PAGE" || type == "SCREEN") << json;
      int64_t version = 0;
      ASSERT_EQ(rule.root["version"].get(version), simdjson::SUCCESS);
      EXPECT_TRUE(rule.root["jsonSchema"].is_object());
      EXPECT_TRUE(keys.emplace(plan.id, std::string(type) + (keyed ? "" : "\x01"), std::string(key),
                               version)
                      .second)
          << json;
      ++rules;
    }
  }
  EXPECT_GT(rules, 20u);
  EXPECT_GE(types_without_key.size(), 3u);
}

TEST(SimExtrasTest, GatesAnswer403BeforeAnythingElse) {
  Entitlements team;
  team.audit_trail = false;
  team.destination_filters = false;
  team.protocols = false;
  SimulatedApi api(Small(), team);
  for (const char* path : {"/tracking-plans", "/tracking-plans/unknown/rules",
                           "/tracking-plans/unknown/sources", "/destination/unknown/filters"}) {
    const ApiResponse response = api.Get(path, Query({{"pagination.count", "0"}}), kNow);
    EXPECT_EQ(response.status, 403) << path;
  }
  EXPECT_NE(api.Get("/destination/x/filters", {}, kNow).body.find("Business plan"),
            std::string::npos);
  EXPECT_NE(api.Get("/tracking-plans", {}, kNow).body.find("Protocols"), std::string::npos);
  // The other newer endpoints are not gated.
  EXPECT_EQ(api.Get("/roles", {}, kNow).status, 200);
  EXPECT_EQ(api.Get("/labels", {}, kNow).status, 200);
}

TEST(SimExtrasTest, LabelsAreOneResponseWithoutPagination) {
  SimulatedApi api(Small(), {});
  const ApiResponse response = api.Get("/labels", Query({{"pagination.count", "1"}}), kNow);
  ASSERT_EQ(response.status, 200);
  Parsed json(response.body);
  simdjson::dom::array labels;
  ASSERT_EQ(json.root["data"]["labels"].get(labels), simdjson::SUCCESS);
  EXPECT_EQ(labels.size(), 12u);
  EXPECT_EQ(json.root["data"]["pagination"].error(), simdjson::NO_SUCH_FIELD);
}

TEST(SimExtrasTest, FunctionsNeedAResourceType) {
  SimulatedApi api(Small(), {});
  EXPECT_EQ(ErrorField(api.Get("/functions", {}, kNow)), "resourceType");
  EXPECT_EQ(api.Get("/functions", Query({{"resourceType", "source"}}), kNow).status, 422);
  for (const auto type : kFunctionTypes) {
    const ApiResponse response =
        api.Get("/functions", Query({{"resourceType", std::string(type)}}), kNow);
    ASSERT_EQ(response.status, 200) << type;
    EXPECT_NE(response.body.find("\"resourceType\":\"" + std::string(type) + "\""),
              std::string::npos);
  }
}

TEST(SimExtrasTest, EventVolumeValidatesItsParameters) {
  SimulatedApi api(Small(), {});
  const std::string day = "2026-03-01T00:00:00Z";
  const std::string later = "2026-03-10T00:00:00Z";
  struct Case {
    QueryParams query;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Query({{"startTime", day}, {"endTime", later}}), "granularity"},
      {Query({{"granularity", "WEEK"}, {"startTime", day}, {"endTime", later}}), "granularity"},
      {Query({{"granularity", "DAY"}, {"endTime", later}}), "startTime"},
      {Query({{"granularity", "DAY"}, {"startTime", day}}), "endTime"},
      {Query({{"granularity", "DAY"}, {"startTime", "2026-03-01"}, {"endTime", later}}),
       "startTime"},
      {Query({{"granularity", "DAY"}, {"startTime", "2026-03-01T01:00:00Z"}, {"endTime", later}}),
       "startTime"},
      {Query({{"granularity", "DAY"}, {"startTime", later}, {"endTime", day}}), "startTime"},
      {Query({{"granularity", "DAY"}, {"startTime", day}, {"endTime", day}}), "startTime"},
      {Query({{"granularity", "DAY"}, {"startTime", "2026-01-01T00:00:00Z"}, {"endTime", later}}),
       "endTime"},
      {Query({{"granularity", "HOUR"}, {"startTime", day}, {"endTime", "2026-03-15T01:00:00Z"}}),
       "endTime"},
      {Query({{"granularity", "MINUTE"},
              {"startTime", "2026-03-01T10:00:00Z"},
              {"endTime", "2026-03-01T14:01:00Z"}}),
       "endTime"},
      {Query({{"granularity", "DAY"}, {"startTime", day}, {"endTime", later}, {"groupBy", "app"}}),
       "groupBy"},
      {Query({{"granularity", "DAY"},
              {"startTime", day},
              {"endTime", later},
              {"pagination.count", "1001"}}),
       "pagination.count"},
  };
  for (const Case& c : cases) {
    const ApiResponse response = api.Get("/events/volume", c.query, kNow);
    EXPECT_EQ(response.status, 422) << response.body;
    EXPECT_EQ(ErrorField(response), c.field) << response.body;
  }
  // Exactly 30 days, 14 days and 4 hours are allowed.
  EXPECT_EQ(api.Get("/events/volume",
                    Query({{"granularity", "DAY"},
                           {"startTime", "2026-02-08T00:00:00Z"},
                           {"endTime", later}}),
                    kNow)
                .status,
            200);
  EXPECT_EQ(api.Get("/events/volume",
                    Query({{"granularity", "MINUTE"},
                           {"startTime", "2026-03-01T10:00:00Z"},
                           {"endTime", "2026-03-01T14:00:00+00:00"}}),
                    kNow)
                .status,
            200);
}

// The flattened rows of every page of one window: (time, source id, event name or "<none>",
// type) -> count.
std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t> VolumeRows(
    SimulatedApi& api, const std::string& start, const std::string& end,
    const std::string& granularity = "DAY", int expect_status = 200) {
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t> rows;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    QueryParams query = Query({{"granularity", granularity},
                               {"startTime", start},
                               {"endTime", end},
                               {"groupBy", "source,eventName,eventType"},
                               {"pagination.count", "7"}});
    if (!cursor.empty()) {
      query.emplace("pagination.cursor", cursor);
    }
    const ApiResponse response = api.Get("/events/volume", query, kNow);
    EXPECT_EQ(response.status, expect_status) << response.body;
    if (response.status != 200) {
      break;
    }
    Parsed json(response.body);
    for (simdjson::dom::element result : json.root["data"]["result"].get_array()) {
      std::string_view source;
      EXPECT_EQ(result["source"]["id"].get(source), simdjson::SUCCESS);
      std::string_view name = "<none>";
      if (result["eventName"].get(name) != simdjson::SUCCESS) {
        name = "<none>";
      }
      std::string_view type;
      EXPECT_EQ(result["eventType"].get(type), simdjson::SUCCESS);
      int64_t total = 0;
      for (simdjson::dom::element point : result["series"].get_array()) {
        std::string_view time;
        EXPECT_EQ(point["time"].get(time), simdjson::SUCCESS);
        const int64_t count = point["count"].get_int64().value();
        EXPECT_GT(count, 0);
        total += count;
        EXPECT_TRUE(rows.emplace(std::make_tuple(std::string(time), std::string(source),
                                                 std::string(name), std::string(type)),
                                 count)
                        .second);
      }
      EXPECT_EQ(result["total"].get_int64().value(), total);
    }
    std::string_view next;
    if (json.root["data"]["pagination"]["next"].get(next) != simdjson::SUCCESS) {
      break;
    }
    cursor = std::string(next);
  }
  return rows;
}

TEST(SimExtrasTest, AdjacentWindowsAgreeWithOneLongerWindow) {
  SimulatedApi api(Small(), {});
  auto whole = VolumeRows(api, "2026-02-20T00:00:00Z", "2026-03-12T00:00:00Z");
  auto first = VolumeRows(api, "2026-02-20T00:00:00Z", "2026-03-01T00:00:00Z");
  const auto second = VolumeRows(api, "2026-03-01T00:00:00Z", "2026-03-12T00:00:00Z");
  EXPECT_GT(whole.size(), 100u);
  first.insert(second.begin(), second.end());
  EXPECT_EQ(first, whole);
  // Nothing after today (2026-03-10): buckets that have not begun are left out.
  for (const auto& [key, count] : whole) {
    EXPECT_LT(std::get<0>(key), "2026-03-11");
  }
  // Nameless events exist.
  EXPECT_TRUE(std::any_of(whole.begin(), whole.end(),
                          [](const auto& row) { return std::get<2>(row.first) == "<none>"; }));
}

TEST(SimExtrasTest, UngroupedVolumeIsTheSumOfTheGroups) {
  SimulatedApi api(Small(), {});
  const auto rows = VolumeRows(api, "2026-03-01T00:00:00Z", "2026-03-05T00:00:00Z");
  int64_t grouped = 0;
  for (const auto& [key, count] : rows) {
    grouped += count;
  }
  const ApiResponse response = api.Get("/events/volume",
                                       Query({{"granularity", "DAY"},
                                              {"startTime", "2026-03-01T00:00:00Z"},
                                              {"endTime", "2026-03-05T00:00:00Z"}}),
                                       kNow);
  ASSERT_EQ(response.status, 200);
  Parsed json(response.body);
  simdjson::dom::array result = json.root["data"]["result"].get_array();
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result.at(0)["total"].get_int64().value(), grouped);
  EXPECT_EQ(result.at(0)["source"].error(), simdjson::NO_SUCH_FIELD);
}

// --- `--volume-end-time`: which startTime and endTime the server takes (undocumented). ---

SimulatedApi VolumeApi(VolumeEndTime mode) {
  Entitlements entitlements;
  entitlements.volume_end_time = mode;
  return SimulatedApi(Small(), entitlements);
}

// Status and error field of a DAY window of /events/volume at kNow.
std::pair<int, std::string> VolumeAnswer(SimulatedApi& api, const std::string& start,
                                         const std::string& end) {
  const ApiResponse response =
      api.Get("/events/volume",
              Query({{"granularity", "DAY"}, {"startTime", start}, {"endTime", end}}), kNow);
  return {response.status, response.status == 200 ? "" : ErrorField(response)};
}

using Answer = std::pair<int, std::string>;
const std::string kDayStart = "2026-03-01T00:00:00Z";
const std::string kToday = "2026-03-10T00:00:00Z";
const std::string kTomorrow = "2026-03-11T00:00:00Z";
const std::string kLagged = "2026-03-10T15:19:00Z";  // kNow - 1 minute, as documented

TEST(SimExtrasTest, VolumeEndTimeBoundaryWantsBoundariesAndTakesTheFuture) {
  SimulatedApi api = VolumeApi(VolumeEndTime::kBoundary);
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kTomorrow), Answer(200, ""));
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kLagged), Answer(422, "endTime"));
  EXPECT_EQ(VolumeAnswer(api, "2026-03-01T12:00:00Z", kToday), Answer(422, "startTime"));
  SimulatedApi by_default(Small(), {});
  EXPECT_EQ(VolumeAnswer(by_default, kDayStart, kLagged), Answer(422, "endTime"));
}

TEST(SimExtrasTest, VolumeEndTimeBoundaryPastWantsBoundariesAndNoFuture) {
  SimulatedApi api = VolumeApi(VolumeEndTime::kBoundaryPast);
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kToday), Answer(200, ""));
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kTomorrow), Answer(422, "endTime"));
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kLagged), Answer(422, "endTime"));
  EXPECT_EQ(VolumeAnswer(api, "2026-03-01T12:00:00Z", kToday), Answer(422, "startTime"));
}

TEST(SimExtrasTest, VolumeEndTimePastTakesAnyTimeUpToNow) {
  SimulatedApi api = VolumeApi(VolumeEndTime::kPast);
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kLagged), Answer(200, ""));
  EXPECT_EQ(VolumeAnswer(api, kDayStart, "2026-03-10T15:20:00Z"), Answer(200, ""));  // now
  EXPECT_EQ(VolumeAnswer(api, "2026-03-01T12:34:56Z", kToday), Answer(200, ""));
  EXPECT_EQ(VolumeAnswer(api, kDayStart, "2026-03-10T15:20:00.001Z"), Answer(422, "endTime"));
  EXPECT_EQ(VolumeAnswer(api, kDayStart, kTomorrow), Answer(422, "endTime"));
  const ApiResponse refused = api.Get(
      "/events/volume",
      Query({{"granularity", "DAY"}, {"startTime", kDayStart}, {"endTime", kTomorrow}}), kNow);
  EXPECT_NE(refused.body.find("must not be in the future"), std::string::npos) << refused.body;
}

using VolumeKey = std::tuple<std::string, std::string, std::string>;  // source, name, type

// The rows' counts by (source, name, type), over the rows whose time starts with `day` (all
// when empty).
std::map<VolumeKey, int64_t> ByGroup(
    const std::map<std::tuple<std::string, std::string, std::string, std::string>, int64_t>& rows,
    const std::string& day = "") {
  std::map<VolumeKey, int64_t> out;
  for (const auto& [key, count] : rows) {
    if (std::get<0>(key).starts_with(day)) {
      out[{std::get<1>(key), std::get<2>(key), std::get<3>(key)}] += count;
    }
  }
  return out;
}

TEST(SimExtrasTest, VolumeEndTimeAnyCountsOnlyEventsWithinTheWindowInAlignedBuckets) {
  SimulatedApi any = VolumeApi(VolumeEndTime::kAny);
  SimulatedApi boundary = VolumeApi(VolumeEndTime::kBoundary);
  EXPECT_EQ(VolumeAnswer(any, kDayStart, kTomorrow), Answer(200, ""));  // the future too
  // Up to a minute behind the clock: the days before today as whole, today's bucket (at its
  // midnight) with its events before endTime, as the hours and minutes before it tell.
  const auto lagged = VolumeRows(any, kDayStart, kLagged);
  const auto whole = VolumeRows(boundary, kDayStart, kTomorrow);
  for (const auto& [key, count] : whole) {
    if (std::get<0>(key) < "2026-03-10") {
      EXPECT_EQ(lagged.count(key) != 0 ? lagged.at(key) : 0, count);
    }
  }
  for (const auto& [key, count] : lagged) {
    EXPECT_TRUE(std::get<0>(key) == "2026-03-10T00:00:00Z" || whole.contains(key));
  }
  auto before = ByGroup(VolumeRows(boundary, kToday, "2026-03-10T15:00:00Z", "HOUR"));
  for (const auto& [key, count] :
       ByGroup(VolumeRows(boundary, "2026-03-10T15:00:00Z", "2026-03-10T15:19:00Z", "MINUTE"))) {
    before[key] += count;
  }
  const auto today = ByGroup(lagged, "2026-03-10");
  EXPECT_FALSE(today.empty());
  EXPECT_EQ(today, before);
  EXPECT_NE(today, ByGroup(whole, "2026-03-10")) << "the rest of today is not counted";

  // From midday: that day's bucket, still at its midnight, holds its afternoon only.
  const auto afternoon = VolumeRows(any, "2026-03-05T12:00:00Z", "2026-03-07T00:00:00Z");
  EXPECT_EQ(ByGroup(afternoon, "2026-03-05"),
            ByGroup(VolumeRows(boundary, "2026-03-05T12:00:00Z", "2026-03-06T00:00:00Z", "HOUR")));
  EXPECT_EQ(ByGroup(afternoon, "2026-03-06"),
            ByGroup(VolumeRows(boundary, "2026-03-06T00:00:00Z", "2026-03-07T00:00:00Z")));
  for (const auto& [key, count] : afternoon) {
    EXPECT_TRUE(std::get<0>(key) == "2026-03-05T00:00:00Z" ||
                std::get<0>(key) == "2026-03-06T00:00:00Z")
        << std::get<0>(key);
  }
  // Within one minute, a minute's events count from its start on.
  EXPECT_EQ(
      ByGroup(VolumeRows(any, "2026-03-05T12:00:30Z", "2026-03-05T12:02:00Z", "MINUTE")),
      ByGroup(VolumeRows(boundary, "2026-03-05T12:01:00Z", "2026-03-05T12:02:00Z", "MINUTE")));
}

TEST(SimExtrasTest, DeletesReachTheNewerLists) {
  Workspace ws = Small();
  const std::string plan = ws.extras.tracking_plans[1].id;
  const std::string role = ws.extras.roles[7].id;
  SimulatedApi api(std::move(ws), {});
  EXPECT_EQ(api.Delete("tracking_plans", plan, "").status, 200);
  EXPECT_EQ(api.Get("/tracking-plans/" + plan + "/rules", {}, kNow).status, 404);
  EXPECT_EQ(api.Delete("roles", role, "after_list").status, 200);
  EXPECT_NE(
      api.Get("/roles", Query({{"pagination.count", "1"}}), kNow).body.find("totalEntries\":10"),
      std::string::npos);
  EXPECT_NE(api.Get("/roles", {}, kNow).body.find(role), std::string::npos);  // the last page
  EXPECT_EQ(api.Get("/roles", {}, kNow).body.find(role), std::string::npos);
  EXPECT_EQ(api.Delete("labels", "team=growth", "").status, 200);
  EXPECT_EQ(api.Get("/labels", {}, kNow).body.find(R"("key":"team","value":"growth")"),
            std::string::npos);
  EXPECT_EQ(api.Delete("labels", "team=nothing", "").status, 404);
  EXPECT_EQ(api.Delete("labels", "region=eu", "after_list").status, 200);
  const std::string region_eu = R"("key":"region","value":"eu")";
  EXPECT_NE(api.Get("/labels", {}, kNow).body.find(region_eu), std::string::npos);
  EXPECT_EQ(api.Get("/labels", {}, kNow).body.find(region_eu), std::string::npos);
}

TEST(SimExtrasTest, AdvancingSyncsAddsNewOnesFinishesRunningOnesAndDropsTheOldest) {
  Workspace ws = Small();
  const auto before = ws.extras.syncs;
  const auto meta_before = ws.extras.sync_meta;
  size_t running = 0;
  for (const auto& [warehouse, meta] : meta_before) {
    for (const SyncMeta& sync : meta) {
      running += sync.running ? 1 : 0;
    }
  }
  ASSERT_GT(running, 0u);
  const UnixMillis later = kNow + 5 * kHour + 123;
  AdvanceSyncs(ws, 2, later);
  size_t changed_lists = 0;
  for (const auto& [warehouse, syncs] : ws.extras.syncs) {
    const std::vector<SyncMeta>& meta = ws.extras.sync_meta.at(warehouse);
    ASSERT_EQ(syncs.size(), before.at(warehouse).size()) << warehouse;
    ASSERT_EQ(meta.size(), syncs.size());
    std::set<std::pair<std::string, UnixMillis>> keys;
    for (size_t i = 0; i < syncs.size(); ++i) {
      EXPECT_FALSE(meta[i].running);
      EXPECT_NE(syncs[i].find("\"end\":\""), std::string::npos) << syncs[i];
      EXPECT_TRUE(keys.emplace(meta[i].source_id, meta[i].start).second);
      if (i > 0) {
        EXPECT_GE(meta[i - 1].start, meta[i].start);  // newest first
      }
    }
    if (!syncs.empty()) {
      EXPECT_EQ(meta.front().start, later - later % 1000 + 1000);  // the second of two
      ++changed_lists;
    }
  }
  EXPECT_GT(changed_lists, 0u);
}

}  // namespace
}  // namespace segsync::sim
