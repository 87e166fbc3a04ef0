// SPDX-License-Identifier: Apache-2.0
// The simulated API's endpoints: routing, lists, children, usage, audit, delivery metrics.
#include "sim/api.h"

#include <algorithm>
#include <unordered_map>

#include "core/json_writer.h"
#include "sim/random.h"

namespace segsync::sim {

namespace api_detail {

ApiResponse Error(const ApiError& error) { return {error.status, ErrorBody(error)}; }

ApiResponse NotFound() { return Error({404, "NotFound", "Resource not found", ""}); }

ApiResponse Forbidden(std::string message) {
  return Error({403, "Forbidden", std::move(message), ""});
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') {
    return segments;
  }
  path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) {
      return segments;
    }
    path.remove_prefix(slash + 1);
  }
}

}  // namespace api_detail

using api_detail::Error;
using api_detail::Forbidden;
using api_detail::NotFound;
using api_detail::Segments;

namespace {

ApiResponse Ok(std::string body) { return {200, std::move(body)}; }

constexpr int64_t kMillisPerHour = 3'600'000;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;
constexpr int64_t kAuditRetentionMillis = 90 * kMillisPerDay;
// Enough for every kept month of all four endpoints at the small and large scales.
constexpr size_t kUsageCacheRowBudget = 2'000'000;

// The page request plus the offset its cursor names, for ordinary (offset-cursor) lists.
struct OffsetRequest {
  int64_t count = 0;
  int64_t offset = 0;
};

Checked<OffsetRequest> ParseOffsetRequest(const QueryParams& query) {
  auto page = ParsePageRequest(query);
  if (!page.ok()) {
    return page.error();
  }
  OffsetRequest request{page->count, 0};
  if (page->cursor.has_value()) {
    auto offset = ParseOffsetCursor(*page->cursor);
    if (!offset.ok()) {
      return offset.error();
    }
    request.offset = *offset;
  }
  return request;
}

std::string PagedBody(std::string_view list_key, const std::vector<const std::string*>& all,
                      const OffsetRequest& request, bool* last_page = nullptr) {
  const Page page = OffsetPage(request.offset, request.count, all.size());
  const std::vector<const std::string*> items(all.begin() + static_cast<ptrdiff_t>(page.begin),
                                              all.begin() + static_cast<ptrdiff_t>(page.end));
  if (last_page != nullptr) {
    *last_page = !page.links.next.has_value();
  }
  return ListBody(list_key, items, page.links);
}

std::vector<const std::string*> JsonOf(const std::vector<Item>& items) {
  std::vector<const std::string*> out;
  out.reserve(items.size());
  for (const Item& item : items) {
    out.push_back(&item.json);
  }
  return out;
}

std::string DurationText(int64_t millis) {
  return millis % kMillisPerDay == 0 ? std::to_string(millis / kMillisPerDay) + " days"
                                     : std::to_string(millis / kMillisPerHour) + " hours";
}

// Delivery-metrics windows per granularity (listDeliveryMetricsSummaryFromDestination in
// tests/data/segment-openapi-v36.2.0.yaml).
struct WindowRule {
  std::string_view granularity;
  int64_t max_range;
  int64_t max_lookback;
  int64_t default_lookback;  // DAY's 30-day default breaks its own 14-day rule, as documented
};
constexpr std::array<WindowRule, 3> kWindowRules = {{
    {"MINUTE", 4 * kMillisPerHour, 48 * kMillisPerHour, kMillisPerHour},
    {"HOUR", 7 * kMillisPerDay, 7 * kMillisPerDay, 7 * kMillisPerDay},
    {"DAY", 14 * kMillisPerDay, 14 * kMillisPerDay, 30 * kMillisPerDay},
}};

Checked<std::optional<UnixMillis>> TimeParam(const QueryParams& query, std::string_view name) {
  auto text = OneParam(query, {name});
  if (!text.ok()) {
    return text.error();
  }
  if (!text->has_value()) {
    return std::optional<UnixMillis>();
  }
  auto parsed = ParseRfc3339(**text);
  if (!parsed.ok()) {
    return Invalid(name, "\"" + std::string(name) +
                             "\" must be an ISO-8601 date-time such as "
                             "2024-03-01T00:00:00.000Z");
  }
  return std::optional<UnixMillis>(*parsed);
}

}  // namespace

