// SPDX-License-Identifier: Apache-2.0
// Generates the data of the newer endpoints, each part from its own random stream.
#include "sim/extras.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "core/json_writer.h"
#include "sim/random.h"
#include "sim/text.h"

namespace segsync::sim {
namespace {

constexpr int64_t kMillisPerHour = 3'600'000;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;

// The roles users' permissions name (workspace.cc draws their ids from the same stream).
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kBuiltInRoles = {{
    {"Workspace Owner", "Grants full read and edit access to everything in the workspace"},
    {"Workspace Member", "Grants read access to the workspace"},
    {"Source Admin", "Grants edit access to a source, its settings, connections and schema"},
    {"Source Read-only", "Grants read access to a source"},
    {"Warehouse Admin", "Grants edit access to a warehouse"},
    {"Unify Read-only", "Grants read access to Unify spaces"},
}};

// Label pairs the sources carry (workspace.cc WriteLabels), listed first.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSourceLabels = {{
    {"environment", "prod"},
    {"environment", "dev"},
    {"team", "growth"},
    {"region", "eu"},
    {"cost-center", "4711"},
}};

// Event names: ordinary ones and ones that break careless keys (never "", never a comma-free
// guarantee: a name may hold a comma, which a comma-delimited filter cannot express).
constexpr std::array<std::string_view, 16> kEventNames = {
    "Order Completed",
    "Product Viewed",
    "Signed Up",
    "Checkout Started",
    "Button Clicked",
    "Order Completed, v2",
    "order completed",
    "🚀 Launched",
    "注文完了",
    "She said \"buy\"",
    "null",
    " ",
    "path/with/slashes",
    "Experiment Viewed",
    "Application Opened",
    "Cart Viewed",
};

constexpr std::array<std::string_view, 6> kPropertyNames = {
    "revenue", "currency", "product_id", "emoji_🔑", "nested.dot", "$ref",
};

std::string Stamp(UnixMillis t) {
  std::string text = FormatRfc3339Millis(t - t % 1000);
  text.erase(text.size() - 5, 4);  // whole seconds, "...:22Z"
  return text;
}

