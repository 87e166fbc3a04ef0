// SPDX-License-Identifier: Apache-2.0
// The Destination interface every output implements, and OpenDestination, which picks one by URI.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/record.h"
#include "core/status.h"
#include "core/table_spec.h"

namespace segsync {

/// The bookkeeping fields every destination stores beside a record's own: when the record was
/// read, and (streams that track deletions) when a complete read no longer found it.
inline constexpr std::string_view kExtractedAtColumn = "_extracted_at";
inline constexpr std::string_view kDeletedAtColumn = "_deleted_at";

/// How a stream's transaction ends.
struct StreamCommit {
  /// Set for a complete read of a full-table stream: every row whose _extracted_at is older than
  /// this (RFC 3339 ms, the moment the read started) and not yet deleted gets _deleted_at = now.
  std::optional<std::string> mark_deleted_before;
  std::string now;                   // RFC 3339 ms; the _deleted_at value
  std::optional<std::string> state;  // the stream's new bookmark JSON, stored in _segsync_state
};

/// One row of _segsync_runs.
/// What one commit did to the stream's `<stream>_history`: versions closed (a row changed or
/// gone) and opened (a row new, changed or back).
struct HistoryCounts {
  int64_t closed = 0;
  int64_t opened = 0;
};

struct RunRecord {
  std::string started_at;
  std::string ended_at;
  std::string status;        // "ok", "partial", "failed", "interrupted"
  std::string streams_json;  // per stream: rows, requests, retries, outcome, message
};

/// Where records land. One stream is open at a time; each stream is one transaction, so a
/// failed stream leaves its table exactly as it was.
class Destination {
 public:
  virtual ~Destination() = default;

  /// The committed state JSON of a stream, or nullopt if it has none.
  virtual Result<std::optional<std::string>> ReadState(std::string_view stream) = 0;
  /// Open the stream's transaction, creating its table or adding missing declared columns.
  virtual Status BeginStream(const TableSpec& table) = 0;
  /// Upsert by primary key, stamping _extracted_at and clearing _deleted_at. A field without a
  /// column gets a new column (type inferred from the value); nothing is dropped.
  virtual Status Write(const std::vector<Record>& records, std::string_view extracted_at) = 0;
  /// Mark deletions, store the state, and commit. Returns the number of rows newly marked deleted.
  virtual Result<int64_t> CommitStream(const StreamCommit& commit) = 0;
  /// Roll back the open stream, if any.
  virtual void AbortStream() = 0;
  /// Append one row to _segsync_runs (its own transaction).
  virtual Status RecordRun(const RunRecord& run) = 0;
  /// The `_segsync_runs.run_id` the last RecordRun wrote, where the destination numbers runs.
  virtual std::optional<int64_t> LastRunId() const { return std::nullopt; }
  /// What the last CommitStream did to the history, where it keeps one and that commit wrote it.
  virtual std::optional<HistoryCounts> LastHistoryCounts() const { return std::nullopt; }
  /// Check, before anything is read, that a sync could write here: reachable, writable, allowed
  /// to create tables. Creates nothing, so `check` leaves no trace.
  virtual Status Verify() { return Status::Ok(); }
};

/// How long a destination may keep segsync waiting (PostgreSQL only: the files answer at once).
struct DestinationOptions {
  int timeout_s = DefaultInt(SettingId::kDestinationTimeout);  // one statement, lock waits too
};

/// Open a destination from its configured URI: `sqlite:PATH`, `postgresql://...`, `jsonl:DIR`.
Result<std::unique_ptr<Destination>> OpenDestination(std::string_view uri,
                                                     const DestinationOptions& options = {});

/// The absolute path of the file a `sqlite:` URI names. The forms, one meaning each:
/// `sqlite:x.db` and `sqlite:///x.db` (SQLAlchemy's form) are relative to the working directory;
/// `sqlite:/abs/x.db` and `sqlite:////abs/x.db` are absolute. `sqlite://x.db` would put `x.db`
/// where a URI's host goes, and is rejected with the form to write instead.
Result<std::string> SqlitePathOf(std::string_view uri);

/// The destination for people, resolved: "SQLite file /abs/x.db", "PostgreSQL
/// postgresql://u:****@host/db, schema segment", "JSONL directory /abs/dir".
std::string DescribeDestination(std::string_view uri);

}  // namespace segsync
