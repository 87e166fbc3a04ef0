// SPDX-License-Identifier: Apache-2.0
// What `segsync report` shows, read from a SQL destination: the query layer, no HTML.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "dest/history_reader.h"

namespace segsync {

/// A calendar month (UTC).
struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12

  std::string Text() const;  // YYYY-MM
  YearMonth Previous() const;
  YearMonth Next() const;
  int Days() const;
  UnixMillis Start() const;
  bool operator==(const YearMonth&) const = default;
};

/// `YYYY-MM`, a real month; nullopt for anything else.
std::optional<YearMonth> ParseYearMonth(std::string_view text);
/// The month of `t` (UTC).
YearMonth MonthOf(UnixMillis t);

/// A value on one day of a month (1-based).
struct DayValue {
  int day = 0;
  int64_t value = 0;
};

/// A resource with its name as the API gave it (hostile text: escape it).
struct NamedValue {
  std::string id;
  std::string name;
  int64_t value = 0;
};

struct UsageSection {
  YearMonth month;
  std::string mtu_missing;    // why there is no MTU series (empty: there is one)
  std::vector<DayValue> mtu;  // the month's cumulative MTUs, by day
  std::vector<DayValue> mtu_previous;
  std::string api_missing;
  std::vector<DayValue> api_calls;  // the month's cumulative API calls, by day
  std::string top_mtu_missing;
  std::vector<NamedValue> top_mtu;  // sources by MTUs in the month, most first
  std::string top_api_missing;
  std::vector<NamedValue> top_api;
};

struct DeliveryRow {
  std::string source_id;
  std::string source_name;
  std::string destination_id;
  std::string destination_name;
  int64_t delivered = 0;  // metric `successes`
  int64_t discarded = 0;
  int64_t retried = 0;
  int64_t failed = 0;  // metric `expired`: retried until given up
  /// The share of events not delivered: (failed + discarded) / (delivered + failed + discarded).
  double NotDeliveredShare() const;
};

struct DeliverySection {
  std::string missing;
  std::string window_start;  // the window the latest sync asked for
  std::string window_end;
  std::vector<DeliveryRow> rows;  // worst first
};

struct Resource {
  std::string kind;  // source, destination, warehouse
  std::string id;
  std::string name;
};

struct InventoryCount {
  std::string label;
  std::string table;
  std::optional<int64_t> count;  // nullopt: the table is missing
};

struct InventorySection {
  std::string missing;
  std::vector<InventoryCount> counts;
  std::vector<Resource> disabled;
  std::vector<Resource> sources_without_destination;
  std::vector<Resource> destinations_without_source;
};

struct ChangeLine {
  std::string detected_at;
  std::string stream;
  std::string kind;                 // added, updated, deleted, restored
  std::string name;                 // the resource's name, where it has one
  std::string key;                  // its key values joined by "/"
  std::vector<std::string> fields;  // "field: old → new"
  std::vector<std::string> who;     // "actor: action (when)" from the audit trail
};

struct RunChanges {
  int64_t run_id = 0;  // 0: a run that recorded no row (killed)
  std::string started_at;
  int64_t total = 0;
  int64_t added = 0;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t restored = 0;
  std::vector<ChangeLine> shown;  // the first of them, newest run first
};

struct ChangesSection {
  std::string missing;
  std::string since;             // RFC 3339: 30 days before the latest run ended
  std::string who_missing;       // why the audit trail cannot say who (empty: it can)
  std::vector<RunChanges> runs;  // newest first
};

struct StreamRun {
  std::string stream;
  std::string outcome;
  int64_t rows = 0;
  int64_t requests = 0;
  int64_t duration_ms = 0;
  std::string message;
};

struct RunRow {
  int64_t run_id = 0;
  std::string started_at;
  std::string ended_at;
  std::optional<int64_t> duration_ms;
  std::string status;
  int64_t requests = 0;
  std::vector<StreamRun> streams;
};

struct RunsSection {
  std::string missing;
  std::vector<RunRow> runs;  // newest first
};

/// Everything one report shows.
struct ReportData {
  std::string destination;   // for display: no password
  std::string generated_at;  // RFC 3339
  UsageSection usage;
  DeliverySection delivery;
  InventorySection inventory;
  ChangesSection changes;
  RunsSection runs;
};

/// How many rows a list shows (the counts always cover all).
inline constexpr size_t kTopSources = 10;
inline constexpr size_t kListedResources = 50;
inline constexpr size_t kShownChangesPerRun = 25;
inline constexpr size_t kShownRuns = 10;
inline constexpr int kChangeDays = 30;

/// `text` cut to at most `max_bytes` (never inside a UTF-8 sequence), "…" marking a cut.
std::string Abbreviate(std::string text, size_t max_bytes);

/// The month the usage data ends in, if there is any usage data.
Result<std::optional<YearMonth>> LatestUsageMonth(HistoryReader& reader);

/// Read every section. `month` is the usage month shown.
Result<ReportData> LoadReport(HistoryReader& reader, YearMonth month, UnixMillis now);

}  // namespace segsync
