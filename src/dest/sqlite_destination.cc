// SPDX-License-Identifier: Apache-2.0
// The SQLite destination: one WAL database file, a table per stream, upserted record by record.
#include "dest/sqlite_destination.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <utility>

#include "core/clock.h"
#include "core/log.h"
#include "dest/history.h"
#include "dest/sql_common.h"

namespace segsync {
namespace {

// 16 MiB of page cache (SQLite's default is 2 MiB; 64 MiB measured no faster, and it counts
// against memory). Usage rows arrive day by day across all
// sources, so each insert lands in another leaf of the key's B-tree; with the default cache
// those leaves are read and written back over and over (measured 2.5-3.5x slower).
constexpr std::string_view kCacheSize = "PRAGMA cache_size=-16384";
// Long enough to wait out a reader's checkpoint or another short writer, short enough that a
// stuck process is reported instead of hanging the sync.
constexpr int kBusyTimeoutMillis = 10'000;

/// TEXT for strings, timestamps and JSON: a NUMERIC-affinity type would turn "0123" or "1e5"
/// into numbers.
constexpr SqlDialect kSqliteDialect{"TEXT", "INTEGER", "REAL", "BOOLEAN", "TEXT", "TEXT"};

/// What the user can do about a failure with this SQLite result code.
std::string_view Hint(int code) {
  switch (code & 0xff) {
    case SQLITE_CANTOPEN:
      return "check that the directory exists and is writable";
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return "check that the file and its directory are writable by this user";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "another process is writing to this database; run again when it has finished";
    case SQLITE_FULL:
      return "free some disk space and run again";
    case SQLITE_IOERR:
      return "check the disk and the file system, then run again";
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return "the file is not a usable SQLite database; point the destination at another path";
    case SQLITE_ERROR:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
      return "if the table was changed by hand, drop it and sync again to rebuild it";
    default:
      return "run again; if it fails the same way, report this message";
  }
}

/// segsync_json_same(a, b): 1 when two values hold the same JSON value (key order ignored).
void JsonSame(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_int(context, 0);
    return;
  }
  const auto* a = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto a_size = static_cast<size_t>(sqlite3_value_bytes(argv[0]));
  const auto* b = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  const auto b_size = static_cast<size_t>(sqlite3_value_bytes(argv[1]));
  sqlite3_result_int(context,
                     JsonEqualByValue(std::string_view(a, a_size), std::string_view(b, b_size)));
}

}  // namespace

void SqliteDestination::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void SqliteDestination::Finalizer::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

SqliteDestination::SqliteDestination(std::string path) : path_(std::move(path)) {}

SqliteDestination::~SqliteDestination() { AbortStream(); }

Status SqliteDestination::Error(std::string_view what) const {
  const int code = sqlite3_errcode(db_.get());
  std::string message = "SQLite database " + path_ + ": " + std::string(what) + " failed: ";
  message += sqlite3_errmsg(db_.get());
  message += "; ";
  message += Hint(code);
  return Status::Io(std::move(message));
}

Status SqliteDestination::Execute(const std::string& sql, std::string_view what) {
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(what);
  }
  return Status::Ok();
}

Result<SqliteDestination::StatementPtr> SqliteDestination::Prepare(std::string_view sql,
                                                                   std::string_view what) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &statement,
                         nullptr) != SQLITE_OK) {
    return Error(what);
  }
  return StatementPtr(statement);
}

Status SqliteDestination::Connect(bool create) {
  if (db_) {
    return Status::Ok();
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path_.c_str(), &db, flags, nullptr);
  db_.reset(db);
  Status status = rc == SQLITE_OK ? Status::Ok() : Error("opening the database");
  if (status.ok()) {
    sqlite3_busy_timeout(db_.get(), kBusyTimeoutMillis);
    // WAL with synchronous=NORMAL: a killed process loses at most the open transaction, and
    // each commit costs no fsync of its own.
    status = Execute("PRAGMA journal_mode=WAL", "switching to WAL journal mode");
  }
  if (status.ok()) {
    status = Execute("PRAGMA synchronous=NORMAL", "setting synchronous=NORMAL");
  }
  if (status.ok()) {
    status = Execute(std::string(kCacheSize), "setting the page cache size");
  }
  if (status.ok() && sqlite3_create_function_v2(db_.get(), kSqliteJsonSameFunction.data(), 2,
                                                SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                                JsonSame, nullptr, nullptr, nullptr) != SQLITE_OK) {
    status = Error("registering function " + std::string(kSqliteJsonSameFunction));
  }
  if (!status.ok()) {
    db_.reset();
  }
  return status;
}

