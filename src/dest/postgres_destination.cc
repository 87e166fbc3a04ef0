// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL destination: COPY into staging, one upsert per flush.
//
// A stream's batches are COPYed into a staging table and merged into its table with one upsert per
// flush, all in one transaction.
#include "dest/postgres_destination.h"

#include <libpq-fe.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "dest/history.h"

namespace segsync {
namespace {

constexpr std::string_view kOrdinal = "_segsync_ord";  // staging only: the record's batch position
constexpr std::string_view kStaging = "pg_temp._segsync_stage";
// Encoded rows are sent once this many bytes are pending (and at commit): a COPY and a merge per
// engine page of 1000 records spent a fifth of the load time on per-statement costs.
constexpr size_t kFlushBytes = size_t{8} << 20;
// The first key of every advisory lock segsync takes ("segs"), so they cannot be confused with
// an application's own advisory locks on the same database.
constexpr std::string_view kLockSpace = "1936025459";
// The column types as format_type() spells them, so a declared type compares equal to what
// pg_attribute reports for an existing column.
constexpr SqlDialect kPostgresDialect{
    "text", "bigint", "double precision", "boolean", "timestamp with time zone", "jsonb"};

/// A short readable form of a value, for warnings.
std::string Example(const Value& value) {
  std::string text;
  if (value.kind == Value::Kind::kString || value.kind == Value::Kind::kJson) {
    text = value.text;
  } else {
    AppendValueJson(text, value);
  }
  constexpr size_t kMaxExample = 60;
  if (text.size() > kMaxExample) {
    text.resize(kMaxExample);
    text += "...";
  }
  return "\"" + text + "\"";
}

}  // namespace

std::string_view PostgresDestination::DeclaredType(ColumnType type) {
  return kPostgresDialect.TypeOf(type);
}

Result<std::unique_ptr<PostgresDestination>> PostgresDestination::Make(std::string_view uri,
                                                                       int timeout_s) {
  SEGSYNC_ASSIGN_OR_RETURN(PostgresTarget target, ParsePostgresUri(uri));
  // The password is no business of any log line or report, wherever a message might carry it.
  RegisterSecret(target.password);
  auto destination =
      std::unique_ptr<PostgresDestination>(new PostgresDestination(std::move(target)));
  destination->connection_.SetTimeout(timeout_s);
  return destination;
}

PostgresDestination::PostgresDestination(PostgresTarget target)
    : target_(std::move(target)),
      connection_(target_.conninfo, target_.display),
      quoted_schema_(QuoteIdentifier(target_.schema)),
      columns_(kOrdinal) {}

PostgresDestination::~PostgresDestination() { AbortStream(); }

Result<std::optional<std::string>> PostgresDestination::FindRelation(std::string_view name) {
  const std::string qualified = quoted_schema_ + "." + QuoteIdentifier(name);
  SEGSYNC_ASSIGN_OR_RETURN(PgResultPtr found,
                           connection_.Execute("SELECT to_regclass($1)::oid",
                                               "looking for table " + qualified, {qualified}));
  if (PQgetisnull(found.get(), 0, 0) != 0) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(PQgetvalue(found.get(), 0, 0));
}

Status PostgresDestination::EnsureBookkeeping() {
  if (bookkeeping_ready_ || bookkeeping_created_) {
    return Status::Ok();
  }
  SEGSYNC_ASSIGN_OR_RETURN(auto state, FindRelation("_segsync_state"));
  SEGSYNC_ASSIGN_OR_RETURN(auto runs, FindRelation("_segsync_runs"));
  if (state && runs) {
    bookkeeping_ready_ = true;
    return Status::Ok();
  }
  // IF NOT EXISTS does not cover two sessions creating the same object at once: the second
  // fails on a unique index. This lock lets the second wait, then find what the first made.
  SEGSYNC_RETURN_NOT_OK(
      connection_
          .Execute("SELECT pg_advisory_xact_lock(" + std::string(kLockSpace) + ", hashtext($1))",
                   "waiting for another segsync creating schema " + quoted_schema_,
                   {target_.schema})
          .status());
  // Only what is missing is created: CREATE ... IF NOT EXISTS checks the right to create before
  // it checks existence, and a role may have been given the tables without that right.
  SEGSYNC_ASSIGN_OR_RETURN(
      PgResultPtr schema,
      connection_.Execute("SELECT 1 FROM pg_namespace WHERE nspname = $1",
                          "looking for schema " + quoted_schema_, {target_.schema}));
  if (PQntuples(schema.get()) == 0) {
    SEGSYNC_RETURN_NOT_OK(
        connection_.Execute("CREATE SCHEMA " + quoted_schema_, "creating schema " + quoted_schema_)
            .status());
  }
  SEGSYNC_ASSIGN_OR_RETURN(state, FindRelation("_segsync_state"));
  if (!state) {
    SEGSYNC_RETURN_NOT_OK(
        connection_
            .Execute("CREATE TABLE " + quoted_schema_ +
                         "._segsync_state (stream text PRIMARY KEY, state text NOT NULL, "
                         "updated_at timestamptz NOT NULL)",
                     "creating table _segsync_state")
            .status());
  }
  SEGSYNC_ASSIGN_OR_RETURN(runs, FindRelation("_segsync_runs"));
  if (!runs) {
    SEGSYNC_RETURN_NOT_OK(
        connection_
            .Execute(
                "CREATE TABLE " + quoted_schema_ +
                    "._segsync_runs (run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                    "started_at timestamptz, ended_at timestamptz, status text, streams jsonb)",
                "creating table _segsync_runs")
            .status());
  }
  bookkeeping_created_ = true;
  return Status::Ok();
}

