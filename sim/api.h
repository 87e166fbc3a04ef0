// SPDX-License-Identifier: Apache-2.0
// The Segment Public API over a generated workspace, without HTTP (SimulatedApi).
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/json_writer.h"
#include "sim/paging.h"
#include "sim/usage.h"
#include "sim/workspace.h"

namespace segsync::sim {

/// What `/audit-events` does with a `startTime` older than it keeps (undocumented: each is a
/// plausible Segment; see sim/README.md).
enum class AuditOldStart {
  kIgnore,   // keeps 90 days and answers what it keeps
  kReject,   // keeps 90 days and refuses an older startTime with 422
  kKeepAll,  // keeps everything (its history reaches back 200 days)
};

/// Which `startTime` and `endTime` `/events/volume` takes (undocumented: the spec's example
/// endTime is a minute behind the clock, not a bucket boundary; see sim/README.md).
enum class VolumeEndTime {
  kBoundary,      // both on the granularity's UTC boundary; a future endTime is taken
  kAny,           // any time; a bucket counts the events in [startTime, endTime) only
  kPast,          // as kAny, and an endTime after now is refused with 422
  kBoundaryPast,  // boundaries, and no endTime after now
};

/// Which plan-gated features the workspace has.
struct Entitlements {
  bool audit_trail = true;          // Business plan
  bool protocols = true;            // /transformations
  bool subscriptions = true;        // /destinations/{id}/subscriptions
  bool destination_filters = true;  // Business plan: /destination/{id}/filters
  AuditOldStart audit_old_start = AuditOldStart::kKeepAll;
  VolumeEndTime volume_end_time = VolumeEndTime::kBoundary;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON
};

/// Helpers the endpoint files (api.cc, api_extras.cc) share.
namespace api_detail {
ApiResponse Error(const ApiError& error);
ApiResponse NotFound();  // 404 "Resource not found"
ApiResponse Forbidden(std::string message);
/// "/a/b/c" -> {"a", "b", "c"}; empty for a path without a leading slash.
std::vector<std::string_view> Segments(std::string_view path);
}  // namespace api_detail

/// The Segment Public API over a generated workspace, without HTTP: authentication, rate limits
/// and faults belong to the server in front of it. Safe to call from many threads.
class SimulatedApi {
 public:
  SimulatedApi(Workspace workspace, Entitlements entitlements);

  /// Answers `GET path?query` as Segment would at time `now`.
  ApiResponse Get(std::string_view path, const QueryParams& query, UnixMillis now);

  /// Everything the API would serve now, by stream (the `/__sim/dump` document); only the
  /// named streams when `only` is not empty.
  std::string Dump(UnixMillis now, const std::vector<std::string>& only);

  /// Removes an object of a top-level stream and what depends on it: now, or right after the
  /// next response to that stream's list endpoint that has no `next` (`after_list`).
  ApiResponse Delete(std::string_view stream, std::string_view id, std::string_view when);

  /// Appends audit events stamped `now`.
  void AddAuditEvents(int64_t count, UnixMillis now);

  /// Sets top-level field `field` of an object of a top-level stream to the JSON `value` (added
  /// if absent); a source's change is also written to the audit trail ("Source Modified").
  ApiResponse Update(std::string_view stream, std::string_view id, std::string_view field,
                     std::string_view value, UnixMillis now);
  /// Brings back an object removed by Delete (its dependents stay removed), at the list's end.
  ApiResponse Restore(std::string_view stream, std::string_view id);
  /// Every warehouse's sources sync `count` more times now (`POST /__sim/syncs?advance=N`).
  void AdvanceSyncs(int count, UnixMillis now);

 private:
  ApiResponse List(ListStream stream, const QueryParams& query);
  ApiResponse ConnectedDestinations(std::string_view source_id, const QueryParams& query);
  ApiResponse ConnectedWarehouses(std::string_view source_id, const QueryParams& query);
  ApiResponse Subscriptions(std::string_view destination_id, const QueryParams& query);
  ApiResponse DeliveryMetrics(std::string_view destination_id, const QueryParams& query,
                              UnixMillis now);
  ApiResponse Usage(UsageEndpoint endpoint, const QueryParams& query, UnixMillis now);
  ApiResponse AuditEvents(const QueryParams& query, UnixMillis now);
  // The newer endpoints (api_extras.cc).
  /// Routes the newer endpoints; nullopt when `path` is none of them.
  std::optional<ApiResponse> GetExtra(std::string_view path, const QueryParams& query,
                                      UnixMillis now);
  /// A top-level list of the newer endpoints (`items` lives in workspace_); the stream name
  /// keys pending deletions.
  ApiResponse ExtraList(const std::string& stream, std::string_view list_key,
                        std::vector<Item>& items, const QueryParams& query);
  ApiResponse TrackingPlanChild(std::string_view plan_id, bool rules, const QueryParams& query);
  ApiResponse Functions(const QueryParams& query);
  ApiResponse Labels();
  ApiResponse Filters(std::string_view destination_id, const QueryParams& query);
  ApiResponse GroupUsers(std::string_view group_id, const QueryParams& query);
  ApiResponse Syncs(std::string_view warehouse_id, const QueryParams& query);
  ApiResponse EventsVolume(const QueryParams& query, UnixMillis now);
  /// Deletes from a newer top-level stream; nullopt when `stream` is none of them.
  std::optional<ApiResponse> DeleteExtra(std::string_view stream, std::string_view id,
                                         std::string_view when);
  /// Requires the unique lock.
  void RemoveExtraLocked(std::string_view stream, std::string_view id);
  /// Writes the newer streams' part of the dump (requires the shared lock).
  void DumpExtras(JsonWriter& w, UnixMillis now,
                  const std::function<bool(std::string_view)>& wanted) const;
  /// The oldest audit event time kept at `now`.
  UnixMillis AuditKeptFrom(UnixMillis now) const;

  /// Rows of one usage month, computed once and shared.
  std::shared_ptr<const std::vector<std::string>> UsageRowsCached(UsageEndpoint endpoint,
                                                                  Month month, UnixMillis now);
  /// Requires the unique lock.
  void RemoveLocked(ListStream stream, std::string_view id);
  /// Whether the optional `pagination` of this last page is left out (deterministic).
  bool OmitsPagination(std::string_view path, int64_t position) const;

  const Entitlements entitlements_;
  std::shared_mutex mutex_;  // guards workspace_, pending_deletions_ and removed_
  Workspace workspace_;
  std::array<std::vector<std::string>, kListStreamCount> pending_deletions_;
  std::array<std::vector<Item>, kListStreamCount> removed_;  // for Restore
  std::map<std::string, std::vector<std::string>, std::less<>> pending_extra_deletions_;

  std::mutex usage_mutex_;
  // (endpoint, month index, elapsed days of the current month or 0) -> rows
  std::map<std::tuple<int, int, int>, std::shared_ptr<const std::vector<std::string>>> usage_cache_;
  size_t usage_cached_rows_ = 0;
};

}  // namespace segsync::sim
