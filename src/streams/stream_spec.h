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
};

/// Copies a parent record's field into a request or a child record.
struct ParentBinding {
  std::string_view target;        // path placeholder ("{id}"), query parameter, or record field
  std::string_view parent_field;  // field of the parent record
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