Result<std::optional<std::string>> PostgresDestination::ReadState(std::string_view stream) {
  SEGSYNC_RETURN_NOT_OK(connection_.Connect());
  if (!bookkeeping_ready_ && !bookkeeping_created_) {
    SEGSYNC_ASSIGN_OR_RETURN(auto table, FindRelation("_segsync_state"));
    if (!table) {
      return std::optional<std::string>();
    }
  }
  SEGSYNC_ASSIGN_OR_RETURN(
      PgResultPtr found,
      connection_.Execute(
          "SELECT state FROM " + quoted_schema_ + "._segsync_state WHERE stream = $1",
          "reading the state of stream " + std::string(stream), {std::string(stream)}));
  if (PQntuples(found.get()) == 0) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(
      PQgetvalue(found.get(), 0, 0), static_cast<size_t>(PQgetlength(found.get(), 0, 0))));
}

Status PostgresDestination::BeginStream(const TableSpec& table) {
  SEGSYNC_RETURN_NOT_OK(CheckStreamCanBegin(stream_, table));
  SEGSYNC_RETURN_NOT_OK(connection_.Connect());
  stream_ = table;
  quoted_table_ = quoted_schema_ + "." + QuoteIdentifier(table.name);
  Status status =
      connection_.Execute("BEGIN", "starting the transaction for table " + quoted_table_).status();
  if (status.ok()) {
    // One writer per table at a time, as SQLite's write lock gives: two runs interleaving would
    // mark each other's rows deleted.
    auto locked = connection_.Execute(
        "SELECT pg_try_advisory_xact_lock(" + std::string(kLockSpace) + ", hashtext($1))",
        "locking table " + quoted_table_, {quoted_table_});
    if (!locked.ok()) {
      status = locked.status();
    } else if (std::string_view(PQgetvalue(locked->get(), 0, 0)) != "t") {
      status = Status::Io("PostgreSQL " + target_.display + ": table " + quoted_table_ +
                          " is being written by another segsync run; run again when it has "
                          "finished (the session of a killed run holds the table until the "
                          "server notices: see pg_stat_activity, application_name segsync)");
    }
  }
  if (status.ok()) {
    status = EnsureBookkeeping();
  }
  if (status.ok()) {
    status = EnsureTable(table);
  }
  if (status.ok()) {
    status = CreateStaging();
  }
  if (!status.ok()) {
    AbortStream();
  }
  return status;
}

Status PostgresDestination::EnsureTable(const TableSpec& table) {
  SEGSYNC_ASSIGN_OR_RETURN(std::optional<std::string> oid, FindRelation(table.name));
  if (!oid) {
    SEGSYNC_RETURN_NOT_OK(connection_
                              .Execute(CreateTableSql(kPostgresDialect, quoted_table_, table,
                                                      /*if_not_exists=*/false),
                                       "creating table " + quoted_table_)
                              .status());
    SEGSYNC_ASSIGN_OR_RETURN(oid, FindRelation(table.name));
  }

  // The table may predate this schema: read what it has and add what is missing.
  SEGSYNC_ASSIGN_OR_RETURN(
      PgResultPtr info,
      connection_.Execute(
          "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
          "WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
          "reading the columns of table " + quoted_table_, {oid}));
  std::vector<std::string> names;
  std::vector<std::string> types;
  for (int row = 0; row < PQntuples(info.get()); ++row) {
    names.emplace_back(PQgetvalue(info.get(), row, 0));
    types.emplace_back(PQgetvalue(info.get(), row, 1));
  }
  for (auto& [name, type] : MissingColumns(kPostgresDialect, table, names)) {
    SEGSYNC_RETURN_NOT_OK(AddColumn(name, type));
    names.push_back(std::move(name));
    types.push_back(std::move(type));
  }
  SEGSYNC_ASSIGN_OR_RETURN(
      const std::vector<size_t> order,
      columns_.Reset(table, names, "PostgreSQL " + target_.display, quoted_table_));
  column_types_.clear();
  for (const size_t index : order) {
    column_types_.push_back({types[index], PgColumnKindOf(types[index])});
  }
  return Status::Ok();
}

