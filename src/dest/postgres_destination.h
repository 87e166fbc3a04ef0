// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
/// before COMMIT. Nothing is contacted until the first ReadState, BeginStream or RecordRun.
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
  /// Map each field of `record` to its column, adding columns for unknown fields.
  Status ResolveColumns(const Record& record);
  /// Append `record` to the COPY buffer as row `ordinal`.
  Status EncodeRecord(const Record& record, int64_t ordinal);
  Status CopyBuffer();
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
  std::string merge_sql_;
  std::map<std::string, ColumnIssues, std::less<>> issues_;
  // Per-batch scratch, kept to avoid allocations: the COPY text of the batch, each field's slot
  // (fields usually arrive in the same order, so the previous slot is tried first), and the cell
  // of each column for the record being encoded.
  std::string buffer_;
  std::vector<int> field_slots_;
  std::vector<std::string> cells_;
  std::vector<bool> cell_set_;
};

}  // namespace segsync