Status SqliteDestination::PrepareForWriting() {
  SEGSYNC_RETURN_NOT_OK(Connect(/*create=*/true));
  if (bookkeeping_ready_) {
    return Status::Ok();
  }
  SEGSYNC_RETURN_NOT_OK(Execute(
      "CREATE TABLE IF NOT EXISTS _segsync_state (stream TEXT PRIMARY KEY, state TEXT NOT NULL, "
      "updated_at TEXT NOT NULL)",
      "creating table _segsync_state"));
  SEGSYNC_RETURN_NOT_OK(
      Execute("CREATE TABLE IF NOT EXISTS _segsync_runs (run_id INTEGER PRIMARY KEY "
              "AUTOINCREMENT, started_at TEXT, ended_at TEXT, status TEXT, streams TEXT)",
              "creating table _segsync_runs"));
  bookkeeping_ready_ = true;
  return Status::Ok();
}

Result<std::optional<std::string>> SqliteDestination::ReadState(std::string_view stream) {
  if (!db_) {
    std::error_code error;
    if (!std::filesystem::exists(path_, error)) {
      return std::optional<std::string>();
    }
    SEGSYNC_RETURN_NOT_OK(Connect(/*create=*/false));
  }
  SEGSYNC_ASSIGN_OR_RETURN(
      StatementPtr table_exists,
      Prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '_segsync_state'",
              "looking for table _segsync_state"));
  if (sqlite3_step(table_exists.get()) != SQLITE_ROW) {
    return Error("looking for table _segsync_state");
  }
  if (sqlite3_column_int(table_exists.get(), 0) == 0) {
    return std::optional<std::string>();
  }
  const std::string what = "reading the state of stream " + std::string(stream);
  SEGSYNC_ASSIGN_OR_RETURN(StatementPtr select,
                           Prepare("SELECT state FROM _segsync_state WHERE stream = ?1", what));
  sqlite3_bind_text64(select.get(), 1, stream.data(), stream.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(select.get());
  if (rc == SQLITE_DONE) {
    return std::optional<std::string>();
  }
  if (rc != SQLITE_ROW) {
    return Error(what);
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
  const auto size = static_cast<size_t>(sqlite3_column_bytes(select.get(), 0));
  return std::optional<std::string>(std::string(text, size));
}

Status SqliteDestination::BeginStream(const TableSpec& table) {
  SEGSYNC_RETURN_NOT_OK(CheckStreamCanBegin(stream_, table));
  SEGSYNC_RETURN_NOT_OK(PrepareForWriting());
  // IMMEDIATE takes the write lock now, so a competing writer is reported here, not mid-stream.
  SEGSYNC_RETURN_NOT_OK(
      Execute("BEGIN IMMEDIATE", "starting the transaction for table " + Quoted(table.name)));
  stream_ = table;
  Status status = EnsureTable(table);
  if (status.ok()) {
    status = PrepareUpsert();
  }
  if (!status.ok()) {
    AbortStream();
  }
  return status;
}

Status SqliteDestination::EnsureTable(const TableSpec& table) {
  const std::string quoted = QuoteIdentifier(table.name);
  std::string create = CreateTableSql(kSqliteDialect, quoted, table, /*if_not_exists=*/true);
  if (table.small_rows) {
    // One B-tree ordered by the key instead of a rowid table plus a key index: about twice
    // as fast to fill and 40% smaller. Only a table created now gets it; an existing one is
    // used as it is.
    create += " WITHOUT ROWID";
  }
  SEGSYNC_RETURN_NOT_OK(Execute(create, "creating table " + Quoted(table.name)));

  // The table may predate this schema: read what it has and add what is missing.
  const std::string what = "reading the columns of table " + Quoted(table.name);
  SEGSYNC_ASSIGN_OR_RETURN(StatementPtr info,
                           Prepare("SELECT name FROM pragma_table_info(?1)", what));
  sqlite3_bind_text64(info.get(), 1, table.name.data(), table.name.size(), SQLITE_STATIC,
                      SQLITE_UTF8);
  std::vector<std::string> existing;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(info.get())) == SQLITE_ROW) {
    existing.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 0)),
                          static_cast<size_t>(sqlite3_column_bytes(info.get(), 0)));
  }
  if (rc != SQLITE_DONE) {
    return Error(what);
  }
  for (const auto& [name, type] : MissingColumns(kSqliteDialect, table, existing)) {
    SEGSYNC_RETURN_NOT_OK(AddColumn(name, type));
    existing.push_back(name);
  }
  return columns_.Reset(table, existing, "SQLite database " + path_, Quoted(table.name)).status();
}

