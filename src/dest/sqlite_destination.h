// SPDX-License-Identifier: Apache-2.0
// The SQLite destination (`sqlite:PATH`).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dest/destination.h"
#include "dest/sql_common.h"

// Forward declarations keep sqlite3.h inside sqlite_destination.cc.
struct sqlite3;
struct sqlite3_stmt;

namespace segsync {

/// The embedded destination (`sqlite:PATH`): one table per stream, upserted by primary key, one
/// transaction per stream, in WAL mode so a killed process leaves every table as last committed.
/// The database file is created at the first BeginStream or RecordRun, never by ReadState, so a
/// sync that fails before writing leaves nothing behind.
class SqliteDestination final : public Destination {
 public:
  explicit SqliteDestination(std::string path);
  ~SqliteDestination() override;
  SqliteDestination(const SqliteDestination&) = delete;
  SqliteDestination& operator=(const SqliteDestination&) = delete;

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override;
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override;
  Result<int64_t> CommitStream(const StreamCommit& commit) override;
  void AbortStream() override;
  Status RecordRun(const RunRecord& run) override;
  std::optional<int64_t> LastRunId() const override { return last_run_id_; }
  std::optional<HistoryCounts> LastHistoryCounts() const override { return last_history_; }
  /// The directory exists and is writable; an existing file is an SQLite database this user may
  /// write. Opens nothing.
  Status Verify() override;

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const;
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, Finalizer>;

  /// Open the connection if it is not open yet; `create` allows creating the file.
  Status Connect(bool create);
  /// Connect (creating the file) and make sure the bookkeeping tables exist.
  Status PrepareForWriting();
  Status Execute(const std::string& sql, std::string_view what);
  Result<StatementPtr> Prepare(std::string_view sql, std::string_view what);
  Status EnsureTable(const TableSpec& table);
  Status AddColumn(std::string_view name, std::string_view declared_type);
  Status PrepareUpsert();
  /// Map each field of `record` to its column, adding columns for unknown fields.
  Status ResolveColumns(const Record& record);
  Status WriteOne(const Record& record, std::string_view extracted_at);
  /// Mark deletions, store the state and commit; CommitStream rolls back if this fails.
  Result<int64_t> FinishStream(const StreamCommit& commit);
  /// Bring <stream>_history in line with the stream's table (a complete read, at commit).
  Status UpdateHistory(const std::string& now);
  /// (name, declared type) of each column of `table`; empty if it does not exist.
  Result<std::vector<std::pair<std::string, std::string>>> TableColumns(const std::string& table);
  void CloseStream();
  /// A kIo Status naming the failed step, the SQLite message, and what the user can do.
  Status Error(std::string_view what) const;

  std::string path_;
  std::unique_ptr<sqlite3, Closer> db_;
  bool bookkeeping_ready_ = false;

  // The open stream. Columns are in bind order: primary-key columns first, then every other
  // data column of the table; _extracted_at is bound after them.
  std::optional<TableSpec> stream_;
  ColumnMap columns_;
  StatementPtr upsert_;
  // Per-record scratch, kept across records to avoid allocations: whether each primary-key
  // column got a non-null value.
  std::vector<bool> key_present_;
  std::optional<int64_t> last_run_id_;
  std::optional<HistoryCounts> last_history_;  // of the last commit
};

/// The `application_id` in the header of the SQLite file at `path` (offset 68, big-endian), or
/// nullopt when the file is not an SQLite database (too short, another header). Reads the header
/// only: nothing is created or locked.
std::optional<uint32_t> SqliteApplicationId(const std::string& path);

/// Create an empty SQLite database at `path` stamped with `application_id` (which the file keeps
/// whatever is written to it later). Fails if `path` exists.
Status CreateStampedSqliteFile(const std::string& path, uint32_t application_id);

}  // namespace segsync