SimulatedApi::SimulatedApi(Workspace workspace, Entitlements entitlements)
    : entitlements_(entitlements), workspace_(std::move(workspace)) {}

ApiResponse SimulatedApi::Get(std::string_view path, const QueryParams& query, UnixMillis now) {
  for (const ListStreamInfo& info : ListStreams()) {
    if (path == info.path) {
      return List(info.stream, query);
    }
  }
  for (const UsageEndpointInfo& info : UsageEndpoints()) {
    if (path == info.path) {
      return Usage(info.endpoint, query, now);
    }
  }
  if (path == "/audit-events") {
    return AuditEvents(query, now);
  }
  const std::vector<std::string_view> segments = Segments(path);
  if (segments.size() == 3 && !segments[1].empty()) {
    if (segments[0] == "sources" && segments[2] == "connected-destinations") {
      return ConnectedDestinations(segments[1], query);
    }
    if (segments[0] == "sources" && segments[2] == "connected-warehouses") {
      return ConnectedWarehouses(segments[1], query);
    }
    if (segments[0] == "destinations" && segments[2] == "subscriptions") {
      return Subscriptions(segments[1], query);
    }
    if (segments[0] == "destinations" && segments[2] == "delivery-metrics") {
      return DeliveryMetrics(segments[1], query, now);
    }
  }
  if (std::optional<ApiResponse> extra = GetExtra(path, query, now)) {
    return *std::move(extra);
  }
  return NotFound();
}

ApiResponse SimulatedApi::List(ListStream stream, const QueryParams& query) {
  if (stream == ListStream::kTransformations && !entitlements_.protocols) {
    return Forbidden(
        "Transformations require the Protocols feature, which this workspace does "
        "not have");
  }
  auto request = ParseOffsetRequest(query);
  if (!request.ok()) {
    return Error(request.error());
  }
  bool last_page = false;
  std::string body;
  {
    std::shared_lock lock(mutex_);
    body =
        PagedBody(InfoFor(stream).list_key, JsonOf(workspace_.list(stream)), *request, &last_page);
  }
  if (last_page) {
    std::unique_lock lock(mutex_);
    auto& pending = pending_deletions_[static_cast<size_t>(stream)];
    for (const std::string& id : pending) {
      RemoveLocked(stream, id);
    }
    pending.clear();
  }
  return Ok(std::move(body));
}

ApiResponse SimulatedApi::ConnectedDestinations(std::string_view source_id,
                                                const QueryParams& query) {
  auto request = ParseOffsetRequest(query);
  if (!request.ok()) {
    return Error(request.error());
  }
  std::shared_lock lock(mutex_);
  if (workspace_.Find(ListStream::kSources, source_id) == nullptr) {
    return NotFound();
  }
  std::vector<const std::string*> destinations;
  for (const Item& item : workspace_.list(ListStream::kDestinations)) {
    if (item.source_id == source_id) {
      destinations.push_back(&item.json);
    }
  }
  return Ok(PagedBody("destinations", destinations, *request));
}

ApiResponse SimulatedApi::ConnectedWarehouses(std::string_view source_id,
                                              const QueryParams& query) {
  auto request = ParseOffsetRequest(query);
  if (!request.ok()) {
    return Error(request.error());
  }
  std::shared_lock lock(mutex_);
  if (workspace_.Find(ListStream::kSources, source_id) == nullptr) {
    return NotFound();
  }
  std::vector<const std::string*> warehouses;
  if (auto it = workspace_.connected_warehouses.find(std::string(source_id));
      it != workspace_.connected_warehouses.end()) {
    for (const std::string& id : it->second) {
      if (const Item* warehouse = workspace_.Find(ListStream::kWarehouses, id)) {
        warehouses.push_back(&warehouse->json);
      }
    }
  }
  return Ok(PagedBody("warehouses", warehouses, *request));
}