Status SqliteDestination::AddColumn(std::string_view name, std::string_view declared_type) {
  return Execute(AddColumnSql(QuoteIdentifier(stream_->name), name, declared_type),
                 "adding column " + Quoted(name) + " to table " + Quoted(stream_->name));
}

Status SqliteDestination::PrepareUpsert() {
  const size_t key_count = stream_->primary_key.size();
  const UpsertSql upsert = BuildUpsert(columns_.names(), key_count, stream_->track_deletions);
  std::string placeholders;
  for (size_t i = 0; i <= columns_.size(); ++i) {
    placeholders += (i == 0 ? "?" : ", ?") + std::to_string(i + 1);
  }
  const std::string sql = "INSERT INTO " + QuoteIdentifier(stream_->name) + " (" + upsert.columns +
                          ") VALUES (" + placeholders + ")" + upsert.on_conflict;

  upsert_.reset();
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    return Error("preparing the upsert into table " + Quoted(stream_->name));
  }
  upsert_.reset(statement);
  key_present_.assign(key_count, false);
  return Status::Ok();
}

Status SqliteDestination::Write(const std::vector<Record>& records, std::string_view extracted_at) {
  if (!stream_) {
    return Status::Internal("records were written to SQLite with no stream open");
  }
  for (const Record& record : records) {
    SEGSYNC_RETURN_NOT_OK(WriteOne(record, extracted_at));
  }
  return Status::Ok();
}

Status SqliteDestination::ResolveColumns(const Record& record) {
  SEGSYNC_ASSIGN_OR_RETURN(const bool complete, columns_.MapFields(record, stream_->name));
  if (complete) {
    return Status::Ok();
  }
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const auto& [name, value] = record.fields[i];
    if (columns_.slot(i) >= 0 || columns_.Contains(name)) {
      continue;
    }
    SEGSYNC_RETURN_NOT_OK(AddColumn(name, kSqliteDialect.TypeOf(ColumnTypeOfValue(value))));
    columns_.Add(name);
  }
  SEGSYNC_RETURN_NOT_OK(columns_.MapFields(record, stream_->name).status());
  return PrepareUpsert();
}

Status SqliteDestination::WriteOne(const Record& record, std::string_view extracted_at) {
  SEGSYNC_RETURN_NOT_OK(ResolveColumns(record));
  sqlite3_stmt* statement = upsert_.get();
  std::fill(key_present_.begin(), key_present_.end(), false);
  const size_t key_count = key_present_.size();
  // Bindings are SQLITE_STATIC: the record and extracted_at outlive the step below.
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const Value& value = record.fields[i].second;
    const int slot = columns_.slot(i);
    const int index = slot + 1;
    switch (value.kind) {
      case Value::Kind::kNull:
        sqlite3_bind_null(statement, index);
        break;
      case Value::Kind::kBool:
        sqlite3_bind_int(statement, index, value.boolean ? 1 : 0);
        break;
      case Value::Kind::kInt:
        sqlite3_bind_int64(statement, index, value.integer);
        break;
      case Value::Kind::kDouble:
        sqlite3_bind_double(statement, index, value.number);
        break;
      case Value::Kind::kString:
      case Value::Kind::kJson:
        sqlite3_bind_text64(statement, index, value.text.data(), value.text.size(), SQLITE_STATIC,
                            SQLITE_UTF8);
        break;
    }
    if (static_cast<size_t>(slot) < key_count) {
      key_present_[static_cast<size_t>(slot)] = !value.is_null();
    }
  }
  for (size_t k = 0; k < key_count; ++k) {
    if (!key_present_[k]) {
      sqlite3_clear_bindings(statement);
      return MissingKeyError(stream_->name, columns_.name(k));
    }
  }
  sqlite3_bind_text64(statement, static_cast<int>(columns_.size() + 1), extracted_at.data(),
                      extracted_at.size(), SQLITE_STATIC, SQLITE_UTF8);
  const int rc = sqlite3_step(statement);
  Status status = rc == SQLITE_DONE ? Status::Ok()
                                    : Error("writing a record to table " + Quoted(stream_->name));
  sqlite3_reset(statement);
  // Unbound parameters are NULL, so a field absent from the next record is stored as NULL.
  sqlite3_clear_bindings(statement);
  return status;
}

