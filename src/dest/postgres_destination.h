// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL destination (`postgresql://...`).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "dest/destination.h"
#include "dest/pg_connection.h"
#include "dest/pg_copy.h"
#include "dest/pg_uri.h"
#include "dest/sql_common.h"

namespace segsync {

/// The warehouse destination (`postgresql://...`, a libpq URI). The layout is SQLite's
/// (src/dest/sqlite_destination.h) in one schema: one table per stream with quoted, case-kept
/// column names typed text, bigint, double precision, boolean, timestamptz or jsonb;
/// `_segsync_state` and
/// `_segsync_runs` beside them.
///
/// Each stream is one transaction: the table is created or widened, every batch is loaded with
/// COPY into a temporary staging table and merged with one INSERT ... ON CONFLICT DO UPDATE (the
/// last record wins when a batch holds a key twice), and deletions and the state are written just
/// before COMMIT. Write encodes at once (a record without its key fails there) and sends rows
/// once 8 MiB are pending and at commit, so a server-side failure may surface at a later Write or
/// at CommitStream. Nothing is contacted until the first ReadState, BeginStream or RecordRun.
///
/// A value its column's type cannot hold (a timestamp PostgreSQL would reject, text in a bigint
/// column) is stored as NULL, and CommitStream logs one warning per column with the count and an
/// example; in a primary-key column it is an error instead. NUL characters, which PostgreSQL text
/// cannot hold, become U+FFFD.
class PostgresDestination final : public Destination {
 public:
  /// Check the URI; nothing is contacted yet.
  /// `timeout_s` bounds every statement, lock waits included (see PgConnection).
  static Result<std::unique_ptr<PostgresDestination>> Make(
      std::string_view uri, int timeout_s = DefaultInt(SettingId::kDestinationTimeout));
  ~PostgresDestination() override;
  PostgresDestination(const PostgresDestination&) = delete;
  PostgresDestination& operator=(const PostgresDestination&) = delete;

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override;
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override;
  Result<int64_t> CommitStream(const StreamCommit& commit) override;
  void AbortStream() override;
  Status RecordRun(const RunRecord& run) override;
  std::optional<int64_t> LastRunId() const override { return last_run_id_; }
  std::optional<HistoryCounts> LastHistoryCounts() const override { return last_history_; }
  /// Connect, then check the role may create tables in the schema (or the schema in the
  /// database), unless the bookkeeping tables are already there. Creates nothing.
  Status Verify() override;

  /// The PostgreSQL column type names (format_type spelling) segsync declares for each type.
  static std::string_view DeclaredType(ColumnType type);

 private:
  /// The type of a column of the open stream, in statement order beside ColumnMap's names.
  struct PgColumn {
    std::string type;  // as format_type() spells it, used for the staging table
    PgColumnKind kind = PgColumnKind::kText;
  };
  /// Values of one column that were stored as NULL or changed, reported at commit.
  struct ColumnIssues {
    int64_t nulled = 0;
    std::string nulled_example;
    int64_t nul_replaced = 0;
  };

  explicit PostgresDestination(PostgresTarget target);

  /// Create the schema and the bookkeeping tables if missing, inside the open transaction.
  Status EnsureBookkeeping();
  /// The oid of relation "schema"."name", or nullopt if it does not exist.
  Result<std::optional<std::string>> FindRelation(std::string_view name);
  Status EnsureTable(const TableSpec& table);
  Status AddColumn(std::string_view name, std::string_view type);
  /// Create the temporary staging table for the open stream (dropped at the end of it).
  Status CreateStaging();
  /// Rebuild the COPY and merge statements after the column list changed.
  void PrepareStatements();
  /// Add a column to the table and the staging table for each field of `record` without one.
  Status AddColumnsFor(const Record& record);
  /// Append `record` to the pending COPY rows.
  Status EncodeRecord(const Record& record, std::string_view extracted_at);
  /// Remember the key of the row just encoded, noting whether the pending rows repeat a key.
  void NoteKey();
  /// COPY the pending rows into the staging table and merge them into the stream's table.
  Status Flush();
  Status CopyBuffer();
  Result<int64_t> FinishStream(const StreamCommit& commit);
  /// Bring <stream>_history in line with the stream's table (a complete read, at commit).
  Status UpdateHistory(const std::string& now);
  void CloseStream();
  void ReportIssues();

  PostgresTarget target_;
  PgConnection connection_;
  bool bookkeeping_ready_ = false;    // known to exist in a committed transaction
  bool bookkeeping_created_ = false;  // created by the open transaction, ready once it commits
  std::string quoted_schema_;

  // The open stream. Columns are in staging order: primary-key columns first, then every other
  // data column of the table.
  std::optional<TableSpec> stream_;
  std::string quoted_table_;
  ColumnMap columns_;
  std::vector<PgColumn> column_types_;
  std::string copy_sql_;
  std::string merge_sql_;           // staging rows have distinct keys
  std::string merge_distinct_sql_;  // staging rows may repeat a key: the last one wins
  std::map<std::string, ColumnIssues, std::less<>> issues_;
  bool staging_dirty_ = false;  // the staging table holds rows of an earlier flush
  // Rows encoded but not yet sent, in COPY text format, with their keys.
  std::string buffer_;
  int64_t pending_rows_ = 0;
  std::unordered_set<std::string> pending_keys_;
  bool pending_duplicates_ = false;
  // Per-record scratch, kept to avoid allocations: the cell of each column, the key.
  std::vector<std::string> cells_;
  std::vector<bool> cell_set_;
  std::string key_scratch_;
  std::optional<int64_t> last_run_id_;
  std::optional<HistoryCounts> last_history_;  // of the last commit
};

}  // namespace segsync