Status PostgresDestination::AddColumn(std::string_view name, std::string_view type) {
  return connection_
      .Execute(AddColumnSql(quoted_table_, name, type),
               "adding column " + Quoted(name) + " to table " + quoted_table_)
      .status();
}

Status PostgresDestination::CreateStaging() {
  std::string create = "CREATE TEMPORARY TABLE " + std::string(kStaging) + " (";
  for (size_t slot = 0; slot < columns_.size(); ++slot) {
    create += QuoteIdentifier(columns_.name(slot)) + " " + column_types_[slot].type + ", ";
  }
  create += QuoteIdentifier(kExtractedAtColumn) + " timestamptz, " + std::string(kOrdinal) +
            " bigint) ON COMMIT DROP";
  SEGSYNC_RETURN_NOT_OK(
      connection_.Execute(create, "creating the staging table for " + quoted_table_).status());
  staging_dirty_ = false;
  PrepareStatements();
  return Status::Ok();
}

void PostgresDestination::PrepareStatements() {
  const UpsertSql upsert =
      BuildUpsert(columns_.names(), stream_->primary_key.size(), stream_->track_deletions);
  const std::string staging(kStaging);
  copy_sql_ =
      "COPY " + staging + " (" + upsert.columns + ", " + std::string(kOrdinal) + ") FROM STDIN";
  const std::string insert = "INSERT INTO " + quoted_table_ + " (" + upsert.columns + ") ";
  merge_sql_ = insert + "SELECT " + upsert.columns + " FROM " + staging + upsert.on_conflict;
  // ON CONFLICT cannot update one row twice: when a batch may hold a key more than once,
  // DISTINCT ON keeps the last record of each.
  merge_distinct_sql_ = insert + "SELECT DISTINCT ON (" + upsert.keys + ") " + upsert.columns +
                        " FROM " + staging + " ORDER BY " + upsert.keys + ", " +
                        std::string(kOrdinal) + " DESC" + upsert.on_conflict;
}

Status PostgresDestination::AddColumnsFor(const Record& record) {
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const auto& [name, value] = record.fields[i];
    if (columns_.slot(i) >= 0 || columns_.Contains(name)) {
      continue;
    }
    const std::string declared(DeclaredType(ColumnTypeOfValue(value)));
    SEGSYNC_RETURN_NOT_OK(AddColumn(name, declared));
    SEGSYNC_RETURN_NOT_OK(connection_
                              .Execute(AddColumnSql(kStaging, name, declared),
                                       "adding column " + Quoted(name) + " to the staging table")
                              .status());
    columns_.Add(name);
    column_types_.push_back({declared, PgColumnKindOf(declared)});
  }
  PrepareStatements();
  return columns_.MapFields(record, stream_->name).status();
}

Status PostgresDestination::Write(const std::vector<Record>& records,
                                  std::string_view extracted_at) {
  if (!stream_) {
    return Status::Internal("records were written to PostgreSQL with no stream open");
  }
  for (const Record& record : records) {
    SEGSYNC_ASSIGN_OR_RETURN(const bool complete, columns_.MapFields(record, stream_->name));
    if (!complete) {
      // Every row of one COPY has the same columns: send the rows encoded so far first.
      SEGSYNC_RETURN_NOT_OK(Flush());
      SEGSYNC_RETURN_NOT_OK(AddColumnsFor(record));
    }
    SEGSYNC_RETURN_NOT_OK(EncodeRecord(record, extracted_at));
  }
  return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok();
}

