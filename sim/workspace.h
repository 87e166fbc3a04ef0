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
