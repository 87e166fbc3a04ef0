// SPDX-License-Identifier: Apache-2.0
// The simulated API's newer endpoints: tracking plans, functions, labels, filters, models, roles,
// group members, warehouse syncs and event volume.
#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/json_writer.h"
#include "sim/api.h"
#include "sim/extras.h"
#include "sim/random.h"

namespace segsync::sim {

using api_detail::Error;
using api_detail::Forbidden;
using api_detail::NotFound;
using api_detail::Segments;

namespace {

constexpr int64_t kMillisPerMinute = 60'000;
constexpr int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;

// The page request and its offset, for ordinary lists.
Checked<std::pair<int64_t, int64_t>> CountAndOffset(const QueryParams& query) {
  auto page = ParsePageRequest(query);
  if (!page.ok()) {
    return page.error();
  }
  int64_t offset = 0;
  if (page->cursor.has_value()) {
    auto parsed = ParseOffsetCursor(*page->cursor);
    if (!parsed.ok()) {
      return parsed.error();
    }
    offset = *parsed;
  }
  return std::make_pair(page->count, offset);
}

// `{"data":{"<key>":[page of items],"pagination":{...}}}`; `last_page` says whether it had no
// `next`.
template <typename Getter>
Checked<std::string> Paged(std::string_view list_key, size_t total, Getter json_at,
                           const QueryParams& query, bool* last_page = nullptr) {
  auto request = CountAndOffset(query);
  if (!request.ok()) {
    return request.error();
  }
  const Page page = OffsetPage(request->second, request->first, total);
  std::vector<const std::string*> items;
  items.reserve(page.end - page.begin);
  for (size_t i = page.begin; i < page.end; ++i) {
    items.push_back(&json_at(i));
  }
  if (last_page != nullptr) {
    *last_page = !page.links.next.has_value();
  }
  return ListBody(list_key, items, page.links);
}

ApiResponse FromChecked(const Checked<std::string>& body) {
  return body.ok() ? ApiResponse{200, *body} : Error(body.error());
}

// A parent's child list kept as JSON by parent id: 404 when the parent is gone.
ApiResponse ChildList(const Workspace& ws, ListStream parent, std::string_view parent_id,
                      const std::unordered_map<std::string, std::vector<std::string>>& children,
                      std::string_view list_key, const QueryParams& query) {
  if (ws.Find(parent, parent_id) == nullptr) {
    return NotFound();
  }
  const std::vector<std::string>& list = children.at(std::string(parent_id));
  return FromChecked(Paged(
      list_key, list.size(), [&](size_t i) -> const std::string& { return list[i]; }, query));
}

// All values of a list parameter: repeated (`groupBy=a&groupBy=b`), comma-delimited
// (`groupBy=a,b`) or with brackets (`groupBy[]=a`, `groupBy[0]=a`).
std::vector<std::string> ListParam(const QueryParams& query, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [key, value] : query) {
    const bool match = key == name || (key.size() > name.size() + 1 && key.starts_with(name) &&
                                       key[name.size()] == '[' && key.back() == ']');
    if (!match) {
      continue;
    }
    std::string_view rest = value;
    while (true) {
      const size_t comma = rest.find(',');
      values.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
  }
  return values;
}

// Event volume buckets per granularity. The v36.2.0 document states no window limit for
// `/events/volume`; these are the limits Segment documents for its other observability
// endpoint with the same granularities (Delivery Overview; see sim/README.md).
struct VolumeRule {
  std::string_view granularity;
  int64_t bucket;
  int64_t max_range;
};
constexpr std::array<VolumeRule, 3> kVolumeRules = {{
    {"DAY", kMillisPerDay, 30 * kMillisPerDay},
    {"HOUR", kMillisPerHour, 14 * kMillisPerDay},
    {"MINUTE", kMillisPerMinute, 4 * kMillisPerHour},
}};

std::string SeriesTime(UnixMillis t) {
  std::string text = FormatRfc3339Millis(t);
  text.erase(text.size() - 5, 4);  // "2023-01-01T00:00:00Z", as the spec example
  return text;
}

// Events of one series in the bucket at `bucket_start` that fall in [from, to): the whole
// bucket's count when it lies within, else its hours' or minutes' (a minute's events count as
// at its start).
uint64_t VolumeCountWithin(const VolumeSeries& series, UnixMillis bucket_start, int64_t bucket_ms,
                           UnixMillis from, UnixMillis to) {
  if (from <= bucket_start && bucket_start + bucket_ms <= to) {
    return VolumeCount(series, bucket_start, bucket_ms);
  }
  if (bucket_ms <= kMillisPerMinute) {
    return from <= bucket_start && bucket_start < to ? VolumeCount(series, bucket_start, bucket_ms)
                                                     : 0;
  }
  const int64_t part = bucket_ms >= kMillisPerDay ? kMillisPerHour : kMillisPerMinute;
  uint64_t count = 0;
  for (UnixMillis at = bucket_start; at < bucket_start + bucket_ms; at += part) {
    if (at + part > from && at < to) {
      count += VolumeCountWithin(series, at, part, from, to);
    }
  }
  return count;
}

// One result of `/events/volume` being summed up.
struct VolumeGroup {
  const VolumeSeries* first = nullptr;  // names the group's dimensions
  std::vector<uint64_t> counts;
  uint64_t total = 0;
};

std::string VolumeResultJson(const VolumeGroup& group, bool by_source, bool by_name, bool by_type,
                             UnixMillis start, int64_t bucket) {
  JsonWriter w;
  w.BeginObject();
  if (by_source) {
    w.Key("source").Raw(group.first->source_json);
  }
  if (by_name && group.first->event_name.has_value()) {
    w.Key("eventName").String(*group.first->event_name);
  }
  if (by_type) {
    w.Key("eventType").String(group.first->event_type);
  }
  w.Key("total").Int(static_cast<int64_t>(group.total));
  w.Key("series").BeginArray();
  for (size_t b = 0; b < group.counts.size(); ++b) {
    if (group.counts[b] == 0) {
      continue;  // buckets without events are left out
    }
    w.BeginObject();
    w.Key("time").String(SeriesTime(start + static_cast<int64_t>(b) * bucket));
    w.Key("count").Int(static_cast<int64_t>(group.counts[b]));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

}  // namespace

std::optional<ApiResponse> SimulatedApi::GetExtra(std::string_view path, const QueryParams& query,
                                                  UnixMillis now) {
  if (path == "/tracking-plans") {
    if (!entitlements_.protocols) {
      return Forbidden(
          "Tracking plans require the Protocols feature, which this workspace does not have");
    }
    auto type = OneParam(query, {"type"});
    if (!type.ok()) {
      return Error(type.error());
    }
    if (!type->has_value()) {
      return ExtraList("tracking_plans", "trackingPlans", workspace_.extras.tracking_plans, query);
    }
    static constexpr std::array<std::string_view, 5> kTypes = {"ENGAGE", "LIVE", "PROPERTY_LIBRARY",
                                                               "RULE_LIBRARY", "TEMPLATE"};
    if (std::find(kTypes.begin(), kTypes.end(), **type) == kTypes.end()) {
      return Error(Invalid("type",
                           "\"type\" must be one of ENGAGE, LIVE, PROPERTY_LIBRARY, "
                           "RULE_LIBRARY, TEMPLATE"));
    }
    // Only that type; the cursor counts within the filtered list.
    std::shared_lock lock(mutex_);
    std::vector<const std::string*> plans;
    for (const Item& plan : workspace_.extras.tracking_plans) {
      if (workspace_.extras.plan_types.at(plan.id) == **type) {
        plans.push_back(&plan.json);
      }
    }
    return FromChecked(Paged(
        "trackingPlans", plans.size(), [&](size_t i) -> const std::string& { return *plans[i]; },
        query));
  }
  if (path == "/functions") {
    return Functions(query);
  }
  if (path == "/labels") {
    return Labels();
  }
  if (path == "/reverse-etl-models") {
    return ExtraList("reverse_etl_models", "models", workspace_.extras.reverse_etl_models, query);
  }
  if (path == "/roles") {
    return ExtraList("roles", "roles", workspace_.extras.roles, query);
  }
  if (path == "/events/volume") {
    return EventsVolume(query, now);
  }
  const std::vector<std::string_view> segments = Segments(path);
  if (segments.size() != 3 || segments[1].empty()) {
    return std::nullopt;
  }
  if (segments[0] == "tracking-plans" && (segments[2] == "rules" || segments[2] == "sources")) {
    return TrackingPlanChild(segments[1], segments[2] == "rules", query);
  }
  if (segments[0] == "destination" && segments[2] == "filters") {
    return Filters(segments[1], query);
  }
  if (segments[0] == "groups" && segments[2] == "users") {
    return GroupUsers(segments[1], query);
  }
  if (segments[0] == "warehouses" && segments[2] == "syncs") {
    return Syncs(segments[1], query);
  }
  return std::nullopt;
}

ApiResponse SimulatedApi::ExtraList(const std::string& stream, std::string_view list_key,
                                    std::vector<Item>& items, const QueryParams& query) {
  bool last_page = false;
  Checked<std::string> body = std::string();
  {
    std::shared_lock lock(mutex_);
    body = Paged(
        list_key, items.size(), [&](size_t i) -> const std::string& { return items[i].json; },
        query, &last_page);
  }
  if (body.ok() && last_page) {
    std::unique_lock lock(mutex_);
    if (auto it = pending_extra_deletions_.find(stream); it != pending_extra_deletions_.end()) {
      const std::vector<std::string> ids = std::move(it->second);
      pending_extra_deletions_.erase(it);
      for (const std::string& id : ids) {
        RemoveExtraLocked(stream.starts_with("functions") ? "functions" : stream, id);
      }
    }
  }
  return FromChecked(body);
}

ApiResponse SimulatedApi::TrackingPlanChild(std::string_view plan_id, bool rules,
                                            const QueryParams& query) {
  if (!entitlements_.protocols) {
    return Forbidden(
        "Tracking plans require the Protocols feature, which this workspace does not have");
  }
  std::shared_lock lock(mutex_);
  const Extras& x = workspace_.extras;
  const std::string id(plan_id);
  if (!std::any_of(x.tracking_plans.begin(), x.tracking_plans.end(),
                   [&](const Item& plan) { return plan.id == id; })) {
    return NotFound();
  }
  if (rules) {
    const std::vector<std::string>& list = x.rules.at(id);
    return FromChecked(Paged(
        "rules", list.size(), [&](size_t i) -> const std::string& { return list[i]; }, query));
  }
  // The plan's sources that still exist, served as /sources serves them.
  std::unordered_map<std::string_view, const std::string*> live;
  for (const Item& source : workspace_.list(ListStream::kSources)) {
    live.emplace(source.id, &source.json);
  }
  std::vector<const std::string*> sources;
  for (const std::string& source_id : x.plan_sources.at(id)) {
    if (auto it = live.find(source_id); it != live.end()) {
      sources.push_back(it->second);
    }
  }
  return FromChecked(Paged(
      "sources", sources.size(), [&](size_t i) -> const std::string& { return *sources[i]; },
      query));
}

ApiResponse SimulatedApi::Functions(const QueryParams& query) {
  auto type = OneParam(query, {"resourceType"});
  if (!type.ok()) {
    return Error(type.error());
  }
  if (!type->has_value()) {
    return Error(Invalid("resourceType", "\"resourceType\" is required"));
  }
  const auto it = std::find(kFunctionTypes.begin(), kFunctionTypes.end(), **type);
  if (it == kFunctionTypes.end()) {
    return Error(Invalid(
        "resourceType", "\"resourceType\" must be one of DESTINATION, INSERT_DESTINATION, SOURCE"));
  }
  const auto index = static_cast<size_t>(it - kFunctionTypes.begin());
  return ExtraList("functions:" + std::string(*it), "functions", workspace_.extras.functions[index],
                   query);
}

ApiResponse SimulatedApi::Labels() {
  // Not paginated: every label in one response, no `pagination`, whatever the query says.
  std::string body;
  {
    std::shared_lock lock(mutex_);
    std::vector<const std::string*> labels;
    for (const Item& label : workspace_.extras.labels) {
      labels.push_back(&label.json);
    }
    body = ListBody("labels", labels, std::nullopt);
  }
  // Every response is the whole list, so deletions waiting for its end happen now.
  std::unique_lock lock(mutex_);
  if (auto it = pending_extra_deletions_.find("labels"); it != pending_extra_deletions_.end()) {
    for (const std::string& id : it->second) {
      RemoveExtraLocked("labels", id);
    }
    pending_extra_deletions_.erase(it);
  }
  return {200, std::move(body)};
}

ApiResponse SimulatedApi::Filters(std::string_view destination_id, const QueryParams& query) {
  if (!entitlements_.destination_filters) {
    return Forbidden(
        "Destination Filters are only available on the Business plan; this workspace is on "
        "the Team plan");
  }
  std::shared_lock lock(mutex_);
  return ChildList(workspace_, ListStream::kDestinations, destination_id, workspace_.extras.filters,
                   "filters", query);
}

ApiResponse SimulatedApi::GroupUsers(std::string_view group_id, const QueryParams& query) {
  std::shared_lock lock(mutex_);
  if (workspace_.Find(ListStream::kGroups, group_id) == nullptr) {
    return NotFound();
  }
  // Members that still exist as users.
  std::unordered_set<std::string_view> live;
  for (const Item& user : workspace_.list(ListStream::kUsers)) {
    live.insert(user.id);
  }
  std::vector<const std::string*> users;
  for (const Item& member : workspace_.extras.group_users.at(std::string(group_id))) {
    if (live.contains(member.id)) {
      users.push_back(&member.json);
    }
  }
  return FromChecked(Paged(
      "users", users.size(), [&](size_t i) -> const std::string& { return *users[i]; }, query));
}

ApiResponse SimulatedApi::Syncs(std::string_view warehouse_id, const QueryParams& query) {
  std::shared_lock lock(mutex_);
  return ChildList(workspace_, ListStream::kWarehouses, warehouse_id, workspace_.extras.syncs,
                   "reports", query);
}

ApiResponse SimulatedApi::EventsVolume(const QueryParams& query, UnixMillis now) {
  auto granularity = OneParam(query, {"granularity"});
  if (!granularity.ok()) {
    return Error(granularity.error());
  }
  if (!granularity->has_value()) {
    return Error(Invalid("granularity", "\"granularity\" is required"));
  }
  const auto rule = std::find_if(kVolumeRules.begin(), kVolumeRules.end(),
                                 [&](const auto& r) { return r.granularity == **granularity; });
  if (rule == kVolumeRules.end()) {
    return Error(Invalid("granularity", "\"granularity\" must be one of DAY, HOUR, MINUTE"));
  }
  std::array<UnixMillis, 2> bounds{};
  std::array<std::string, 2> bound_texts;
  for (size_t b = 0; b < 2; ++b) {
    const std::string_view name = b == 0 ? "startTime" : "endTime";
    auto text = OneParam(query, {name});
    if (!text.ok()) {
      return Error(text.error());
    }
    if (!text->has_value()) {
      return Error(Invalid(name, "\"" + std::string(name) + "\" is required"));
    }
    auto parsed = ParseRfc3339(**text);
    if (!parsed.ok()) {
      return Error(Invalid(name, "\"" + std::string(name) +
                                     "\" must be an ISO-8601 date-time such as "
                                     "2023-01-01T00:00:00Z"));
    }
    const VolumeEndTime mode = entitlements_.volume_end_time;
    const bool boundaries =
        mode == VolumeEndTime::kBoundary || mode == VolumeEndTime::kBoundaryPast;
    if (boundaries && *parsed % rule->bucket != 0) {
      return Error(Invalid(name, "\"" + std::string(name) + "\" must fall on a " +
                                     std::string(rule->granularity) +
                                     " boundary (UTC) for this granularity"));
    }
    if (b == 1 && *parsed > now &&
        (mode == VolumeEndTime::kPast || mode == VolumeEndTime::kBoundaryPast)) {
      return Error(Invalid(name, "\"endTime\" must not be in the future"));
    }
    bounds[b] = *parsed;
    bound_texts[b] = **text;
  }
  const auto [start, end] = bounds;
  if (start >= end) {
    return Error(Invalid("startTime", "\"startTime\" must be before \"endTime\""));
  }
  if (end - start > rule->max_range) {
    return Error(
        Invalid("endTime", "the window from \"startTime\" to \"endTime\" must be at most " +
                               std::to_string(rule->max_range / kMillisPerDay) +
                               " days for granularity DAY, 14 for HOUR and 4 hours for "
                               "MINUTE"));
  }
  bool by_source = false;
  bool by_name = false;
  bool by_type = false;
  const std::vector<std::string> group_by = ListParam(query, "groupBy");
  for (const std::string& dimension : group_by) {
    if (dimension == "source") {
      by_source = true;
    } else if (dimension == "eventName") {
      by_name = true;
    } else if (dimension == "eventType") {
      by_type = true;
    } else {
      return Error(
          Invalid("groupBy", "\"groupBy\" must list only source, eventName and eventType"));
    }
  }
  auto page_request = CountAndOffset(query);
  if (!page_request.ok()) {
    return Error(page_request.error());
  }
  auto filter = [&query](std::string_view name) {
    const std::vector<std::string> values = ListParam(query, name);
    return std::set<std::string>(values.begin(), values.end());
  };
  const std::set<std::string> source_filter = filter("sourceId");
  const std::set<std::string> name_filter = filter("eventName");
  const std::set<std::string> type_filter = filter("eventType");
  const bool app_version_filter = !ListParam(query, "appVersion").empty();

  // Buckets on the granularity's UTC boundaries from the one holding startTime, through the
  // one holding endTime (or now, when earlier: later ones have no events yet).
  const UnixMillis first_bucket = start - start % rule->bucket;
  const int64_t buckets = std::max<int64_t>(
      0,
      (std::min(end, now - now % rule->bucket + rule->bucket) - first_bucket + rule->bucket - 1) /
          rule->bucket);
  using GroupKey = std::tuple<std::string, int, std::string, std::string>;
  std::map<GroupKey, VolumeGroup> groups;
  for (const VolumeSeries& series : workspace_.extras.volume) {  // fixed after generation
    if (app_version_filter ||  // no generated event carries an app version
        (!source_filter.empty() && !source_filter.contains(series.source_id)) ||
        (!name_filter.empty() &&
         !(series.event_name.has_value() && name_filter.contains(*series.event_name))) ||
        (!type_filter.empty() && !type_filter.contains(series.event_type))) {
      continue;
    }
    const GroupKey key{by_source ? series.source_id : std::string(),
                       by_name && series.event_name.has_value() ? 1 : 0,
                       by_name ? series.event_name.value_or("") : std::string(),
                       by_type ? series.event_type : std::string()};
    VolumeGroup& group = groups[key];
    if (group.first == nullptr) {
      group.first = &series;
      group.counts.assign(static_cast<size_t>(buckets), 0);
    }
    for (int64_t b = 0; b < buckets; ++b) {
      const uint64_t count =
          VolumeCountWithin(series, first_bucket + b * rule->bucket, rule->bucket, start, end);
      group.counts[static_cast<size_t>(b)] += count;
      group.total += count;
    }
  }
  // Ordered by total, largest first (as the spec says); ties by the group's dimensions.
  std::vector<std::pair<const GroupKey*, const VolumeGroup*>> ordered;
  for (const auto& [key, group] : groups) {
    if (group.total > 0) {
      ordered.emplace_back(&key, &group);
    }
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second->total > b.second->total; });
  const Page page = OffsetPage(page_request->second, page_request->first, ordered.size());

  JsonWriter w;
  w.BeginObject().Key("data").BeginObject();
  w.Key("path").String("/observability/event_volume/v2.json");
  w.Key("query").BeginObject();
  w.Key("workspaceId").String(workspace_.workspace_id);
  w.Key("granularity").String(rule->granularity);
  w.Key("startTime").String(bound_texts[0]);
  w.Key("endTime").String(bound_texts[1]);
  if (!group_by.empty()) {
    w.Key("groupBy").BeginArray();
    for (const std::string& dimension : group_by) {
      w.String(dimension);
    }
    w.EndArray();
  }
  w.EndObject();
  w.Key("result").BeginArray();
  for (size_t i = page.begin; i < page.end; ++i) {
    w.Raw(VolumeResultJson(*ordered[i].second, by_source, by_name, by_type, first_bucket,
                           rule->bucket));
  }
  w.EndArray();
  // `pagination` is optional in this operation's output; a last page sometimes lacks it.
  if (page.links.next.has_value() ||
      (HashCombine(HashCombine(workspace_.seed, HashString(bound_texts[0])),
                   static_cast<uint64_t>(page_request->second)) &
       1) == 0) {
    w.Key("pagination").Raw(PaginationJson(page.links));
  }
  w.EndObject().EndObject();
  return {200, w.Take()};
}

void SimulatedApi::AdvanceSyncs(int count, UnixMillis now) {
  std::unique_lock lock(mutex_);
  sim::AdvanceSyncs(workspace_, count, now);
}

std::optional<ApiResponse> SimulatedApi::DeleteExtra(std::string_view stream, std::string_view id,
                                                     std::string_view when) {
  static constexpr std::array<std::string_view, 5> kStreams = {
      "tracking_plans", "functions", "labels", "reverse_etl_models", "roles"};
  if (std::find(kStreams.begin(), kStreams.end(), stream) == kStreams.end()) {
    return std::nullopt;
  }
  if (!when.empty() && when != "now" && when != "after_list") {
    return Error({400, "BadRequest", "when must be now or after_list", "when"});
  }
  std::unique_lock lock(mutex_);
  Extras& x = workspace_.extras;
  auto holds = [&id](const std::vector<Item>& items) {
    return std::any_of(items.begin(), items.end(), [&](const Item& item) { return item.id == id; });
  };
  std::string pending_key(stream);
  bool found = false;
  if (stream == "tracking_plans") {
    found = holds(x.tracking_plans);
  } else if (stream == "labels") {
    found = holds(x.labels);
  } else if (stream == "reverse_etl_models") {
    found = holds(x.reverse_etl_models);
  } else if (stream == "roles") {
    found = holds(x.roles);
  } else {
    for (size_t t = 0; t < kFunctionTypes.size() && !found; ++t) {
      found = holds(x.functions[t]);
      pending_key = "functions:" + std::string(kFunctionTypes[t]);
    }
  }
  if (!found) {
    return NotFound();
  }
  // Labels are not paginated: "after the list" is after the next /labels response.
  if (when == "after_list") {
    pending_extra_deletions_[pending_key].emplace_back(id);
  } else {
    RemoveExtraLocked(stream, id);
  }
  JsonWriter w;
  w.BeginObject().Key("deleted").String(id).Key("stream").String(stream);
  w.Key("when").String(when == "after_list" ? "after_list" : "now").EndObject();
  return ApiResponse{200, w.Take()};
}

void SimulatedApi::RemoveExtraLocked(std::string_view stream, std::string_view id) {
  auto remove_from = [&id](std::vector<Item>& items) {
    items.erase(
        std::remove_if(items.begin(), items.end(), [&](const Item& item) { return item.id == id; }),
        items.end());
  };
  Extras& x = workspace_.extras;
  if (stream == "tracking_plans") {
    remove_from(x.tracking_plans);  // its rules and sources stay behind unreachable (404)
  } else if (stream == "labels") {
    remove_from(x.labels);
  } else if (stream == "reverse_etl_models") {
    remove_from(x.reverse_etl_models);
  } else if (stream == "roles") {
    remove_from(x.roles);
  } else if (stream == "functions") {
    for (auto& list : x.functions) {
      remove_from(list);
    }
  }
}

void SimulatedApi::DumpExtras(JsonWriter& w, UnixMillis now,
                              const std::function<bool(std::string_view)>& wanted) const {
  const Workspace& ws = workspace_;
  const Extras& x = ws.extras;
  auto items = [&w](std::string_view key, const std::vector<Item>& list) {
    w.Key(key).BeginArray();
    for (const Item& item : list) {
      w.Raw(item.json);
    }
    w.EndArray();
  };
  auto by_parent = [&w](std::string_view key, const std::vector<Item>& parents, auto children) {
    w.Key(key).BeginObject();
    for (const Item& parent : parents) {
      w.Key(parent.id).BeginArray();
      children(parent.id);
      w.EndArray();
    }
    w.EndObject();
  };
  if (wanted("tracking_plans")) {
    items("tracking_plans", x.tracking_plans);
  }
  if (wanted("tracking_plan_rules")) {
    by_parent("tracking_plan_rules", x.tracking_plans, [&](const std::string& id) {
      for (const std::string& rule : x.rules.at(id)) {
        w.Raw(rule);
      }
    });
  }
  if (wanted("tracking_plan_sources")) {
    by_parent("tracking_plan_sources", x.tracking_plans, [&](const std::string& id) {
      for (const std::string& source_id : x.plan_sources.at(id)) {
        if (const Item* source = ws.Find(ListStream::kSources, source_id)) {
          w.Raw(source->json);
        }
      }
    });
  }
  if (wanted("functions")) {
    w.Key("functions").BeginArray();
    for (const auto& list : x.functions) {
      for (const Item& item : list) {
        w.Raw(item.json);
      }
    }
    w.EndArray();
  }
  if (wanted("labels")) {
    items("labels", x.labels);
  }
  if (wanted("destination_filters")) {
    by_parent("destination_filters", ws.list(ListStream::kDestinations),
              [&](const std::string& id) {
                for (const std::string& filter : x.filters.at(id)) {
                  w.Raw(filter);
                }
              });
  }
  if (wanted("reverse_etl_models")) {
    items("reverse_etl_models", x.reverse_etl_models);
  }
  if (wanted("roles")) {
    items("roles", x.roles);
  }
  if (wanted("group_users")) {
    std::unordered_set<std::string_view> live;
    for (const Item& user : ws.list(ListStream::kUsers)) {
      live.insert(user.id);
    }
    by_parent("group_users", ws.list(ListStream::kGroups), [&](const std::string& id) {
      for (const Item& member : x.group_users.at(id)) {
        if (live.contains(member.id)) {
          w.Raw(member.json);
        }
      }
    });
  }
  if (wanted("warehouse_syncs")) {
    by_parent("warehouse_syncs", ws.list(ListStream::kWarehouses), [&](const std::string& id) {
      for (const std::string& sync : x.syncs.at(id)) {
        w.Raw(sync);
      }
    });
  }
  if (wanted("event_volume_daily")) {
    // One result per (source, eventName, eventType) with every day that has events, from the
    // first such day through today: what `groupBy=source,eventName,eventType` at DAY answers,
    // over a window longer than the API allows.
    const int64_t first = x.volume_first_day * kMillisPerDay;
    const int64_t days = now / kMillisPerDay - x.volume_first_day + 1;
    std::vector<const VolumeSeries*> ordered;
    for (const VolumeSeries& series : x.volume) {
      ordered.push_back(&series);
    }
    std::sort(ordered.begin(), ordered.end(), [](const VolumeSeries* a, const VolumeSeries* b) {
      return std::tie(a->source_id, a->event_type, a->event_name) <
             std::tie(b->source_id, b->event_type, b->event_name);
    });
    w.Key("event_volume_daily").BeginArray();
    for (const VolumeSeries* series : ordered) {
      VolumeGroup group;
      group.first = series;
      for (int64_t d = 0; d < days; ++d) {
        group.counts.push_back(VolumeCount(*series, first + d * kMillisPerDay, kMillisPerDay));
        group.total += group.counts.back();
      }
      if (group.total > 0) {
        w.Raw(VolumeResultJson(group, true, true, true, first, kMillisPerDay));
      }
    }
    w.EndArray();
  }
}

}  // namespace segsync::sim
