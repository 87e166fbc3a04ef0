// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dest/destination.h"

// Forward declarations keep libpq-fe.h inside postgres_destination.cc.
struct pg_conn;
struct pg_result;

namespace segsync {

/// Where a `postgresql://` (or `postgres://`) destination URI points.
struct PostgresTarget {
  std::string conninfo;  // the URI as libpq takes it: segsync's own `schema` parameter removed
  std::string schema;    // from `?schema=NAME`, default "segment"
  std::string display;   // the URI with any password replaced by "****", for messages
  std::string password;  // the URI's password (percent-decoded), empty if it has none
};

/// Split a destination URI into what libpq takes and segsync's own `schema` parameter.
/// A malformed `schema` parameter is a kConfig error.
Result<PostgresTarget> ParsePostgresUri(std::string_view uri);

/// The warehouse destination (`postgresql://...`, a libpq URI). The layout is SQLite's
/// (CONTRACT.md §4) in one schema: one table per stream with quoted, case-kept column names typed
/// text, bigint, double precision, boolean, timestamptz or jsonb; `_segsync_state` and
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
  static Result<std::unique_ptr<PostgresDestination>> Make(std::string_view uri);
  ~PostgresDestination() override;
  PostgresDestination(const PostgresDestination&) = delete;
  PostgresDestination& operator=(const PostgresDestination&) = delete;

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override;
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override;
  Result<int64_t> CommitStream(const StreamCommit& commit) override;
  void AbortStream() override;
  Status RecordRun(const RunRecord& run) override;

  /// The PostgreSQL column type names (format_type spelling) segsync declares for each type.
  static std::string_view DeclaredType(ColumnType type);

 private:
  struct ConnCloser {
    void operator()(pg_conn* conn) const;
  };
  struct ResultClearer {
    void operator()(pg_result* result) const;
  };
  using ResultPtr = std::unique_ptr<pg_result, ResultClearer>;

  /// How a value is written into its column; columns of other types get text for PostgreSQL to
  /// parse.
  enum class Kind { kText, kBigint, kDouble, kBoolean, kTimestamp, kJsonb, kOther };
  struct TableColumn {
    std::string name;
    std::string type;  // as format_type() spells it, used for the staging table
    Kind kind = Kind::kText;
  };
  /// Values of one column that were stored as NULL or changed, reported at commit.
  struct ColumnIssues {
    int64_t nulled = 0;
    std::string nulled_example;
    int64_t nul_replaced = 0;
  };

  explicit PostgresDestination(PostgresTarget target);

  /// Open the connection if it is not open; a first connection that failed is not retried.
  Status Connect();
  /// Run `sql` (with text parameters, nullopt for NULL) and return its result if it succeeded.
  Result<ResultPtr> Execute(const std::string& sql, std::string_view what,
                            const std::vector<std::optional<std::string>>& params = {});
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
  /// Map each field of `record` to its column (field_slots_); false if some field has none.
  Result<bool> MapFields(const Record& record);
  /// Add a column to the table and the staging table for each field of `record` without one.
  Status AddColumnsFor(const Record& record);
  /// Append `record` to the pending COPY rows.
  Status EncodeRecord(const Record& record, std::string_view extracted_at);
  /// Remember the key of the row just encoded, noting whether the pending rows repeat a key.
  void NoteKey();
  /// COPY the pending rows into the staging table and merge them into the stream's table.
  Status Flush();
  Status CopyBuffer();
  /// Append `value` to `cell` as COPY text for a column of `kind`; false if the column cannot
  /// hold it. `nuls` counts NUL characters replaced.
  static bool EncodeCell(const Value& value, Kind kind, std::string& cell, int64_t& nuls);
  /// How values are written into a column of this type (format_type() spelling).
  static Kind KindOf(std::string_view type);
  Result<int64_t> FinishStream(const StreamCommit& commit);
  void CloseStream();
  void ReportIssues();
  /// A kIo Status naming the destination, the failed step, PostgreSQL's message on one line, and
  /// what the user can do.
  Status Error(std::string_view what, const pg_result* result) const;

  PostgresTarget target_;
  std::unique_ptr<pg_conn, ConnCloser> conn_;
  bool ever_connected_ = false;
  std::optional<Status> connect_failure_;
  bool bookkeeping_ready_ = false;    // known to exist in a committed transaction
  bool bookkeeping_created_ = false;  // created by the open transaction, ready once it commits
  std::string quoted_schema_;

  // The open stream. Columns are in staging order: primary-key columns first, then every other
  // data column of the table.
  std::optional<TableSpec> stream_;
  std::string quoted_table_;
  std::vector<TableColumn> columns_;
  std::unordered_map<std::string, int> column_slots_;
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
  // Per-record scratch, kept to avoid allocations: each field's slot (fields usually arrive in
  // the same order, so the previous slot is tried first), the cell of each column, the key.
  std::vector<int> field_slots_;
  std::vector<std::string> cells_;
  std::vector<bool> cell_set_;
  std::string key_scratch_;
};

}  // namespace segsync
