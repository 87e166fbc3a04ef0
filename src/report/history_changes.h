// SPDX-License-Identifier: Apache-2.0
// The changes the history tables tell, with their audit events: read for `changes` and `report`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "dest/history.h"
#include "dest/history_reader.h"
#include "streams/stream_spec.h"

namespace segsync {

/// The delivery metrics keep a history too, but a version per run is no configuration change.
inline constexpr std::string_view kDeliveryMetricsStream = "destination_delivery_metrics_summary";

/// One event of the audit trail, as far as a change needs it.
struct AuditEntry {
  UnixMillis at = 0;
  std::string at_text;
  std::string actor;
  std::string action;
};

/// The audit events by resource id.
using AuditTrail = std::multimap<std::string, AuditEntry>;

/// When one recorded run started and ended (RFC 3339 with milliseconds, UTC).
struct HistoryRun {
  int64_t run_id = 0;
  std::string started_at;
  std::string ended_at;
};

/// One stream's history, read and told.
struct StreamChanges {
  std::string stream;
  std::vector<std::string> columns;  // keys first
  size_t key_count = 0;
  std::vector<HistoryVersion> versions;
  std::vector<DetectedChange> changes;
};

/// The streams whose changes are listed by default: the full-table ones but the delivery
/// metrics, and the catalogs only if `with_catalogs`.
std::vector<const StreamSpec*> ChangeStreams(bool with_catalogs);

/// The history of `spec` and the changes detected after `since` (RFC 3339 ms; empty: all). A
/// stream without a history table has no versions.
Result<StreamChanges> ReadStreamChanges(HistoryReader& reader, const StreamSpec& spec,
                                        std::string_view since);
/// Every run of `_segsync_runs`, oldest first (none if there is no such table).
Result<std::vector<HistoryRun>> ReadHistoryRuns(HistoryReader& reader);
/// The audit trail, if `audit_events` was synced (nullopt otherwise).
Result<std::optional<AuditTrail>> ReadAuditTrail(HistoryReader& reader);
/// The audit events about the changed resource since the run before the one that detected it.
std::vector<const AuditEntry*> AuditFor(const AuditTrail& audit,
                                        const std::vector<HistoryRun>& runs,
                                        const StreamChanges& stream, const DetectedChange& change);

/// The version a change leaves (its last one, for a deletion).
const HistoryVersion& CurrentVersion(const StreamChanges& stream, const DetectedChange& change);
/// The position of column `name`, if there is one.
std::optional<size_t> ColumnIndex(const std::vector<std::string>& columns, std::string_view name);
/// RFC 3339 with milliseconds in UTC, the form every time is compared in; as it is otherwise.
std::string NormalTime(std::string_view text);
/// A rendered JSON string cell without its quotes; other values as they are, NULL as "null".
std::string PlainCell(const std::optional<std::string>& cell);

/// Whether the destination holds any table a segsync sync writes.
Result<bool> HoldsSegsyncTables(HistoryReader& reader);

}  // namespace segsync
