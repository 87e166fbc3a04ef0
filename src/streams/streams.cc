// SPDX-License-Identifier: Apache-2.0
// The stream table: every stream as a row, and its table layout from its schema.
#include <simdjson.h>

#include "streams/embedded_schemas.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

// The widest DAY window asked of /events/volume. Its reference gives no maximum; the one other
// DAY-granularity endpoint (delivery metrics, https://docs.segmentapis.com/tag/Delivery-Overview)
// allows 14 days, so no window is wider.
constexpr int kEventVolumeWindowDays = 14;
constexpr std::string_view kAuditTrail = "the Audit Trail feature (Business plan)";
constexpr std::string_view kProtocols = "the Protocols feature (Business plan add-on)";
constexpr std::string_view kSubscriptions = "the Destination Subscriptions feature";
constexpr std::string_view kFilters = "the Destination Filters feature (Business plan)";
constexpr std::string_view kFunctions = "the Functions feature";

StreamSpec TopLevel(std::string_view name, std::string_view path, std::string_view list_key,
                    std::vector<std::string_view> key, std::string_view entitlement = {}) {
  StreamSpec spec;
  spec.name = name;
  spec.path = path;
  spec.list_key = list_key;
  spec.primary_key = std::move(key);
  spec.entitlement = entitlement;
  return spec;
}

StreamSpec Child(std::string_view name, std::string_view parent, std::string_view path,
                 std::string_view list_key, std::vector<std::string_view> key) {
  StreamSpec spec = TopLevel(name, path, list_key, std::move(key));
  spec.partitioning = Partitioning::kParent;
  spec.parent = parent;
  spec.path_from_parent = {{"{id}", "id"}};
  return spec;
}

StreamSpec Usage(std::string_view name, std::string_view path, std::string_view list_key,
                 std::vector<std::string_view> key) {
  StreamSpec spec = TopLevel(name, path, list_key, std::move(key));
  spec.mode = SyncMode::kIncremental;
  spec.cursor_field = "timestamp";
  spec.partitioning = Partitioning::kMonth;
  spec.small_rows = true;
  return spec;
}