ApiResponse SimulatedApi::Subscriptions(std::string_view destination_id, const QueryParams& query) {
  if (!entitlements_.subscriptions) {
    return Forbidden(
        "Destination subscriptions require the Destination Subscriptions feature, "
        "which this workspace does not have");
  }
  auto request = ParseOffsetRequest(query);
  if (!request.ok()) {
    return Error(request.error());
  }
  std::shared_lock lock(mutex_);
  if (workspace_.Find(ListStream::kDestinations, destination_id) == nullptr) {
    return NotFound();
  }
  std::vector<const std::string*> subscriptions;
  if (auto it = workspace_.destination_extras.find(std::string(destination_id));
      it != workspace_.destination_extras.end()) {
    for (const std::string& json : it->second.subscriptions) {
      subscriptions.push_back(&json);
    }
  }
  Page page = OffsetPage(request->offset, request->count, subscriptions.size());
  const std::vector<const std::string*> items(
      subscriptions.begin() + static_cast<ptrdiff_t>(page.begin),
      subscriptions.begin() + static_cast<ptrdiff_t>(page.end));
  // `pagination` is optional in this operation's output; a last page sometimes lacks it.
  std::optional<PageLinks> links = std::move(page.links);
  if (!links->next.has_value() && OmitsPagination(destination_id, request->offset)) {
    links.reset();
  }
  return Ok(ListBody("subscriptions", items, links));
}

ApiResponse SimulatedApi::DeliveryMetrics(std::string_view destination_id, const QueryParams& query,
                                          UnixMillis now) {
  std::string owner;
  std::string metrics;
  {
    std::shared_lock lock(mutex_);
    const Item* destination = workspace_.Find(ListStream::kDestinations, destination_id);
    if (destination == nullptr) {
      return NotFound();
    }
    owner = destination->source_id;
    metrics = workspace_.destination_extras.at(destination->id).delivery_metrics;
  }
  auto source_id = OneParam(query, {"sourceId"});
  if (!source_id.ok()) {
    return Error(source_id.error());
  }
  if (!source_id->has_value()) {
    return Error(Invalid("sourceId", "\"sourceId\" is required"));
  }
  if (**source_id != owner) {
    return Error(Invalid("sourceId", "\"sourceId\" is not the source linked to this destination"));
  }
  auto granularity = OneParam(query, {"granularity"});
  if (!granularity.ok()) {
    return Error(granularity.error());
  }
  const std::string granularity_name = granularity->value_or("MINUTE");
  const auto rule = std::find_if(kWindowRules.begin(), kWindowRules.end(),
                                 [&](const auto& r) { return r.granularity == granularity_name; });
  if (rule == kWindowRules.end()) {
    return Error(Invalid("granularity", "\"granularity\" must be one of MINUTE, HOUR, DAY"));
  }
  auto end = TimeParam(query, "endTime");
  if (!end.ok()) {
    return Error(end.error());
  }
  auto start = TimeParam(query, "startTime");
  if (!start.ok()) {
    return Error(start.error());
  }
  const UnixMillis end_time = end->value_or(now);
  const UnixMillis start_time = start->value_or(now - rule->default_lookback);
  if (start_time >= end_time) {
    return Error(Invalid("startTime", "\"startTime\" must be before \"endTime\""));
  }
  if (end_time - start_time > rule->max_range) {
    return Error(Invalid("startTime",
                         "the window from \"startTime\" to \"endTime\" must be at "
                         "most " +
                             DurationText(rule->max_range) + " for granularity " +
                             granularity_name));
  }
  if (start_time < now - rule->max_lookback) {
    return Error(Invalid("startTime", "\"startTime\" must be within the last " +
                                          DurationText(rule->max_lookback) + " for granularity " +
                                          granularity_name));
  }
  return Ok("{\"data\":{\"deliveryMetricsSummary\":" + metrics + "}}");
}