void WriteTimes(JsonWriter& w, Rng& rng, UnixMillis now, bool required) {
  const UnixMillis created =
      now - rng.Between(30, 900) * kMillisPerDay - rng.Between(0, 86'399) * 1000;
  const UnixMillis updated = created + rng.Between(0, 25) * kMillisPerDay;
  if (required || rng.Chance(0.9)) {
    w.Key("createdAt").String(FormatRfc3339Millis(created));
  }
  if (required || rng.Chance(0.9)) {
    w.Key("updatedAt").String(FormatRfc3339Millis(updated));
  }
}

// A JSON Schema for event properties, `depth` levels of nested objects.
void WritePropertySchema(JsonWriter& w, Rng& rng, int depth) {
  w.BeginObject();
  w.Key("type").String("object");
  w.Key("properties").BeginObject();
  const int64_t n = rng.Between(1, 4);
  std::set<std::string_view> used;
  for (int64_t i = 0; i < n; ++i) {
    const std::string_view name = rng.Pick(kPropertyNames);
    if (!used.insert(name).second) {
      continue;
    }
    w.Key(name);
    if (depth > 1 && rng.Chance(0.4)) {
      WritePropertySchema(w, rng, depth - 1);
      continue;
    }
    w.BeginObject();
    switch (rng.Below(4)) {
      case 0:
        w.Key("type").String("number");
        break;
      case 1:
        w.Key("type").BeginArray().String("string").String("null").EndArray();
        break;
      case 2:
        w.Key("type").String("string").Key("enum").BeginArray().String("USD").String("EUR");
        w.String(HostileText(rng)).EndArray();
        break;
      default:
        w.Key("type").String("array").Key("items").BeginObject().Key("type").String("integer");
        w.EndObject();
        break;
    }
    if (rng.Chance(0.3)) {
      w.Key("description").String(Decorate(rng, "A property", kHostileShare));
    }
    w.EndObject();
  }
  w.EndObject();
  if (rng.Chance(0.5)) {
    w.Key("required").BeginArray().String(*used.begin()).EndArray();
  }
  w.EndObject();
}

std::string RuleJson(Rng& rng, std::string_view type, const std::optional<std::string>& key,
                     int version, int depth, UnixMillis now) {
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String(type);
  if (key.has_value()) {
    w.Key("key").String(*key);
  }
  w.Key("jsonSchema").BeginObject();
  w.Key("$schema").String("http://json-schema.org/draft-07/schema#");
  w.Key("type").String("object");
  w.Key("properties").BeginObject();
  w.Key(type == "IDENTIFY" ? "traits" : type == "COMMON" ? "context" : "properties");
  WritePropertySchema(w, rng, depth);
  w.EndObject();
  w.EndObject();
  w.Key("version").Int(version);
  WriteTimes(w, rng, now, false);
  if (rng.Chance(0.05)) {
    w.Key("deprecatedAt").String(FormatRfc3339Millis(now - rng.Between(1, 20) * kMillisPerDay));
  }
  w.EndObject();
  return w.Take();
}

void GenerateTrackingPlans(Workspace& ws, const ScaleSpec& scale,
                           const std::vector<SourceBrief>& sources, UnixMillis now) {
  static constexpr std::array<std::string_view, 5> kPlanTypes = {
      "LIVE", "LIVE", "TEMPLATE", "PROPERTY_LIBRARY", "RULE_LIBRARY"};
  Extras& x = ws.extras;
  SlugSet slugs;
  for (int i = 0; i < scale.extras.tracking_plans; ++i) {
    Rng rng = Rng::For(ws.seed, "tracking_plans", static_cast<uint64_t>(i));
    Item item;
    item.id = "tp_" + Base58Id(rng, 27);
    const std::string name = Decorate(rng, "Tracking Plan " + std::to_string(i + 1), 0.2);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    if (rng.Chance(0.95)) {
      w.Key("name").String(name);
    }
    if (rng.Chance(0.9)) {
      w.Key("slug").String(slugs.Claim(name, "tracking_plan_" + std::to_string(i)));
    }
    if (rng.Chance(0.6)) {
      w.Key("description").String(Decorate(rng, "Events of the web app", kHostileShare));
    }
    const std::string_view plan_type = i == 0 ? "LIVE" : rng.Pick(kPlanTypes);
    w.Key("type").String(plan_type);
    x.plan_types.emplace(item.id, plan_type);
    WriteTimes(w, rng, now, false);
    w.EndObject();
    item.json = w.Take();

    // Rules: keyed TRACK rules (some in two versions), keyless IDENTIFY/GROUP/COMMON, and PAGE
    // and SCREEN both keyless and keyed.
    Rng rules_rng = Rng::For(ws.seed, "tracking_plan_rules", static_cast<uint64_t>(i));
    std::vector<std::string>& rules = x.rules[item.id];
    const bool hub = i == 0 && scale.hub_children > 0;
    const int64_t track = hub ? scale.hub_children : rules_rng.Between(0, scale.extras.max_rules);
    const int depth = hub ? 2 : static_cast<int>(rules_rng.Between(1, 4));
    for (int64_t k = 0; k < track; ++k) {
      std::string key = k < static_cast<int64_t>(kEventNames.size())
                            ? std::string(kEventNames[static_cast<size_t>(k)])
                            : "Event " + std::to_string(k);
      rules.push_back(RuleJson(rules_rng, "TRACK", key, 1, depth, now));
      if (rules_rng.Chance(0.1)) {
        rules.push_back(RuleJson(rules_rng, "TRACK", key, 2, depth, now));
      }
    }
    for (std::string_view type : {"IDENTIFY", "GROUP", "PAGE", "SCREEN", "COMMON"}) {
      if (!rules_rng.Chance(0.6)) {
        continue;
      }
      rules.push_back(RuleJson(rules_rng, type, std::nullopt, 1, depth, now));
      if (rules_rng.Chance(0.2)) {
        rules.push_back(RuleJson(rules_rng, type, std::nullopt, 2, depth, now));
      }
      if ((type == "PAGE" || type == "SCREEN") && rules_rng.Chance(0.5)) {
        rules.push_back(RuleJson(rules_rng, type, std::string(type == "PAGE" ? "Home" : "Cart"), 1,
                                 depth, now));
      }
    }
    x.plan_sources[item.id];
    x.tracking_plans.push_back(std::move(item));
  }
  if (x.tracking_plans.empty()) {
    return;
  }
  // A source is connected to at most one tracking plan. The hub plan has the first sources (all
  // but 50), so that at `large` its list spans pages at 1000.
  const size_t hub_sources =
      scale.hub_children > 0 && sources.size() > 50
          ? std::min(sources.size() - 50, static_cast<size_t>(scale.hub_children))
          : 0;
  for (size_t i = 0; i < sources.size(); ++i) {
    Rng rng = Rng::For(ws.seed, "tracking_plan_sources", i);
    if (i < hub_sources) {
      x.plan_sources[x.tracking_plans[0].id].push_back(sources[i].id);
    } else if (rng.Chance(0.5)) {
      x.plan_sources[rng.Pick(x.tracking_plans).id].push_back(sources[i].id);
    }
  }
}

void GenerateFunctions(Workspace& ws, const ScaleSpec& scale, UnixMillis now) {
  static constexpr std::array<std::string_view, 3> kPrefixes = {"sfnc_", "dfn_", "ifnd_"};
  static constexpr std::array<std::string_view, 3> kNouns = {
      "Source Function", "Destination Function", "Insert Function"};
  for (size_t t = 0; t < kFunctionTypes.size(); ++t) {
    for (int i = 0; i < scale.extras.functions[t]; ++i) {
      Rng rng = Rng::For(ws.seed, "functions", t * 1'000'000 + static_cast<uint64_t>(i));
      Item item;
      item.id = std::string(kPrefixes[t]) + AlnumId(rng, 22);
      JsonWriter w;
      w.BeginObject();
      w.Key("id").String(item.id);
      w.Key("resourceType").String(kFunctionTypes[t]);
      WriteTimes(w, rng, now, false);
      if (rng.Chance(0.8) && !ws.actors.empty()) {
        w.Key("createdBy").String(rng.Pick(ws.actors));
      }
      if (rng.Chance(0.9)) {
        w.Key("displayName")
            .String(
                Decorate(rng, std::string(kNouns[t]) + " " + std::to_string(i + 1), kHostileShare));
      }
      if (rng.Chance(0.5)) {
        w.Key("logoUrl").String("https://cdn.example.com/functions/" + AlnumId(rng, 8) + ".svg");
      }
      if (rng.Chance(0.7)) {
        w.Key("catalogId").String(HexId(rng, 24));
      }
      w.EndObject();
      item.json = w.Take();
      ws.extras.functions[t].push_back(std::move(item));
    }
  }
}

void GenerateLabels(Workspace& ws, const ScaleSpec& scale) {
  static constexpr std::array<std::string_view, 8> kKeys = {
      "environment", "Environment", "team", "region", "cost-center", "owner", "🏷️", "ключ"};
  Rng rng = Rng::For(ws.seed, "labels");
  std::set<std::string> seen;
  auto add = [&](const std::string& key, const std::string& value) {
    if (!seen.insert(key + "=" + value).second) {
      return;
    }
    JsonWriter w;
    w.BeginObject().Key("key").String(key).Key("value").String(value);
    if (rng.Chance(0.3)) {
      w.Key("description").String(Decorate(rng, "Label " + key, kHostileShare));
    }
    w.EndObject();
    ws.extras.labels.push_back({key + "=" + value, w.Take(), {}});
  };
  for (const auto& [key, value] : kSourceLabels) {
    add(std::string(key), std::string(value));
  }
  // The same value under keys that differ only by case, and values that differ only by case.
  add("Environment", "prod");
  add("environment", "Prod");
  int guard = 0;
  while (static_cast<int>(ws.extras.labels.size()) < scale.extras.labels && guard++ < 100'000) {
    const std::string key(rng.Pick(kKeys));
    add(key, rng.Chance(0.1) ? std::string("value with space")
                             : "v" + std::to_string(rng.Between(0, 9999)));
  }
}

void GenerateFilters(Workspace& ws, const ScaleSpec& scale, UnixMillis now) {
  static constexpr std::array<std::string_view, 5> kConditions = {
      "all",
      "type = \"track\" and event = \"Order Completed\"",
      "event = \"She said \\\"buy\\\"\"",
      "!(properties.plan = \"enterprise\") or context.library.name = \"analytics.js\"",
      "match(event, \"Product*\")",
  };
  const auto& destinations = ws.list(ListStream::kDestinations);
  for (size_t i = 0; i < destinations.size(); ++i) {
    const Item& destination = destinations[i];
    Rng rng = Rng::For(ws.seed, "destination_filters", i);
    std::vector<std::string>& filters = ws.extras.filters[destination.id];
    const int64_t n = i == 0 && scale.hub_children > 0 ? scale.hub_children
                      : rng.Chance(0.3)                ? rng.Between(1, 3)
                                                       : 0;
    for (int64_t k = 0; k < n; ++k) {
      JsonWriter w;
      w.BeginObject();
      w.Key("id").String(Base58Id(rng));
      w.Key("sourceId").String(destination.source_id);
      w.Key("destinationId").String(destination.id);
      w.Key("if").String(rng.Pick(kConditions));
      w.Key("actions").BeginArray();
      switch (rng.Below(4)) {
        case 0:
          w.BeginObject().Key("type").String("DROP").EndObject();
          break;
        case 1:
          w.BeginObject().Key("type").String("SAMPLE");
          w.Key("percent").Double(static_cast<double>(rng.Between(1, 99)) / 100.0);
          w.Key("path").String("userId").EndObject();
          break;
        default:
          w.BeginObject().Key("type").String(rng.Chance(0.5) ? "ALLOW_PROPERTIES"
                                                             : "DROP_PROPERTIES");
          w.Key("fields").BeginObject();
          w.Key("properties").BeginArray().String("email").String("nested.dot").EndArray();
          if (rng.Chance(0.5)) {
            w.Key("context").BeginArray().String("ip").EndArray();
          }
          w.EndObject().EndObject();
          break;
      }
      w.EndArray();
      w.Key("title").String(Decorate(rng, "Filter " + std::to_string(k + 1), kHostileShare));
      if (rng.Chance(0.5)) {
        w.Key("description").String(Decorate(rng, "Drops test traffic", kHostileShare));
      }
      w.Key("enabled").Bool(rng.Chance(0.8));
      WriteTimes(w, rng, now, true);
      w.EndObject();
      filters.push_back(w.Take());
    }
  }
}

void GenerateModels(Workspace& ws, const ScaleSpec& scale,
                    const std::vector<SourceBrief>& sources) {
  if (sources.empty()) {
    return;
  }
  for (int i = 0; i < scale.extras.reverse_etl_models; ++i) {
    Rng rng = Rng::For(ws.seed, "reverse_etl_models", static_cast<uint64_t>(i));
    Item item;
    item.id = Base58Id(rng);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    w.Key("sourceId").String(rng.Pick(sources).id);
    w.Key("name").String(Decorate(rng, "Model " + std::to_string(i + 1), kHostileShare));
    w.Key("description")
        .String(rng.Chance(0.3) ? std::string() : Decorate(rng, "Users who bought", 0.2));
    w.Key("enabled").Bool(rng.Chance(0.7));
    switch (rng.Below(3)) {
      case 0:
        w.Key("scheduleStrategy").String("manual");
        w.Key("scheduleConfig").BeginObject().EndObject();
        break;
      case 1:
        w.Key("scheduleStrategy").String("periodic");
        w.Key("scheduleConfig").BeginObject().Key("interval").String("15m").EndObject();
        break;
      default:
        w.Key("scheduleStrategy").String("specific_days");
        w.Key("scheduleConfig").BeginObject();
        w.Key("days").BeginArray().Int(0).Int(6).EndArray();
        w.Key("hours").BeginArray().Int(9).Int(21).EndArray();
        w.Key("timezone").String("America/Los_Angeles").EndObject();
        break;
    }
    w.Key("query").String(rng.Chance(0.2) ? "SELECT id, email\r\nFROM \"users\"\tWHERE note = "
                                            "'; DROP TABLE x; --'"
                                          : "SELECT id, email FROM users WHERE plan = 'pro'");
    w.Key("queryIdentifierColumn").String(rng.Chance(0.9) ? "id" : "ключ");
    w.EndObject();
    item.json = w.Take();
    ws.extras.reverse_etl_models.push_back(std::move(item));
  }
}

void GenerateRoles(Workspace& ws, const ScaleSpec& scale) {
  Rng ids = Rng::For(ws.seed, "roles");  // the same ids users' permissions carry
  Rng rng = Rng::For(ws.seed, "role_list");
  for (int i = 0; i < scale.extras.roles; ++i) {
    Item item;
    std::string name;
    std::string description;
    if (i < static_cast<int>(kBuiltInRoles.size())) {
      item.id = Base58Id(ids, 27);
      name = kBuiltInRoles[static_cast<size_t>(i)].first;
      description = kBuiltInRoles[static_cast<size_t>(i)].second;
    } else {
      item.id = Base58Id(rng, 27);
      name = Decorate(rng, "Custom Role " + std::to_string(i), kHostileShare);
      description = rng.Chance(0.2) ? std::string() : Decorate(rng, "Grants access", 0.1);
    }
    JsonWriter w;
    w.BeginObject().Key("id").String(item.id).Key("name").String(name);
    w.Key("description").String(description).EndObject();
    item.json = w.Take();
    ws.extras.roles.push_back(std::move(item));
  }
}

void GenerateGroupUsers(Workspace& ws, const ScaleSpec& scale,
                        const std::vector<UserBrief>& users) {
  const auto& groups = ws.list(ListStream::kGroups);
  for (size_t g = 0; g < groups.size(); ++g) {
    Rng rng = Rng::For(ws.seed, "group_users", g);
    std::vector<Item>& members = ws.extras.group_users[groups[g].id];
    if (users.empty()) {
      continue;
    }
    size_t n = static_cast<size_t>(rng.Between(0, scale.extras.max_group_users));
    size_t start = rng.Below(users.size());
    if (g == 0 && scale.hub_children > 0) {
      n = static_cast<size_t>(scale.hub_children);
      start = 0;
    }
    n = std::min(n, users.size());
    for (size_t k = 0; k < n; ++k) {
      const UserBrief& user = users[(start + k) % users.size()];
      JsonWriter w;
      w.BeginObject().Key("id").String(user.id).Key("name").String(user.name);
      w.Key("email").String(user.email).EndObject();
      members.push_back({user.id, w.Take(), {}});
    }
  }
}

std::string HumanDuration(double seconds) {
  const auto whole = static_cast<int64_t>(seconds);
  std::string text;
  if (whole >= 3600) {
    text += std::to_string(whole / 3600) + "h";
  }
  if (whole >= 60) {
    text += std::to_string(whole % 3600 / 60) + "m";
  }
  const double rest = seconds - static_cast<double>(whole - whole % 60);
  JsonWriter w;
  w.Double(rest);
  return text + w.Take() + "s";
}

void WriteSync(JsonWriter& w, Rng& rng, const std::string& source_id, UnixMillis start,
               bool running, UnixMillis now) {
  static constexpr std::array<std::string_view, 4> kStatuses = {"success", "success", "failed",
                                                                "partial"};
  w.BeginObject();
  w.Key("sourceId").String(source_id);
  w.Key("start").String(Stamp(start));
  double duration = 0;
  if (running) {
    w.Key("end").Null();
    w.Key("status").String("running");
    const int64_t seconds = (now - start) / 1000;  // whole seconds, like the others
    duration = static_cast<double>(seconds);
  } else {
    duration = static_cast<double>(rng.Between(5, 5400));
    if (rng.Chance(0.2)) {
      duration += 0.5;
    }
    w.Key("end").String(Stamp(start + static_cast<int64_t>(duration * 1000)));
    w.Key("status").String(rng.Pick(kStatuses));
  }
  w.Key("duration").Double(duration);
  w.Key("humanDuration").String(HumanDuration(duration));
  // Some loads pass 2^32 rows.
  w.Key("count").Int(rng.Chance(0.02) ? int64_t{5'000'000'000} + rng.Between(0, 1'000'000)
                                      : rng.Between(0, 2'000'000));
  w.Key("notices").BeginArray();
  const int64_t notices = rng.Chance(0.3) ? rng.Between(1, 2) : 0;
  for (int64_t n = 0; n < notices; ++n) {
    w.BeginObject();
    w.Key("level").String(rng.Chance(0.5) ? "warning" : "error");
    w.Key("message").String(Decorate(rng, "column \"amount\" was truncated", kHostileShare));
    w.Key("createdAt").String(Stamp(start + 1000));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void GenerateSyncs(Workspace& ws, const ScaleSpec& scale, UnixMillis now) {
  // The sources loading into each warehouse, in source order.
  std::unordered_map<std::string, std::vector<std::string>> loaders;
  const auto& sources = ws.list(ListStream::kSources);
  for (const Item& source : sources) {
    if (auto it = ws.connected_warehouses.find(source.id); it != ws.connected_warehouses.end()) {
      for (const std::string& warehouse : it->second) {
        loaders[warehouse].push_back(source.id);
      }
    }
  }
  std::string hub;
  if (scale.hub_children > 0 && !sources.empty()) {
    const auto& first = ws.connected_warehouses[sources[0].id];
    if (!first.empty()) {
      hub = first[0];
    }
  }
  const UnixMillis hour = now - now % kMillisPerHour;
  const auto& warehouses = ws.list(ListStream::kWarehouses);
  for (size_t i = 0; i < warehouses.size(); ++i) {
    const std::string& id = warehouses[i].id;
    Rng rng = Rng::For(ws.seed, "warehouse_syncs", i);
    std::vector<std::string>& syncs = ws.extras.syncs[id];
    ws.extras.sync_meta[id];
    const std::vector<std::string>& from = loaders[id];
    if (from.empty()) {
      continue;
    }
    // Every source syncs on the same hourly schedule, so syncs of different sources share a
    // `start`; each source's newest sync is sometimes still running.
    const int64_t per_source = id == hub
                                   ? (scale.hub_children + static_cast<int64_t>(from.size()) - 1) /
                                         static_cast<int64_t>(from.size())
                                   : rng.Between(0, 4);
    for (int64_t k = 0; k < per_source; ++k) {
      const UnixMillis start = hour - k * 3 * kMillisPerHour + rng.Between(0, 2) * 1000;
      for (const std::string& source_id : from) {
        if (id == hub && static_cast<int64_t>(syncs.size()) == scale.hub_children) {
          break;
        }
        JsonWriter w;
        const bool running = k == 0 && rng.Chance(0.3);
        WriteSync(w, rng, source_id, start, running, now);
        syncs.push_back(w.Take());
        ws.extras.sync_meta[id].push_back({source_id, start, running});
      }
    }
  }
}

void GenerateVolume(Workspace& ws, const ScaleSpec& scale, const std::vector<SourceBrief>& sources,
                    UnixMillis now) {
  const int64_t today = now / kMillisPerDay;
  const size_t n = std::min(sources.size(), static_cast<size_t>(scale.extras.volume_sources));
  ws.extras.volume_first_day = today;
  for (size_t i = 0; i < n; ++i) {
    Rng rng = Rng::For(ws.seed, "event_volume", i);
    const SourceBrief& source = sources[i];
    JsonWriter w;
    w.BeginObject().Key("id").String(source.id);
    if (!source.name.empty()) {
      w.Key("name").String(source.name);
    }
    w.Key("slug").String(source.slug).EndObject();
    const std::string source_json = w.Take();
    const int64_t first_day = today - rng.Between(0, 500);
    ws.extras.volume_first_day = std::min(ws.extras.volume_first_day, first_day);
    auto add = [&](std::optional<std::string> name, std::string_view type) {
      VolumeSeries series;
      series.source_id = source.id;
      series.source_json = source_json;
      series.event_name = std::move(name);
      series.event_type = type;
      series.salt = rng.Next();
      series.first_day = first_day + rng.Between(0, 30);
      // The first source is a firehose: its first event passes 2^32 a day.
      series.daily_mean = i == 0 && ws.extras.volume.empty()
                              ? 5'000'000'000
                              : static_cast<uint64_t>(std::pow(10.0, rng.Unit() * 6));
      ws.extras.volume.push_back(std::move(series));
    };
    const int64_t events = rng.Between(1, scale.extras.max_events_per_source);
    const size_t offset = rng.Below(kEventNames.size());
    for (int64_t e = 0; e < events; ++e) {
      add(std::string(kEventNames[(offset + static_cast<size_t>(e)) % kEventNames.size()]),
          "track");
    }
    add(std::nullopt, "identify");
    if (rng.Chance(0.6)) {
      add(std::nullopt, "page");  // pages without a name
    }
    if (rng.Chance(0.4)) {
      add(std::string("Home"), "page");
    }
    if (rng.Chance(0.3)) {
      add(std::nullopt, "group");
    }
    if (rng.Chance(0.2)) {
      add(std::string("Order Completed"), "screen");  // a name shared with a track event
    }
  }
}

// The warehouse's sources, in the order of their newest syncs.
std::vector<std::string> SyncingSources(const std::vector<SyncMeta>& meta) {
  std::vector<std::string> sources;
  for (const SyncMeta& sync : meta) {
    if (std::find(sources.begin(), sources.end(), sync.source_id) == sources.end()) {
      sources.push_back(sync.source_id);
    }
  }
  return sources;
}

// Splits `total` over `parts` buckets with weights from `salt`; the parts add up to `total`.
uint64_t Share(uint64_t total, uint64_t salt, int parts, int index) {
  uint64_t weights = 0;
  uint64_t before = 0;
  for (int p = 0; p < parts; ++p) {
    const uint64_t weight = 1 + HashCombine(salt, static_cast<uint64_t>(p)) % 8;
    if (p < index) {
      before += weight;
    }
    weights += weight;
  }
  const uint64_t through = before + 1 + HashCombine(salt, static_cast<uint64_t>(index)) % 8;
  // total < 2^40 and weights < 2^9: no overflow.
  return total * through / weights - total * before / weights;
}

}  // namespace

void GenerateExtras(Workspace& ws, const ScaleSpec& scale, const std::vector<SourceBrief>& sources,
                    const std::vector<UserBrief>& users, UnixMillis now) {
  GenerateTrackingPlans(ws, scale, sources, now);
  GenerateFunctions(ws, scale, now);
  GenerateLabels(ws, scale);
  GenerateFilters(ws, scale, now);
  GenerateModels(ws, scale, sources);
  GenerateRoles(ws, scale);
  GenerateGroupUsers(ws, scale, users);
  GenerateSyncs(ws, scale, now);
  GenerateVolume(ws, scale, sources, now);
}

void AdvanceSyncs(Workspace& ws, int count, UnixMillis now) {
  const uint64_t batch = ws.extras.sync_batches++;
  const UnixMillis second = now - now % 1000;
  for (auto& [warehouse, meta] : ws.extras.sync_meta) {
    std::vector<std::string>& syncs = ws.extras.syncs.at(warehouse);
    Rng rng =
        Rng::For(ws.seed, "warehouse_syncs_advance", HashCombine(batch, HashString(warehouse)));
    // Running syncs finish (the same key, other values: an upserting reader sees them change).
    for (size_t i = 0; i < meta.size(); ++i) {
      if (meta[i].running) {
        JsonWriter w;
        WriteSync(w, rng, meta[i].source_id, meta[i].start, false, now);
        syncs[i] = w.Take();
        meta[i].running = false;
      }
    }
    std::vector<std::string> added;
    std::vector<SyncMeta> added_meta;
    for (const std::string& source_id : SyncingSources(meta)) {
      UnixMillis last = 0;
      for (const SyncMeta& sync : meta) {
        if (sync.source_id == source_id) {
          last = std::max(last, sync.start);
        }
      }
      for (int k = 0; k < count; ++k) {
        last = std::max(second, last + 1000);
        JsonWriter w;
        WriteSync(w, rng, source_id, last, false, now);
        added.push_back(w.Take());
        added_meta.push_back({source_id, last, false});
      }
    }
    // Newest first, and as many of the oldest leave as came in.
    std::vector<size_t> order(added.size());
    for (size_t i = 0; i < order.size(); ++i) {
      order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return added_meta[a].start > added_meta[b].start; });
    std::vector<std::string> new_syncs;
    std::vector<SyncMeta> new_meta;
    for (size_t i : order) {
      new_syncs.push_back(std::move(added[i]));
      new_meta.push_back(added_meta[i]);
    }
    const size_t keep = syncs.size();
    for (size_t i = 0; i < syncs.size() && new_syncs.size() < keep; ++i) {
      new_syncs.push_back(std::move(syncs[i]));
      new_meta.push_back(meta[i]);
    }
    new_syncs.resize(std::min(new_syncs.size(), keep));
    new_meta.resize(new_syncs.size());
    syncs = std::move(new_syncs);
    meta = std::move(new_meta);
  }
}

uint64_t VolumeCount(const VolumeSeries& series, UnixMillis bucket_start, int64_t bucket_ms) {
  const int64_t day = bucket_start / kMillisPerDay;
  if (day < series.first_day) {
    return 0;
  }
  const uint64_t day_salt = HashCombine(series.salt, static_cast<uint64_t>(day));
  // About one day in eight has no events at all.
  if (HashToUnit(day_salt) < 0.125) {
    return 0;
  }
  const double factor = 0.5 + HashToUnit(SplitMix64(day_salt));
  const auto day_count = static_cast<uint64_t>(static_cast<double>(series.daily_mean) * factor);
  if (bucket_ms >= kMillisPerDay) {
    return day_count;
  }
  const int hour = static_cast<int>(bucket_start % kMillisPerDay / kMillisPerHour);
  const uint64_t hour_count = Share(day_count, day_salt, 24, hour);
  if (bucket_ms >= kMillisPerHour) {
    return hour_count;
  }
  const int minute = static_cast<int>(bucket_start % kMillisPerHour / 60'000);
  return Share(hour_count, HashCombine(day_salt, static_cast<uint64_t>(hour) + 1), 60, minute);
}

}  // namespace segsync::sim