Result<int64_t> SqliteDestination::CommitStream(const StreamCommit& commit) {
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

Result<int64_t> SqliteDestination::FinishStream(const StreamCommit& commit) {
  const std::string now =
      commit.now.empty() ? FormatRfc3339Millis(SystemClock::Instance().Now()) : commit.now;
  const std::string table = Quoted(stream_->name);
  int64_t marked = 0;
  if (commit.mark_deleted_before) {
    if (!stream_->track_deletions) {
      return Status::Internal("deletions were to be marked in table " + table +
                              ", which does not track deletions");
    }
    const std::string what = "marking deleted rows in table " + table;
    SEGSYNC_ASSIGN_OR_RETURN(
        StatementPtr mark,
        Prepare(MarkDeletedSql(QuoteIdentifier(stream_->name), "?1", "?2"), what));
    sqlite3_bind_text64(mark.get(), 1, now.data(), now.size(), SQLITE_STATIC, SQLITE_UTF8);
    const std::string& before = *commit.mark_deleted_before;
    sqlite3_bind_text64(mark.get(), 2, before.data(), before.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (sqlite3_step(mark.get()) != SQLITE_DONE) {
      return Error(what);
    }
    marked = sqlite3_changes64(db_.get());
    // A complete read: the history follows the table in the same transaction.
    SEGSYNC_RETURN_NOT_OK(UpdateHistory(now));
  }
  if (commit.state) {
    const std::string what = "saving the state of stream " + stream_->name;
    SEGSYNC_ASSIGN_OR_RETURN(StatementPtr save,
                             Prepare(SaveStateSql("_segsync_state", "?1", "?2", "?3"), what));
    const std::string& state = *commit.state;
    sqlite3_bind_text64(save.get(), 1, stream_->name.data(), stream_->name.size(), SQLITE_STATIC,
                        SQLITE_UTF8);
    sqlite3_bind_text64(save.get(), 2, state.data(), state.size(), SQLITE_STATIC, SQLITE_UTF8);
    sqlite3_bind_text64(save.get(), 3, now.data(), now.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (sqlite3_step(save.get()) != SQLITE_DONE) {
      return Error(what);
    }
  }
  SEGSYNC_RETURN_NOT_OK(Execute("COMMIT", "committing table " + table));
  CloseStream();
  return marked;
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteDestination::TableColumns(
    const std::string& table) {
  const std::string what = "reading the columns of table " + Quoted(table);
  SEGSYNC_ASSIGN_OR_RETURN(StatementPtr info,
                           Prepare("SELECT name, type FROM pragma_table_info(?1)", what));
  sqlite3_bind_text64(info.get(), 1, table.data(), table.size(), SQLITE_STATIC, SQLITE_UTF8);
  std::vector<std::pair<std::string, std::string>> columns;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(info.get())) == SQLITE_ROW) {
    const auto text = [&info](int i) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), i)),
                         static_cast<size_t>(sqlite3_column_bytes(info.get(), i)));
    };
    columns.emplace_back(text(0), text(1));
  }
  if (rc != SQLITE_DONE) {
    return Error(what);
  }
  return columns;
}