Status PostgresDestination::EncodeRecord(const Record& record, std::string_view extracted_at) {
  const size_t column_count = columns_.size();
  const size_t key_count = stream_->primary_key.size();
  cells_.resize(column_count);
  cell_set_.assign(column_count, false);
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const Value& value = record.fields[i].second;
    if (value.is_null()) {
      continue;
    }
    const auto slot = static_cast<size_t>(columns_.slot(i));
    const PgColumn& column = column_types_[slot];
    const std::string& name = columns_.name(slot);
    int64_t nuls = 0;
    if (!EncodeCopyCell(value, column.kind, cells_[slot], nuls)) {
      if (slot < key_count) {
        return Status::Invalid("a record of stream " + stream_->name + " has " + Example(value) +
                               " in primary-key field " + name + ", which its PostgreSQL column (" +
                               column.type + ") cannot hold");
      }
      ColumnIssues& issues = issues_[name];
      if (issues.nulled++ == 0) {
        issues.nulled_example = Example(value);
      }
      continue;
    }
    if (nuls > 0) {
      issues_[name].nul_replaced += nuls;
    }
    cell_set_[slot] = true;
  }
  for (size_t k = 0; k < key_count; ++k) {
    if (!cell_set_[k]) {
      return MissingKeyError(stream_->name, columns_.name(k));
    }
  }
  NoteKey();
  for (size_t slot = 0; slot < column_count; ++slot) {
    if (cell_set_[slot]) {
      buffer_ += cells_[slot];
    } else {
      buffer_ += "\\N";
    }
    buffer_.push_back('\t');
  }
  AppendCopyText(buffer_, extracted_at);
  buffer_.push_back('\t');
  AppendCopyInt(buffer_, pending_rows_++);
  buffer_.push_back('\n');
  return Status::Ok();
}

void PostgresDestination::NoteKey() {
  if (pending_duplicates_) {
    return;
  }
  // The key as PostgreSQL compares it. Where segsync's text could differ for equal keys (other
  // column types), assume a duplicate: that only costs the DISTINCT ON sort.
  std::string& key = key_scratch_;
  key.clear();
  for (size_t k = 0; k < stream_->primary_key.size(); ++k) {
    const std::string& cell = cells_[k];
    switch (column_types_[k].kind) {
      case PgColumnKind::kText:
      case PgColumnKind::kBigint:
      case PgColumnKind::kBoolean:
        key += cell;  // canonical: escaped text, digits, t or f
        break;
      case PgColumnKind::kTimestamp:
        // Equal instants may be spelled differently; sub-millisecond ones then collide, which
        // is on the safe side.
        AppendCopyInt(key, *ParseRfc3339(cell));
        break;
      case PgColumnKind::kDouble:
        key += cell == "-0" ? "0" : cell;
        break;
      case PgColumnKind::kJsonb:
      case PgColumnKind::kOther:
        pending_duplicates_ = true;
        return;
    }
    key.push_back('\t');  // cells hold no raw tab
  }
  pending_duplicates_ = !pending_keys_.insert(key).second;
}

Status PostgresDestination::Flush() {
  if (pending_rows_ == 0) {
    return Status::Ok();
  }
  if (staging_dirty_) {
    SEGSYNC_RETURN_NOT_OK(
        connection_.Execute("TRUNCATE " + std::string(kStaging), "emptying the staging table")
            .status());
  }
  staging_dirty_ = true;
  SEGSYNC_RETURN_NOT_OK(CopyBuffer());
  SEGSYNC_RETURN_NOT_OK(connection_
                            .Execute(pending_duplicates_ ? merge_distinct_sql_ : merge_sql_,
                                     "merging records into table " + quoted_table_)
                            .status());
  buffer_.clear();
  pending_rows_ = 0;
  pending_keys_.clear();
  pending_duplicates_ = false;
  return Status::Ok();
}
Status PostgresDestination::CopyBuffer() {
  return connection_.CopyIn(copy_sql_, buffer_,
                            "loading records into the staging table of " + quoted_table_);
}

Result<int64_t> PostgresDestination::CommitStream(const StreamCommit& commit) {
  if (!stream_) {
    return Status::Internal("a commit was requested with no stream open");
  }
  last_history_.reset();
  Result<int64_t> marked = FinishStream(commit);
  if (!marked.ok()) {
    AbortStream();
  }
  return marked;
}

