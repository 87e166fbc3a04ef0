// SPDX-License-Identifier: Apache-2.0
// The SQLite and PostgreSQL readers behind `segsync changes`.
#include "dest/history_reader.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <filesystem>

#include "core/log.h"
#include "dest/destination.h"
#include "dest/pg_connection.h"
#include "dest/pg_uri.h"
#include "dest/sql_common.h"

namespace segsync {
namespace {

class SqliteReader final : public HistoryReader {
 public:
  static Result<std::unique_ptr<HistoryReader>> Open(std::string path) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
      return Status::Io("SQLite database " + path +
                        " does not exist; run `segsync sync` into it first, or point "
                        "--destination at the database a sync wrote");
    }
    auto reader = std::unique_ptr<SqliteReader>(new SqliteReader(std::move(path)));
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(reader->path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    reader->db_.reset(db);
    if (rc != SQLITE_OK) {
      return reader->Error("opening the database");
    }
    sqlite3_busy_timeout(db, 10'000);
    return std::unique_ptr<HistoryReader>(std::move(reader));
  }

  Result<std::vector<std::pair<std::string, std::string>>> Columns(
      std::string_view table) override {
    SEGSYNC_ASSIGN_OR_RETURN(
        std::vector<TextRow> rows,
        Select("SELECT name, type FROM pragma_table_info(" + QuoteLiteral(table) + ")"));
    std::vector<std::pair<std::string, std::string>> columns;
    columns.reserve(rows.size());
    for (TextRow& row : rows) {
      columns.emplace_back(row[0].value_or(""), row[1].value_or(""));
    }
    return columns;
  }

  Result<std::vector<TextRow>> Select(const std::string& sql) override {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
      return Error("reading");
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw, sqlite3_finalize);
    std::vector<TextRow> rows;
    const int count = sqlite3_column_count(raw);
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
      TextRow row;
      row.reserve(static_cast<size_t>(count));
      for (int i = 0; i < count; ++i) {
        if (sqlite3_column_type(raw, i) == SQLITE_NULL) {
          row.emplace_back();
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, i));
          row.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(raw, i))));
        }
      }
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) {
      return Error("reading");
    }
    return rows;
  }

  std::string Qualify(std::string_view table) const override { return QuoteIdentifier(table); }
  std::string Timestamp(std::string_view quoted_column) const override {
    return std::string(quoted_column);
  }
  std::string Text(std::string_view quoted_column, std::string_view /*type*/) const override {
    return std::string(quoted_column);
  }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };

  explicit SqliteReader(std::string path) : path_(std::move(path)) {}

  static std::string QuoteLiteral(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
      quoted += c == '\'' ? std::string("''") : std::string(1, c);
    }
    return quoted + "'";
  }

  Status Error(std::string_view what) const {
    return Status::Io("SQLite database " + path_ + ": " + std::string(what) +
                      " failed: " + (db_ ? sqlite3_errmsg(db_.get()) : "out of memory") +
                      "; check that the path names a database written by segsync sync");
  }

  std::string path_;
  std::unique_ptr<sqlite3, Closer> db_;
};

class PostgresReader final : public HistoryReader {
 public:
  explicit PostgresReader(PostgresTarget target)
      : target_(std::move(target)),
        connection_(target_.conninfo, target_.display),
        quoted_schema_(QuoteIdentifier(target_.schema)) {}

  Status Connect() { return connection_.Connect(); }

  Result<std::vector<std::pair<std::string, std::string>>> Columns(
      std::string_view table) override {
    SEGSYNC_ASSIGN_OR_RETURN(
        PgResultPtr result,
        connection_.Execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = "
            "to_regclass($1)::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            "reading the columns of table " + Qualify(table), {Qualify(table)}));
    std::vector<std::pair<std::string, std::string>> columns;
    columns.reserve(static_cast<size_t>(PQntuples(result.get())));
    for (int row = 0; row < PQntuples(result.get()); ++row) {
      columns.emplace_back(PQgetvalue(result.get(), row, 0), PQgetvalue(result.get(), row, 1));
    }
    return columns;
  }

  Result<std::vector<TextRow>> Select(const std::string& sql) override {
    SEGSYNC_ASSIGN_OR_RETURN(PgResultPtr result, connection_.Execute(sql, "reading"));
    std::vector<TextRow> rows;
    const int fields = PQnfields(result.get());
    for (int r = 0; r < PQntuples(result.get()); ++r) {
      TextRow row;
      for (int f = 0; f < fields; ++f) {
        if (PQgetisnull(result.get(), r, f) != 0) {
          row.emplace_back();
        } else {
          row.emplace_back(std::string(PQgetvalue(result.get(), r, f),
                                       static_cast<size_t>(PQgetlength(result.get(), r, f))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  std::string Qualify(std::string_view table) const override {
    return quoted_schema_ + "." + QuoteIdentifier(table);
  }
  std::string Timestamp(std::string_view quoted_column) const override {
    return "to_char(" + std::string(quoted_column) +
           " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
  }
  std::string Text(std::string_view quoted_column, std::string_view type) const override {
    if (type == "boolean") {
      return "(" + std::string(quoted_column) + ")::int";
    }
    if (type == "timestamp with time zone") {
      return Timestamp(quoted_column);
    }
    return std::string(quoted_column);
  }

 private:
  PostgresTarget target_;
  PgConnection connection_;
  std::string quoted_schema_;
};

}  // namespace

Result<std::unique_ptr<HistoryReader>> HistoryReader::Open(std::string_view uri) {
  if (uri.starts_with("sqlite:")) {
    SEGSYNC_ASSIGN_OR_RETURN(std::string path, SqlitePathOf(uri));  // every form sync accepts
    return SqliteReader::Open(path);
  }
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    SEGSYNC_ASSIGN_OR_RETURN(PostgresTarget target, ParsePostgresUri(uri));
    RegisterSecret(target.password);
    auto reader = std::make_unique<PostgresReader>(std::move(target));
    SEGSYNC_RETURN_NOT_OK(reader->Connect());
    return std::unique_ptr<HistoryReader>(std::move(reader));
  }
  if (!uri.starts_with("jsonl:")) {
    const bool bare_path = uri.find(':') == std::string_view::npos;
    return Status::Config(
        "destination \"" + std::string(uri) + "\" is not a destination; write " +
        (bare_path ? "sqlite:" + std::string(uri) + " for that file" : std::string("sqlite:PATH")) +
        ", or postgresql://...");
  }
  return Status::Config("destination " + std::string(uri) +
                        " keeps no history: only sqlite:PATH and postgresql://... destinations "
                        "do (a jsonl, Singer or Airbyte target keeps its own)");
}

}  // namespace segsync