std::vector<StreamSpec> BuildStreams() {
  std::vector<StreamSpec> streams;
  // Parents first: a child reads the ids its parent read earlier in the same run.
  streams.push_back(TopLevel("sources", "/sources", "sources", {"id"}));
  streams.push_back(TopLevel("destinations", "/destinations", "destinations", {"id", "sourceId"}));
  streams.push_back(TopLevel("warehouses", "/warehouses", "warehouses", {"id"}));
  streams.push_back(TopLevel("catalog_sources", "/catalog/sources", "sourcesCatalog", {"id"}));
  streams.push_back(
      TopLevel("catalog_destinations", "/catalog/destinations", "destinationsCatalog", {"id"}));
  streams.push_back(
      TopLevel("catalog_warehouses", "/catalog/warehouses", "warehousesCatalog", {"id"}));
  streams.push_back(TopLevel("users", "/users", "users", {"id"}));
  streams.push_back(TopLevel("groups", "/groups", "userGroups", {"id"}));
  streams.push_back(
      TopLevel("transformations", "/transformations", "transformations", {"id"}, kProtocols));

  streams.push_back(Child("source_connected_destinations", "sources",
                          "/sources/{id}/connected-destinations", "destinations",
                          {"id", "sourceId"}));
  StreamSpec warehouses =
      Child("source_connected_warehouses", "sources", "/sources/{id}/connected-warehouses",
            "warehouses", {"sourceId", "id"});
  warehouses.inject_from_parent = {{"sourceId", "id"}};  // the API does not echo it
  streams.push_back(std::move(warehouses));
  StreamSpec subscriptions = Child("destination_subscriptions", "destinations",
                                   "/destinations/{id}/subscriptions", "subscriptions", {"id"});
  subscriptions.entitlement = kSubscriptions;
  streams.push_back(std::move(subscriptions));
  StreamSpec metrics = Child("destination_delivery_metrics_summary", "destinations",
                             "/destinations/{id}/delivery-metrics", "deliveryMetricsSummary",
                             {"sourceId", "destinationId"});
  metrics.query_from_parent = {{"sourceId", "sourceId"}};
  metrics.inject_from_parent = {{"destinationId", "id"}};
  metrics.partitioning = Partitioning::kDeliveryWindow;
  metrics.paginated = false;
  metrics.single_object = true;
  streams.push_back(std::move(metrics));

  streams.push_back(Usage("usage_api_calls_per_source_daily", "/usage/api-calls/sources/daily",
                          "dailyPerSourceAPICallsUsage", {"sourceId", "timestamp"}));
  streams.push_back(Usage("usage_api_calls_workspace_daily", "/usage/api-calls/daily",
                          "dailyWorkspaceAPICallsUsage", {"timestamp"}));
  streams.push_back(Usage("usage_mtu_per_source_daily", "/usage/mtu/sources/daily",
                          "dailyPerSourceMTUUsage", {"sourceId", "timestamp"}));
  streams.push_back(Usage("usage_mtu_workspace_daily", "/usage/mtu/daily", "dailyWorkspaceMTUUsage",
                          {"timestamp"}));

  StreamSpec audit = TopLevel("audit_events", "/audit-events", "events", {"id"}, kAuditTrail);
  audit.mode = SyncMode::kIncremental;
  audit.cursor_field = "timestamp";
  audit.partitioning = Partitioning::kAuditWindow;
  streams.push_back(std::move(audit));

  // Beyond the original 18: tracking plans, functions, labels, filters, models, roles, group
  // members, warehouse syncs and event volumes.
  streams.push_back(
      TopLevel("tracking_plans", "/tracking-plans", "trackingPlans", {"id"}, kProtocols));
  StreamSpec functions = TopLevel("functions", "/functions", "functions", {"id"}, kFunctions);
  // The API lists one resource type per request and requires the parameter.
  functions.partitioning = Partitioning::kQueryValues;
  functions.fan_out = {"resourceType", {"SOURCE", "DESTINATION", "INSERT_DESTINATION"}};
  streams.push_back(std::move(functions));
  StreamSpec labels = TopLevel("labels", "/labels", "labels", {"key", "value"});
  labels.paginated = false;  // listLabels takes no parameters
  streams.push_back(std::move(labels));
  streams.push_back(TopLevel("reverse_etl_models", "/reverse-etl-models", "models", {"id"}));
  streams.push_back(TopLevel("roles", "/roles", "roles", {"id"}));

  StreamSpec rules = Child("tracking_plan_rules", "tracking_plans", "/tracking-plans/{id}/rules",
                           "rules", {"trackingPlanId", "type", "key", "version"});
  rules.inject_from_parent = {{"trackingPlanId", "id"}};
  rules.entitlement = kProtocols;
  // IDENTIFY, GROUP and COMMON rules have no event name: their type makes them unique.
  rules.empty_when_absent = {"key"};
  // The endpoint allows 20 requests a minute: one chain at a time keeps the others free.
  rules.max_parallel_partitions = 1;
  rules.own_rate_limit = true;
  streams.push_back(std::move(rules));
  StreamSpec plan_sources =
      Child("tracking_plan_sources", "tracking_plans", "/tracking-plans/{id}/sources", "sources",
            {"trackingPlanId", "id"});
  plan_sources.inject_from_parent = {{"trackingPlanId", "id"}};
  plan_sources.entitlement = kProtocols;
  streams.push_back(std::move(plan_sources));
  StreamSpec filters = Child("destination_filters", "destinations", "/destination/{id}/filters",
                             "filters", {"destinationId", "id"});
  filters.inject_from_parent = {{"destinationId", "id"}};
  filters.entitlement = kFilters;
  streams.push_back(std::move(filters));
  StreamSpec members =
      Child("group_users", "groups", "/groups/{id}/users", "users", {"groupId", "id"});
  members.inject_from_parent = {{"groupId", "id"}};
  streams.push_back(std::move(members));
  StreamSpec syncs = Child("warehouse_syncs", "warehouses", "/warehouses/{id}/syncs", "reports",
                           {"warehouseId", "sourceId", "start"});
  syncs.inject_from_parent = {{"warehouseId", "id"}};
  syncs.log = true;  // the API lists recent syncs only; older ones stay in the copy
  syncs.max_parallel_partitions = 1;  // 2 requests a minute
  syncs.own_rate_limit = true;
  streams.push_back(std::move(syncs));

  StreamSpec volume = TopLevel("event_volume_daily", "/events/volume", "result",
                               {"timestamp", "sourceId", "eventName", "eventType"});
  volume.mode = SyncMode::kIncremental;
  volume.cursor_field = "timestamp";
  volume.partitioning = Partitioning::kDayWindows;
  volume.day_window_days = kEventVolumeWindowDays;
  volume.fixed_query = {{"granularity", "DAY"}, {"groupBy", "source,eventName,eventType"}};
  volume.flatten = {"series", {{"time", "timestamp"}}, {"total"}};
  volume.lifted = {{"sourceId", "source", "id"}};
  // Events without a name (identify, page without one) or type are still counted.
  volume.empty_when_absent = {"sourceId", "eventName", "eventType"};
  volume.small_rows = true;
  volume.max_parallel_partitions = 1;  // 60 requests a minute, apart from every other endpoint
  volume.own_rate_limit = true;
  streams.push_back(std::move(volume));
  return streams;
}