std::shared_ptr<const std::vector<std::string>> SimulatedApi::UsageRowsCached(
    UsageEndpoint endpoint, Month month, UnixMillis now) {
  const bool current = month == MonthOf(now);
  const int elapsed_days =
      current ? static_cast<int>((now - StartOfMonth(now)) / kMillisPerDay) + 1 : 0;
  const auto key = std::make_tuple(static_cast<int>(endpoint), month.Index(), elapsed_days);
  std::lock_guard lock(usage_mutex_);
  if (auto it = usage_cache_.find(key); it != usage_cache_.end()) {
    return it->second;
  }
  // The usage profiles never change after generation, so they are read without mutex_.
  auto rows = std::make_shared<const std::vector<std::string>>(
      UsageRows(endpoint, workspace_.usage, month, now));
  if (usage_cached_rows_ + rows->size() > kUsageCacheRowBudget) {
    usage_cache_.clear();
    usage_cached_rows_ = 0;
  }
  usage_cached_rows_ += rows->size();
  usage_cache_.emplace(key, rows);
  return rows;
}

ApiResponse SimulatedApi::Usage(UsageEndpoint endpoint, const QueryParams& query, UnixMillis now) {
  auto period = OneParam(query, {"period"});
  if (!period.ok()) {
    return Error(period.error());
  }
  if (!period->has_value()) {
    return Error(Invalid("period", "\"period\" is required"));
  }
  const std::optional<Month> month = ParsePeriod(**period);
  if (!month.has_value()) {
    return Error(Invalid("period", "\"period\" must be the first day of a month, as YYYY-MM-01"));
  }
  auto request = ParseOffsetRequest(query);
  if (!request.ok()) {
    return Error(request.error());
  }
  const auto rows = UsageRowsCached(endpoint, *month, now);
  std::vector<const std::string*> items;
  items.reserve(rows->size());
  for (const std::string& row : *rows) {
    items.push_back(&row);
  }
  return Ok(PagedBody(UsageEndpoints()[static_cast<size_t>(endpoint)].list_key, items, *request));
}