Result<int64_t> PostgresDestination::FinishStream(const StreamCommit& commit) {
  SEGSYNC_RETURN_NOT_OK(Flush());
  const std::string now =
      commit.now.empty() ? FormatRfc3339Millis(SystemClock::Instance().Now()) : commit.now;
  int64_t marked = 0;
  if (commit.mark_deleted_before) {
    if (!stream_->track_deletions) {
      return Status::Internal("deletions were to be marked in table " + quoted_table_ +
                              ", which does not track deletions");
    }
    SEGSYNC_ASSIGN_OR_RETURN(
        PgResultPtr updated,
        connection_.Execute(MarkDeletedSql(quoted_table_, "$1::timestamptz", "$2::timestamptz"),
                            "marking deleted rows in table " + quoted_table_,
                            {now, *commit.mark_deleted_before}));
    std::from_chars(PQcmdTuples(updated.get()),
                    PQcmdTuples(updated.get()) + std::strlen(PQcmdTuples(updated.get())), marked);
    // A complete read: the history follows the table in the same transaction.
    SEGSYNC_RETURN_NOT_OK(UpdateHistory(now));
  }
  if (commit.state) {
    SEGSYNC_RETURN_NOT_OK(
        connection_
            .Execute(
                SaveStateSql(quoted_schema_ + "._segsync_state", "$1", "$2", "$3::timestamptz"),
                "saving the state of stream " + stream_->name, {stream_->name, *commit.state, now})
            .status());
  }
  SEGSYNC_ASSIGN_OR_RETURN(PgResultPtr committed,
                           connection_.Execute("COMMIT", "committing table " + quoted_table_));
  // A transaction that failed earlier answers COMMIT with ROLLBACK and no error.
  if (std::string_view(PQcmdStatus(committed.get())) != "COMMIT") {
    return Status::Io("PostgreSQL " + target_.display + ": committing table " + quoted_table_ +
                      " failed: the server rolled the transaction back; run again");
  }
  bookkeeping_ready_ = bookkeeping_ready_ || bookkeeping_created_;
  bookkeeping_created_ = false;
  ReportIssues();
  CloseStream();
  return marked;
}

Status PostgresDestination::UpdateHistory(const std::string& now) {
  const auto began = std::chrono::steady_clock::now();
  const std::string history = HistoryTableName(stream_->name);
  const std::string quoted = quoted_schema_ + "." + QuoteIdentifier(history);
  std::vector<std::pair<std::string, std::string>> types;
  for (size_t slot = 0; slot < columns_.size(); ++slot) {
    types.emplace_back(columns_.name(slot), column_types_[slot].type);
  }
  const std::vector<HistoryColumn> columns = HistoryColumnsOf(*stream_, columns_.names(), types);
  SEGSYNC_ASSIGN_OR_RETURN(std::optional<std::string> oid, FindRelation(history));
  if (!oid) {
    SEGSYNC_RETURN_NOT_OK(
        connection_
            .Execute(CreateHistoryTableSql(quoted, columns, kPostgresDialect.timestamp_type),
                     "creating table " + quoted)
            .status());
    SEGSYNC_RETURN_NOT_OK(connection_
                              .Execute(CreateOpenVersionIndexSql(history + "_open", quoted, columns,
                                                                 stream_->primary_key.size()),
                                       "indexing table " + quoted)
                              .status());
  } else {
    SEGSYNC_ASSIGN_OR_RETURN(
        PgResultPtr info,
        connection_.Execute("SELECT attname FROM pg_attribute WHERE attrelid = $1::oid AND "
                            "attnum > 0 AND NOT attisdropped",
                            "reading the columns of table " + quoted, {oid}));
    std::unordered_set<std::string> present;
    for (int row = 0; row < PQntuples(info.get()); ++row) {
      present.emplace(PQgetvalue(info.get(), row, 0));
    }
    for (const HistoryColumn& column : columns) {
      if (!present.contains(column.name)) {
        SEGSYNC_RETURN_NOT_OK(
            connection_
                .Execute(AddColumnSql(quoted, column.name, column.type),
                         "adding column " + Quoted(column.name) + " to table " + quoted)
                .status());
      }
    }
  }
  const HistorySql sql =
      BuildHistorySql({quoted_table_, quoted, QuoteIdentifier(history), "$1::timestamptz", {}},
                      columns, stream_->primary_key.size());
  std::array<int64_t, 2> counts{};
  size_t step = 0;
  for (const std::string* statement : {&sql.close_changed, &sql.open_new}) {
    SEGSYNC_ASSIGN_OR_RETURN(
        PgResultPtr done,
        connection_.Execute(*statement, "writing the history of table " + quoted_table_, {now}));
    const char* tuples = PQcmdTuples(done.get());
    std::from_chars(tuples, tuples + std::strlen(tuples), counts[step++]);
  }
  LogHistory(stream_->name, counts[0], counts[1], began);
  last_history_ = HistoryCounts{counts[0], counts[1]};
  return Status::Ok();
}

