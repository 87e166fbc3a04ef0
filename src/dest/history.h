// SPDX-License-Identifier: Apache-2.0
// Configuration history: the `<stream>_history` SQL both SQL destinations send, and its reading.
//
// A full-table stream's complete read ends with one transaction that upserts the rows it read and
// marks the others deleted; just before its COMMIT two statements bring the history table in
// line with the stream's table: the open version of every row that is gone or whose fields differ
// is closed, and every live row without an open version gets one. An unchanged row matches its
// open version and costs no write. The shape is a dbt snapshot: the stream's columns without
// _deleted_at, plus _valid_from and _valid_to (NULL while current).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/table_spec.h"

namespace segsync {

inline constexpr std::string_view kValidFromColumn = "_valid_from";
inline constexpr std::string_view kValidToColumn = "_valid_to";
/// SQLite has no JSON type: this function, registered on each connection, compares two TEXT
/// values as JSON by value (key order ignored). PostgreSQL's jsonb equality already does.
inline constexpr std::string_view kSqliteJsonSameFunction = "segsync_json_same";

/// The history table of `stream`.
std::string HistoryTableName(std::string_view stream);

/// One data column of a stream's table as its history holds it.
struct HistoryColumn {
  std::string name;
  std::string type;         // the SQL type, as the stream's table declares it
  bool json_value = false;  // compare as JSON by value (SQLite only; see kSqliteJsonSameFunction)
};

/// The history columns of the open stream `table`: `names` (the data columns in statement order,
/// keys first) typed as `types` (name, SQL type) says. A column the schema declares as JSON, or
/// does not declare at all, compares as JSON by value.
std::vector<HistoryColumn> HistoryColumnsOf(
    const TableSpec& table, const std::vector<std::string>& names,
    const std::vector<std::pair<std::string, std::string>>& types);

/// The statements that keep a history table in line with its stream's table.
struct HistorySql {
  std::string close_changed;  // UPDATE: close the open versions of rows gone or changed
  std::string open_new;       // INSERT: open a version for every live row without one
};

/// Names and placeholders the statements use. `table` and `history` are qualified and quoted;
/// `history_ref` is how a column of the history table is referred to inside a subquery (its
/// quoted name without the schema); `now` is the placeholder of the run's moment.
struct HistoryTarget {
  std::string table;
  std::string history;
  std::string history_ref;
  std::string now;
  /// Empty where the engine compares JSON by value itself (PostgreSQL jsonb).
  std::string_view json_same_function;
};

/// CREATE TABLE for a history table: `columns` (keys first), _extracted_at, _valid_from,
/// _valid_to, all timestamps of `timestamp_type`.
std::string CreateHistoryTableSql(std::string_view history,
                                  const std::vector<HistoryColumn>& columns,
                                  std::string_view timestamp_type);
/// The partial unique index that holds at most one open version per key, and finds it fast.
std::string CreateOpenVersionIndexSql(std::string_view index_name, std::string_view history,
                                      const std::vector<HistoryColumn>& columns, size_t key_count);
/// The two statements, for `columns` (the first `key_count` are the primary key).
HistorySql BuildHistorySql(const HistoryTarget& target, const std::vector<HistoryColumn>& columns,
                           size_t key_count);

/// The debug line saying what one commit did to a history and how long it took (bench/run reads
/// it to weigh the history against the whole sync).
void LogHistory(std::string_view stream, int64_t closed, int64_t opened,
                std::chrono::steady_clock::time_point began);

/// Whether two JSON texts hold the same value: objects compare by key whatever their order,
/// numbers by value. A text that is not JSON compares byte by byte.
bool JsonEqualByValue(std::string_view a, std::string_view b);

/// One version of one row, its cells already rendered as JSON values (nullopt: SQL NULL).
struct HistoryVersion {
  std::vector<std::optional<std::string>> cells;  // keys first, in the table's column order
  std::string valid_from;                         // RFC 3339, milliseconds, UTC
  std::optional<std::string> valid_to;
};

enum class ChangeKind { kAdded, kUpdated, kDeleted, kRestored };
std::string_view ChangeKindName(ChangeKind kind);

/// One change a run detected: `before` and `after` index into the versions (nullopt: none).
struct DetectedChange {
  std::string detected_at;
  ChangeKind kind = ChangeKind::kAdded;
  std::optional<size_t> before;
  std::optional<size_t> after;
  std::vector<size_t> fields;  // columns whose value differs (updated, restored)
};

/// The changes told by `versions` (sorted by key, then _valid_from) detected after `since`
/// (exclusive; empty: all). `json_columns[i]` says whether column i compares as JSON by value.
/// Sorted by detection time, then key.
std::vector<DetectedChange> DeriveChanges(const std::vector<HistoryVersion>& versions,
                                          size_t key_count, const std::vector<bool>& json_columns,
                                          std::string_view since);

}  // namespace segsync