ApiResponse SimulatedApi::AuditEvents(const QueryParams& query, UnixMillis now) {
  if (!entitlements_.audit_trail) {
    return Forbidden(
        "The Audit Trail is only available on the Business plan; this workspace is "
        "on the Team plan");
  }
  auto page_request = ParsePageRequest(query);
  if (!page_request.ok()) {
    return Error(page_request.error());
  }
  auto start = TimeParam(query, "startTime");
  if (!start.ok()) {
    return Error(start.error());
  }
  auto end = TimeParam(query, "endTime");
  if (!end.ok()) {
    return Error(end.error());
  }
  auto resource_id = OneParam(query, {"resourceId"});
  if (!resource_id.ok()) {
    return Error(resource_id.error());
  }
  auto resource_type = OneParam(query, {"resourceType"});
  if (!resource_type.ok()) {
    return Error(resource_type.error());
  }
  // The cursor pins the window's end; it wins over an `endTime` in the query.
  AuditPosition position;
  if (page_request->cursor.has_value()) {
    auto parsed = ParseAuditCursor(*page_request->cursor);
    if (!parsed.ok()) {
      return Error(parsed.error());
    }
    position = *parsed;
  } else {
    position.end = end->value_or(now);
    position.end_text = FormatRfc3339Millis(position.end);
  }
  const UnixMillis kept_from = AuditKeptFrom(now);
  if (entitlements_.audit_old_start == AuditOldStart::kReject && start->has_value() &&
      **start < kept_from) {
    // Names the parameter and echoes the refused value, but not the oldest one accepted: the
    // client must find a start of its own.
    return Error(Invalid("startTime", "startTime " + FormatRfc3339Millis(**start) +
                                          " is older than the audit trail keeps"));
  }
  const int64_t count = page_request->count;
  const int64_t skip = (position.page - 1) * count;

  std::vector<const std::string*> items;
  bool has_next = false;
  std::shared_lock lock(mutex_);
  const auto& events = workspace_.audit_events;  // oldest first
  auto by_time = [](const AuditEvent& e, UnixMillis t) { return e.timestamp < t; };
  // "after startTime" and "before endTime": both bounds exclusive; what is kept, at most.
  const auto hi = std::lower_bound(events.begin(), events.end(), position.end, by_time);
  auto lo = std::lower_bound(events.begin(), hi, kept_from, by_time);
  if (start->has_value()) {
    lo = std::max(
        lo, std::upper_bound(events.begin(), hi, **start,
                             [](UnixMillis t, const AuditEvent& e) { return t < e.timestamp; }));
  }
  int64_t matched = 0;
  for (auto it = hi; it != lo;) {
    --it;
    if ((resource_id->has_value() && it->resource_id != **resource_id) ||
        (resource_type->has_value() && it->resource_type != **resource_type)) {
      continue;
    }
    if (matched++ < skip) {
      continue;
    }
    if (static_cast<int64_t>(items.size()) == count) {
      has_next = true;
      break;
    }
    items.push_back(&it->json);
  }
  PageLinks links;
  links.current = AuditCursor(position.page, position.end_text);
  if (has_next) {
    links.next = AuditCursor(position.page + 1, position.end_text);
  }
  if (position.page > 1) {
    links.previous = AuditCursor(position.page - 1, position.end_text);
  }
  // `pagination` is optional in this operation's output; a last page sometimes lacks it.
  std::optional<PageLinks> pagination = std::move(links);
  if (!has_next && OmitsPagination("/audit-events", position.page)) {
    pagination.reset();
  }
  return Ok(ListBody("events", items, pagination));
}

UnixMillis SimulatedApi::AuditKeptFrom(UnixMillis now) const {
  return entitlements_.audit_old_start == AuditOldStart::kKeepAll ? 0 : now - kAuditRetentionMillis;
}

bool SimulatedApi::OmitsPagination(std::string_view path, int64_t position) const {
  return (HashCombine(HashCombine(workspace_.seed, HashString(path)),
                      static_cast<uint64_t>(position)) &
          1) != 0;
}

void SimulatedApi::RemoveLocked(ListStream stream, std::string_view id) {
  auto remove_where = [](std::vector<Item>& items, auto predicate) {
    items.erase(std::remove_if(items.begin(), items.end(), predicate), items.end());
  };
  remove_where(workspace_.list(stream), [&](const Item& item) { return item.id == id; });
  if (stream == ListStream::kSources) {
    // A source takes its destinations and transformations with it.
    for (ListStream dependent : {ListStream::kDestinations, ListStream::kTransformations}) {
      remove_where(workspace_.list(dependent),
                   [&](const Item& item) { return item.source_id == id; });
    }
  }
}

ApiResponse SimulatedApi::Delete(std::string_view stream, std::string_view id,
                                 std::string_view when) {
  if (std::optional<ApiResponse> extra = DeleteExtra(stream, id, when)) {
    return *std::move(extra);
  }
  const std::optional<ListStream> list = ListStreamNamed(stream);
  if (!list.has_value()) {
    return Error({400, "BadRequest",
                  "stream must be one of sources, destinations, warehouses, catalog_sources, "
                  "catalog_destinations, catalog_warehouses, users, groups, transformations, "
                  "tracking_plans, functions, labels, reverse_etl_models, roles",
                  "stream"});
  }
  if (!when.empty() && when != "now" && when != "after_list") {
    return Error({400, "BadRequest", "when must be now or after_list", "when"});
  }
  std::unique_lock lock(mutex_);
  if (workspace_.Find(*list, id) == nullptr) {
    return NotFound();
  }
  if (when == "after_list") {
    pending_deletions_[static_cast<size_t>(*list)].emplace_back(id);
  } else {
    RemoveLocked(*list, id);
  }
  JsonWriter w;
  w.BeginObject().Key("deleted").String(id).Key("stream").String(stream);
  w.Key("when").String(when == "after_list" ? "after_list" : "now").EndObject();
  return Ok(w.Take());
}

