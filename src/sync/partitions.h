// SPDX-License-Identifier: Apache-2.0
// A stream's partitions (its cursor chains) as a pure function of its spec and what is known.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/segment_client.h"
#include "core/clock.h"
#include "core/record.h"
#include "core/status.h"
#include "streams/stream_spec.h"

namespace segsync {

/// One cursor chain's first request: a path and query, and the parent record it belongs to.
struct Partition {
  std::string path;
  QueryParams query;
  const Record* parent = nullptr;   // kParent, kDeliveryWindow: values for inject_from_parent
  std::optional<UnixMillis> month;  // kMonth: the period this partition reads
  /// kDayWindows' last window: the endTime forms to send in turn while the server refuses the
  /// one sent for its endTime (EndTimeRetryQuery); one not after the window's start means that
  /// nothing is left to ask for this run.
  std::vector<UnixMillis> end_time_fallbacks;
};

struct PartitionOptions {
  UnixMillis start_date = 0;
  int64_t delivery_window_minutes = int64_t{24} * 60;
  std::string delivery_granularity = "HOUR";
};

/// Every partition of one read, and the constants its records all carry.
struct PartitionPlan {
  std::vector<Partition> partitions;
  /// Fields set on every record of the read (the delivery window's startTime and endTime).
  std::vector<std::pair<std::string, Value>> injected_constants;
};

/// startTime, endTime (ending now) and granularity of a delivery-metrics window, within the
/// API's rules for that granularity.
QueryParams DeliveryWindowQuery(UnixMillis now, int64_t window_minutes,
                                std::string_view granularity);

/// The partitions of `spec` for a read that starts at `now`: one list; one per parent record
/// (`parent_keys`, whose records the partitions point into, so they must outlive them); one per
/// month from the bookmark's (else the start date's) through now's; one audit window from the
/// bookmark (else the start date); one per value of a fanned-out query parameter; or one per day
/// window (DayWindows) from the bookmark's (else the start date's) day. The spec's fixed query
/// parameters are added to every partition. A parent record without the ids its child needs is
/// skipped with a warning.
Result<PartitionPlan> PlanPartitions(const StreamSpec& spec, const std::vector<Record>* parent_keys,
                                     std::optional<UnixMillis> bookmark, UnixMillis now,
                                     const PartitionOptions& options);

/// The endTime first sent for the window of whole days [start, end) that holds `now` (`end` is
/// the next midnight): the documented form, a minute behind the clock, on the minute; `end`
/// itself when that is not after `start`.
UnixMillis OpenDayWindowEnd(UnixMillis start, UnixMillis end, UnixMillis now);

/// Windows of whole UTC days, each at most `max_days` long, from the start of `from`'s day
/// through the end of `now`'s day: each is [start, end), and the next starts where one ends.
std::vector<std::pair<UnixMillis, UnixMillis>> DayWindows(UnixMillis from, UnixMillis now,
                                                          int max_days);

/// Whether the API refused a request for its `startTime`: a validation error (422 or 400)
/// whose message names startTime.
bool RefusesStartTime(const Status& status);

/// The audit window's query to send after `refusal` of `query`: the same, from the oldest time
/// the server accepts (the earliest time its message names after the refused one, else the
/// 90 days the app keeps, before the window's endTime), plus a margin. None when the refusal is
/// not about an old startTime, or when nothing would be left to ask for.
std::optional<QueryParams> AuditRetryQuery(const QueryParams& query, const Status& refusal);

/// The value of the first `name` in `query`, or null.
const std::string* FindParam(const QueryParams& query, std::string_view name);

/// Whether the API refused a request for its `endTime` (as RefusesStartTime).
bool RefusesEndTime(const Status& status);

/// The query to send after `refusal` of `sent` (the partition's query, or one this returned):
/// the same with the next of the partition's `end_time_fallbacks`, when the refusal names
/// endTime. Which endTime a server takes is undocumented: the spec's example is a minute behind
/// the clock, not a bucket boundary; a server may require one, or refuse a future endTime. An
/// empty query when the next form asks for nothing (the window is left to a later run, whose
/// bookmark still starts at its day); none when the refusal stands.
std::optional<QueryParams> EndTimeRetryQuery(const Partition& partition, const QueryParams& sent,
                                             const Status& refusal);

}  // namespace segsync
