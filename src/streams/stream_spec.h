// SPDX-License-Identifier: Apache-2.0
// A stream as data (StreamSpec), and the table of every stream.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/table_spec.h"

namespace segsync {

enum class SyncMode { kFullTable, kIncremental };

/// How a stream's requests are split.
enum class Partitioning {
  kNone,         // one paginated list
  kParent,       // one request series per parent record
  kMonth,        // one request series per usage month (period=YYYY-MM-01)
  kAuditWindow,  // one series over [startTime, endTime] with endTime pinned for the read
  /// One request per parent record, all over one [startTime, endTime] window fixed for the read
  /// (delivery metrics); the window's bounds are set on every record.
  kDeliveryWindow,
  /// One request series per value of a query parameter fixed in the spec (`fan_out`).
  kQueryValues,
  /// One request series per window of whole UTC days (`day_windows`), from the bookmark's day
  /// (else the start date's) through now: each window's startTime is inclusive, its endTime
  /// exclusive and the next window's startTime.
  kDayWindows,
};

/// Copies a parent record's field into a request or a child record.
struct ParentBinding {
  std::string_view target;        // path placeholder ("{id}"), query parameter, or record field
  std::string_view parent_field;  // field of the parent record
};

/// A query parameter sent with each of a fixed list of values, one request series per value.
struct QueryFanOut {
  std::string_view param;
  std::vector<std::string_view> values;
};

/// A field of a nested object copied to the top of the record (`source.id` → `sourceId`).
struct LiftedField {
  std::string_view target;  // the record's field
  std::string_view object;  // the item's object field
  std::string_view field;   // the object's field
};

/// An item holding a series (a list of objects) becomes one record per element of the series:
/// the item's fields except `field` and `dropped`, then the element's fields, renamed as
/// `renamed` says.
struct SeriesFlattening {
  std::string_view field;  // the list to flatten; empty: records are the items themselves
  std::vector<std::pair<std::string_view, std::string_view>> renamed;  // element field → record
  /// Item fields that summarise the whole series (a total over the request's window): they
  /// would depend on how the range was cut into windows, so no row carries them.
  std::vector<std::string_view> dropped;
};

/// One stream, as data. The generic reader in src/sync reads any stream from its spec.
struct StreamSpec {
  std::string_view name;
  std::string_view path;      // relative to the API host; may hold "{placeholder}"s
  std::string_view list_key;  // key under "data" that holds the records
  std::vector<std::string_view> primary_key;
  SyncMode mode = SyncMode::kFullTable;
  std::string_view cursor_field;  // incremental streams only
  Partitioning partitioning = Partitioning::kNone;
  std::string_view parent;  // parent stream, for kParent and kDeliveryWindow
  std::vector<ParentBinding> path_from_parent;
  std::vector<ParentBinding> query_from_parent;
  std::vector<ParentBinding> inject_from_parent;
  bool paginated = true;
  bool single_object = false;    // data.<list_key> is one object, not a list
  bool small_rows = false;       // many small rows: a destination may cluster them by key
  std::string_view entitlement;  // the plan or feature a 403 means is missing
  std::string_view method = "GET";
  /// Query parameters sent with every request of the stream.
  std::vector<std::pair<std::string_view, std::string_view>> fixed_query;
  QueryFanOut fan_out;      // kQueryValues
  int day_window_days = 0;  // kDayWindows: the most days one request may cover
  SeriesFlattening flatten;
  std::vector<LiftedField> lifted;
  /// Key fields an item may lack (a rule type without an event name): the record holds an
  /// empty string there, so that the key is total without inventing data.
  std::vector<std::string_view> empty_when_absent;
  /// A log (past syncs): rows are upserted and never marked deleted when the API stops
  /// listing them.
  bool log = false;
  /// At most this many of its partitions are read at once (0: no limit) once its endpoint's
  /// own limit binds (RateLimitPacer::OwnBudgetBinds): more workers on it would only wait for
  /// its budget, while other streams wait for them. Until then, as many as any stream.
  int max_parallel_partitions = 0;
  /// Its endpoint has its own, documented rate limit: the pacer keeps its budget apart from the
  /// one the other endpoints share (RateLimitPacer::DeclareOwnBudget).
  bool own_rate_limit = false;
};

/// All streams, in the order they are synced (parents before children).
const std::vector<StreamSpec>& AllStreams();
/// The spec with this name, or nullptr.
const StreamSpec* FindStream(std::string_view name);
/// The stream's JSON Schema (draft-07) as compiled into the binary.
std::string_view StreamSchema(std::string_view name);
/// The destination layout derived from the spec and its schema.
Result<TableSpec> TableSpecFor(const StreamSpec& spec);

}  // namespace segsync