void SimulatedApi::AddAuditEvents(int64_t count, UnixMillis now) {
  std::unique_lock lock(mutex_);
  AppendAuditEvents(workspace_, count, now);
}

std::string SimulatedApi::Dump(UnixMillis now, const std::vector<std::string>& only) {
  auto wanted = [&only](std::string_view name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  };
  std::shared_lock lock(mutex_);
  const Workspace& ws = workspace_;
  JsonWriter w;
  w.BeginObject();
  for (const ListStreamInfo& info : ListStreams()) {
    if (!wanted(info.name)) {
      continue;
    }
    w.Key(info.name).BeginArray();
    for (const Item& item : ws.list(info.stream)) {
      w.Raw(item.json);
    }
    w.EndArray();
  }
  const auto& sources = ws.list(ListStream::kSources);
  const auto& destinations = ws.list(ListStream::kDestinations);

  std::unordered_map<std::string_view, std::vector<const std::string*>> by_source;
  for (const Item& destination : destinations) {
    by_source[destination.source_id].push_back(&destination.json);
  }
  if (wanted("source_connected_destinations")) {
    w.Key("source_connected_destinations").BeginObject();
    for (const Item& source : sources) {
      w.Key(source.id).BeginArray();
      for (const std::string* json : by_source[source.id]) {
        w.Raw(*json);
      }
      w.EndArray();
    }
    w.EndObject();
  }

  if (wanted("source_connected_warehouses")) {
    w.Key("source_connected_warehouses").BeginObject();
    for (const Item& source : sources) {
      w.Key(source.id).BeginArray();
      if (auto it = ws.connected_warehouses.find(source.id); it != ws.connected_warehouses.end()) {
        for (const std::string& id : it->second) {
          if (const Item* warehouse = ws.Find(ListStream::kWarehouses, id)) {
            w.Raw(warehouse->json);
          }
        }
      }
      w.EndArray();
    }
    w.EndObject();
  }

  if (wanted("destination_subscriptions")) {
    w.Key("destination_subscriptions").BeginObject();
    for (const Item& destination : destinations) {
      w.Key(destination.id).BeginArray();
      for (const std::string& json : ws.destination_extras.at(destination.id).subscriptions) {
        w.Raw(json);
      }
      w.EndArray();
    }
    w.EndObject();
  }

  if (wanted("destination_delivery_metrics_summary")) {
    w.Key("destination_delivery_metrics_summary").BeginObject();
    for (const Item& destination : destinations) {
      w.Key(destination.id).Raw(ws.destination_extras.at(destination.id).delivery_metrics);
    }
    w.EndObject();
  }

  for (const UsageEndpointInfo& info : UsageEndpoints()) {
    if (!wanted(info.stream)) {
      continue;
    }
    w.Key(info.stream).BeginObject();
    for (Month month : KeptMonths(now)) {
      w.Key(PeriodOf(month)).BeginArray();
      const auto rows = UsageRowsCached(info.endpoint, month, now);
      for (const std::string& row : *rows) {
        w.Raw(row);
      }
      w.EndArray();
    }
    w.EndObject();
  }

  if (wanted("audit_events")) {
    w.Key("audit_events").BeginArray();
    for (auto it = ws.audit_events.rbegin(); it != ws.audit_events.rend(); ++it) {
      if (it->timestamp >= AuditKeptFrom(now)) {
        w.Raw(it->json);
      }
    }
    w.EndArray();
  }
  DumpExtras(w, now, wanted);
  w.EndObject();
  return w.Take();
}

}  // namespace segsync::sim