Result<ColumnType> ColumnTypeOf(std::string_view stream, std::string_view field,
                                simdjson::dom::element property) {
  std::vector<std::string_view> types;
  simdjson::dom::element type;
  if (property["type"].get(type) == simdjson::SUCCESS) {
    std::string_view one;
    if (type.get_string().get(one) == simdjson::SUCCESS) {
      types.push_back(one);
    } else if (type.is_array()) {
      for (auto t : type.get_array()) {
        if (t.get_string().get(one) == simdjson::SUCCESS && one != "null") {
          types.push_back(one);
        }
      }
    }
  }
  types.erase(std::remove(types.begin(), types.end(), "null"), types.end());
  if (types.size() != 1) {
    return ColumnType::kJson;  // `any`, or a union: keep the JSON value as it came
  }
  const std::string_view t = types.front();
  if (t == "string") {
    std::string_view format;
    if (property["format"].get_string().get(format) == simdjson::SUCCESS && format == "date-time") {
      return ColumnType::kTimestamp;
    }
    return ColumnType::kString;
  }
  if (t == "integer") {
    return ColumnType::kInteger;
  }
  if (t == "number") {
    return ColumnType::kNumber;
  }
  if (t == "boolean") {
    return ColumnType::kBoolean;
  }
  if (t == "object" || t == "array") {
    return ColumnType::kJson;
  }
  return Status::Internal("schema of " + std::string(stream) + "." + std::string(field) +
                          " has unknown type '" + std::string(t) + "'");
}

}  // namespace

const std::vector<StreamSpec>& AllStreams() {
  static const std::vector<StreamSpec> streams = BuildStreams();
  return streams;
}

const StreamSpec* FindStream(std::string_view name) {
  for (const auto& spec : AllStreams()) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::string_view StreamSchema(std::string_view name) {
  const auto& schemas = EmbeddedSchemas();
  auto it = schemas.find(name);
  return it == schemas.end() ? std::string_view() : it->second;
}

Result<TableSpec> TableSpecFor(const StreamSpec& spec) {
  TableSpec table;
  table.name = std::string(spec.name);
  for (auto key : spec.primary_key) {
    table.primary_key.emplace_back(key);
  }
  table.track_deletions = spec.mode == SyncMode::kFullTable && !spec.log;
  table.small_rows = spec.small_rows;
  const std::string_view schema = StreamSchema(spec.name);
  if (schema.empty()) {
    return Status::Internal("no JSON Schema compiled in for stream " + std::string(spec.name));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(schema.data(), schema.size()).get(doc) != simdjson::SUCCESS) {
    return Status::Internal("the compiled-in schema of " + std::string(spec.name) +
                            " is not valid JSON");
  }
  simdjson::dom::object properties;
  if (doc["properties"].get_object().get(properties) != simdjson::SUCCESS) {
    return Status::Internal("the schema of " + std::string(spec.name) + " has no properties");
  }
  for (auto [name, property] : properties) {
    SEGSYNC_ASSIGN_OR_RETURN(ColumnType type, ColumnTypeOf(spec.name, name, property));
    table.columns.push_back({std::string(name), type});
  }
  return table;
}

}  // namespace segsync