Status SqliteDestination::UpdateHistory(const std::string& now) {
  const auto began = std::chrono::steady_clock::now();
  const std::string history = HistoryTableName(stream_->name);
  SEGSYNC_ASSIGN_OR_RETURN(const auto table_columns, TableColumns(stream_->name));
  SEGSYNC_ASSIGN_OR_RETURN(const auto history_columns, TableColumns(history));
  const std::vector<HistoryColumn> columns =
      HistoryColumnsOf(*stream_, columns_.names(), table_columns);
  const std::string quoted = QuoteIdentifier(history);
  if (history_columns.empty()) {
    SEGSYNC_RETURN_NOT_OK(Execute(CreateHistoryTableSql(quoted, columns, "TEXT"),
                                  "creating table " + Quoted(history)));
    SEGSYNC_RETURN_NOT_OK(Execute(
        CreateOpenVersionIndexSql(history + "_open", quoted, columns, stream_->primary_key.size()),
        "indexing table " + Quoted(history)));
  } else {
    for (const HistoryColumn& column : columns) {
      const bool present = std::any_of(history_columns.begin(), history_columns.end(),
                                       [&column](const auto& c) { return c.first == column.name; });
      if (!present) {
        SEGSYNC_RETURN_NOT_OK(
            Execute(AddColumnSql(quoted, column.name, column.type),
                    "adding column " + Quoted(column.name) + " to table " + Quoted(history)));
      }
    }
  }
  const HistorySql sql = BuildHistorySql(
      {QuoteIdentifier(stream_->name), quoted, quoted, "?1", kSqliteJsonSameFunction}, columns,
      stream_->primary_key.size());
  std::array<int64_t, 2> counts{};
  size_t step = 0;
  for (const std::string* statement : {&sql.close_changed, &sql.open_new}) {
    const std::string what = "writing the history of table " + Quoted(stream_->name);
    SEGSYNC_ASSIGN_OR_RETURN(StatementPtr prepared, Prepare(*statement, what));
    sqlite3_bind_text64(prepared.get(), 1, now.data(), now.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (sqlite3_step(prepared.get()) != SQLITE_DONE) {
      return Error(what);
    }
    counts[step++] = sqlite3_changes64(db_.get());
  }
  LogHistory(stream_->name, counts[0], counts[1], began);
  last_history_ = HistoryCounts{counts[0], counts[1]};
  return Status::Ok();
}

void SqliteDestination::AbortStream() {
  upsert_.reset();
  // SQLite rolls back by itself after some errors (a full disk, for one); then there is nothing
  // left to roll back.
  if (db_ && sqlite3_get_autocommit(db_.get()) == 0) {
    const Status status = Execute("ROLLBACK", "rolling back");
    if (!status.ok()) {
      LogWarn(status.message());
    }
  }
  CloseStream();
}

void SqliteDestination::CloseStream() {
  upsert_.reset();
  stream_.reset();
  columns_.Clear();
  key_present_.clear();
}

Status SqliteDestination::RecordRun(const RunRecord& run) {
  if (stream_) {
    return Status::Internal("a run was recorded while stream " + stream_->name + " is open");
  }
  SEGSYNC_RETURN_NOT_OK(PrepareForWriting());
  const std::string what = "recording the run in table _segsync_runs";
  SEGSYNC_ASSIGN_OR_RETURN(
      StatementPtr insert,
      Prepare("INSERT INTO _segsync_runs (started_at, ended_at, status, streams) "
              "VALUES (?1, ?2, ?3, ?4)",
              what));
  int index = 0;
  for (const std::string* text : {&run.started_at, &run.ended_at, &run.status, &run.streams_json}) {
    sqlite3_bind_text64(insert.get(), ++index, text->data(), text->size(), SQLITE_STATIC,
                        SQLITE_UTF8);
  }
  // Outside a stream the connection is in autocommit mode: this insert is its own transaction.
  if (sqlite3_step(insert.get()) != SQLITE_DONE) {
    return Error(what);
  }
  last_run_id_ = sqlite3_last_insert_rowid(db_.get());  // run_id is the rowid
  return Status::Ok();
}

Status SqliteDestination::Verify() {
  const std::filesystem::path file(path_);
  const std::filesystem::path directory = file.parent_path();
  auto fail = [&](const std::string& problem) {
    return Status::Io("SQLite database " + path_ + ": " + problem);
  };
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return fail("the directory " + directory.string() +
                " does not exist; create it, or choose another path");
  }
  const auto status = std::filesystem::status(file, error);
  if (!std::filesystem::exists(status)) {
    if (access(directory.c_str(), W_OK | X_OK) != 0) {
      return fail("the directory " + directory.string() +
                  " is not writable by this user; choose another path");
    }
    return Status::Ok();
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail("this is not a file; choose another path");
  }
  if (std::filesystem::file_size(file, error) > 0 && !SqliteApplicationId(path_)) {
    return fail("the file is not an SQLite database; choose another path");
  }
  // WAL mode writes -wal and -shm files beside the database.
  if (access(file.c_str(), W_OK) != 0 || access(directory.c_str(), W_OK | X_OK) != 0) {
    return fail("the file or its directory is not writable by this user; " +
                std::string(Hint(SQLITE_READONLY)));
  }
  return Status::Ok();
}

std::optional<uint32_t> SqliteApplicationId(const std::string& path) {
  // https://www.sqlite.org/fileformat.html#the_database_header
  constexpr std::string_view kMagic("SQLite format 3\0", 16);
  std::array<char, 72> header{};
  std::ifstream in(path, std::ios::binary);
  if (!in.read(header.data(), header.size()) ||
      std::string_view(header.data(), kMagic.size()) != kMagic) {
    return std::nullopt;
  }
  uint32_t id = 0;
  for (size_t i = 68; i < 72; ++i) {
    id = (id << 8) | static_cast<unsigned char>(header[i]);
  }
  return id;
}

Status CreateStampedSqliteFile(const std::string& path, uint32_t application_id) {
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::symlink_status(path, error))) {
    return Status::Io(path + " already exists");
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  const std::string sql = "PRAGMA application_id=" + std::to_string(application_id);
  if (rc != SQLITE_OK ||
      sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    const int code = sqlite3_errcode(db.get());
    return Status::Io("SQLite database " + path + ": creating the file failed: " +
                      sqlite3_errmsg(db.get()) + "; " + std::string(Hint(code)));
  }
  return Status::Ok();
}

}  // namespace segsync
