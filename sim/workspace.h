// SPDX-License-Identifier: Apache-2.0
// The simulated workspace's data model (lists, children, audit, usage) and scales.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace segsync::sim {

/// The nine top-level lists (the full-table streams without a parent).
enum class ListStream {
  kSources,
  kDestinations,
  kWarehouses,
  kCatalogSources,
  kCatalogDestinations,
  kCatalogWarehouses,
  kUsers,
  kGroups,
  kTransformations,
};
inline constexpr size_t kListStreamCount = 9;

struct ListStreamInfo {
  ListStream stream;
  std::string_view name;      // stream name, as in src/streams/streams.cc
  std::string_view path;      // API path
  std::string_view list_key;  // key under "data"
};

/// All nine, in enum order.
const std::array<ListStreamInfo, kListStreamCount>& ListStreams();
const ListStreamInfo& InfoFor(ListStream stream);
std::optional<ListStream> ListStreamNamed(std::string_view name);

/// One object of a list, serialised once at startup exactly as the API serves it.
struct Item {
  std::string id;
  std::string json;
  std::string source_id;  // destinations and transformations: the owning source
};

/// `resourceType` values of `/functions`, in the order a client reads them.
inline constexpr std::array<std::string_view, 3> kFunctionTypes = {"SOURCE", "DESTINATION",
                                                                   "INSERT_DESTINATION"};

/// A source as the generator saw it, for objects that name sources.
struct SourceBrief {
  std::string id;
  std::string name;  // "" when the source has no name
  std::string slug;
};

/// A user as `/groups/{id}/users` shows one (MinimalUserV1).
struct UserBrief {
  std::string id;
  std::string name;
  std::string email;
};

/// One (source, event name, event type) of `/events/volume`; the daily counts are derived on
/// demand from `salt` so that every read of a day agrees.
struct VolumeSeries {
  std::string source_id;
  std::string source_json;                // the EventSourceV1 object
  std::optional<std::string> event_name;  // absent for identify, group, alias and some pages
  std::string event_type;
  uint64_t salt = 0;
  int64_t first_day = 0;  // days since the epoch of the first day with events
  uint64_t daily_mean = 0;
};

/// What identifies one warehouse sync (its JSON is in Extras::syncs at the same position).
struct SyncMeta {
  std::string source_id;
  UnixMillis start = 0;
  bool running = false;
};

/// The generated data of the newer endpoints.
struct Extras {
  std::vector<Item> tracking_plans;
  std::unordered_map<std::string, std::string> plan_types;                 // `type`, by plan id
  std::unordered_map<std::string, std::vector<std::string>> rules;         // JSON, by plan id
  std::unordered_map<std::string, std::vector<std::string>> plan_sources;  // source ids, by plan
  std::array<std::vector<Item>, 3> functions;                              // by kFunctionTypes
  std::vector<Item> labels;                                                // id: "<key>=<value>"
  std::unordered_map<std::string, std::vector<std::string>> filters;  // JSON, by destination id
  std::vector<Item> reverse_etl_models;
  std::vector<Item> roles;
  std::unordered_map<std::string, std::vector<Item>> group_users;    // id = user id, by group id
  std::unordered_map<std::string, std::vector<std::string>> syncs;   // newest first, by warehouse
  std::unordered_map<std::string, std::vector<SyncMeta>> sync_meta;  // beside `syncs`
  uint64_t sync_batches = 0;  // how many times syncs were advanced, for fresh randomness
  std::vector<VolumeSeries> volume;
  int64_t volume_first_day = 0;  // the earliest first_day (days since the epoch)
};

/// A destination's subscriptions and delivery metrics, keyed by destination id.
struct DestinationExtras {
  std::vector<std::string> subscriptions;  // item JSON
  std::string delivery_metrics;            // the deliveryMetricsSummary object
};

struct AuditEvent {
  UnixMillis timestamp = 0;
  std::string resource_id;
  std::string resource_type;
  std::string json;
};

/// Something audit events can be about.
struct AuditResource {
  std::string id;
  std::string type;  // resourceType: "source", "destination", "function", ...
  std::string noun;  // as in the event type: "Source", "Destination", "Source Function", ...
  std::string name;
};

/// What one source contributes to the usage endpoints; the rows are derived on demand.
struct UsageProfile {
  std::string source_id;
  uint64_t salt = 0;
  uint64_t calls_per_day = 0;
  uint64_t users_per_day = 0;
};

/// Sizes of the newer lists (per scale, in ScaleSpec).
struct ExtraScale {
  int tracking_plans = 0;
  int max_rules = 0;               // per tracking plan (the hub plan has `hub_children`)
  std::array<int, 3> functions{};  // by kFunctionTypes
  int labels = 0;
  int reverse_etl_models = 0;
  int roles = 0;
  int max_group_users = 0;  // per group (the hub group has `hub_children`)
  int volume_sources = 0;   // sources with event volume
  int max_events_per_source = 0;
};

/// Sizes of a generated workspace.
struct ScaleSpec {
  std::array<int, kListStreamCount> counts{};  // indexed by ListStream
  int audit_events = 0;
  /// How far back the generated audit events reach: by default inside the 90 days the trail
  /// keeps, with a day to spare so a long test run does not see events expire.
  int audit_history_days = 89;
  int max_actions = 0;  // per Actions destination in the catalog
  int max_fields = 0;   // per action
  int max_settings_depth = 0;
  int usage_sources = 0;  // sources with traffic; the others have no usage rows
  // The first source's connected destinations and connected warehouses, and the first
  // destination's subscriptions, number this many (0: no such hub), so that every child list has
  // a parent whose list spans several pages.
  int hub_children = 0;
  ExtraScale extras;
};

/// The sizes for "small", "large" or "bench"; anything else is a configuration error.
Result<ScaleSpec> ScaleNamed(std::string_view name);

/// The whole simulated workspace. Plain data: the server guards it with a lock.
struct Workspace {
  std::string workspace_id;
  std::array<std::vector<Item>, kListStreamCount> lists;
  std::unordered_map<std::string, std::vector<std::string>> connected_warehouses;  // by source
  std::unordered_map<std::string, DestinationExtras> destination_extras;
  std::vector<AuditEvent> audit_events;  // oldest first
  std::vector<AuditResource> audit_resources;
  std::vector<std::string> actors;  // user ids and public-api-token/... ids
  std::unordered_map<std::string, std::string> actor_emails;  // users only
  std::vector<UsageProfile> usage;  // one per source generated; kept when sources go
  Extras extras;                    // the newer endpoints
  uint64_t seed = 0;
  uint64_t next_audit_number = 0;
  uint64_t audit_batches = 0;  // how many times events were appended, for fresh randomness

  std::vector<Item>& list(ListStream s) { return lists[static_cast<size_t>(s)]; }
  const std::vector<Item>& list(ListStream s) const { return lists[static_cast<size_t>(s)]; }
  /// The item with this id in a list, or nullptr.
  const Item* Find(ListStream s, std::string_view id) const;
};

/// Generates a workspace deterministically from the seed; audit events end at `now`.
Workspace GenerateWorkspace(uint64_t seed, const ScaleSpec& scale, UnixMillis now);

/// Appends `count` audit events stamped at `now` (to the second) about the workspace's resources.
void AppendAuditEvents(Workspace& workspace, int64_t count, UnixMillis now);

}  // namespace segsync::sim