void PostgresDestination::ReportIssues() {
  for (const auto& [column, issues] : issues_) {
    if (issues.nulled > 0) {
      LogWarn("PostgreSQL: stream " + stream_->name + ": " + std::to_string(issues.nulled) +
              " value(s) of field " + column + " (e.g. " + issues.nulled_example +
              ") cannot be held by its column type and were stored as NULL");
    }
    if (issues.nul_replaced > 0) {
      LogWarn("PostgreSQL: stream " + stream_->name + ": " + std::to_string(issues.nul_replaced) +
              " NUL character(s) in field " + column +
              " were stored as U+FFFD, since PostgreSQL text cannot hold NUL");
    }
  }
}

void PostgresDestination::AbortStream() {
  if (connection_.InTransaction()) {
    const Status status = connection_.Execute("ROLLBACK", "rolling back").status();
    // A session that is gone took its transaction with it: nothing is left to roll back.
    if (!status.ok() && connection_.Usable()) {
      LogWarn(status.message());
    }
  }
  bookkeeping_created_ = false;
  CloseStream();
}

void PostgresDestination::CloseStream() {
  stream_.reset();
  quoted_table_.clear();
  columns_.Clear();
  column_types_.clear();
  copy_sql_.clear();
  merge_sql_.clear();
  merge_distinct_sql_.clear();
  issues_.clear();
  buffer_.clear();
  pending_rows_ = 0;
  pending_keys_.clear();
  pending_duplicates_ = false;
  staging_dirty_ = false;
  cells_.clear();
  cell_set_.clear();
}

Status PostgresDestination::Verify() {
  SEGSYNC_RETURN_NOT_OK(connection_.Connect());
  SEGSYNC_ASSIGN_OR_RETURN(
      PgResultPtr rights,
      connection_.Execute(
          "SELECT CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), "
          "'CREATE') ELSE has_schema_privilege(n.oid, 'CREATE') END, n.oid IS NULL, "
          "to_regclass($2) IS NOT NULL AND to_regclass($3) IS NOT NULL "
          "FROM (SELECT 1) AS one LEFT JOIN pg_namespace n ON n.nspname = $1",
          "checking the right to create tables in schema " + quoted_schema_,
          {target_.schema, quoted_schema_ + "._segsync_state", quoted_schema_ + "._segsync_runs"}));
  const auto yes = [&](int column) {
    return std::string_view(PQgetvalue(rights.get(), 0, column)) == "t";
  };
  if (yes(0) || yes(2)) {
    return Status::Ok();
  }
  return Status::Io("PostgreSQL " + target_.display +
                    ": permission denied: this role may not create " +
                    (yes(1) ? "schema " + quoted_schema_ + " in the database"
                            : "tables in schema " + quoted_schema_) +
                    "; grant it CREATE on the " + (yes(1) ? "database" : "schema") +
                    ", or name a schema it owns with ?schema=NAME");
}

Status PostgresDestination::RecordRun(const RunRecord& run) {
  if (stream_) {
    return Status::Internal("a run was recorded while stream " + stream_->name + " is open");
  }
  SEGSYNC_RETURN_NOT_OK(connection_.Connect());
  const auto or_null = [](const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  Status status =
      connection_.Execute("BEGIN", "starting the transaction for _segsync_runs").status();
  if (status.ok()) {
    status = EnsureBookkeeping();
  }
  if (status.ok()) {
    auto inserted = connection_.Execute(
        "INSERT INTO " + quoted_schema_ +
            "._segsync_runs (started_at, ended_at, status, streams) VALUES "
            "($1::timestamptz, $2::timestamptz, $3, $4::jsonb) RETURNING run_id",
        "recording the run in table _segsync_runs",
        {or_null(run.started_at), or_null(run.ended_at), run.status, or_null(run.streams_json)});
    status = inserted.status();
    if (status.ok() && PQntuples(inserted->get()) == 1) {
      last_run_id_ = std::strtoll(PQgetvalue(inserted->get(), 0, 0), nullptr, 10);
    }
  }
  if (status.ok()) {
    status = connection_.Execute("COMMIT", "committing the run to table _segsync_runs").status();
  }
  if (status.ok()) {
    bookkeeping_ready_ = bookkeeping_ready_ || bookkeeping_created_;
    bookkeeping_created_ = false;
  } else {
    AbortStream();
  }
  return status;
}

}  // namespace segsync
