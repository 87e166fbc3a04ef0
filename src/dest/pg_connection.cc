// SPDX-License-Identifier: Apache-2.0
// One libpq session (see pg_connection.h).
#include "dest/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>
#include <utility>

#include "core/log.h"

namespace segsync {
namespace {

// COPY data goes to libpq in pieces this big (its length argument is an int).
constexpr size_t kCopyChunkBytes = size_t{1} << 20;

/// libpq and server messages span lines ("...failed: ...\n\tIs the server running...?"): one
/// line, parts joined by "; ", runs of spaces collapsed.
std::string OneLine(std::string_view text) {
  std::string out;
  bool pending_break = false;
  bool pending_space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      pending_break = !out.empty();
      pending_space = false;
      continue;
    }
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_break) {
      out += "; ";
    } else if (pending_space) {
      out.push_back(' ');
    }
    pending_break = pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// What the user can do about a failed connection, from libpq's message (there is no SQLSTATE
/// before a session exists).
std::string_view ConnectHint(std::string_view message) {
  if (Contains(message, "password authentication failed") ||
      Contains(message, "no password supplied") || Contains(message, "authentication failed")) {
    return "check the user name and password in the URI (or PGPASSWORD, ~/.pgpass)";
  }
  if (Contains(message, "database \"") && Contains(message, "does not exist")) {
    return "create the database first (createdb NAME) or fix the database name in the URI";
  }
  if (Contains(message, "role \"") && Contains(message, "does not exist")) {
    return "check the user name in the URI";
  }
  if (Contains(message, "permission denied for database")) {
    return "grant this role CONNECT on the database";
  }
  return "check that the server is running and that the host, port or socket directory in the "
         "URI are right";
}

/// What the user can do about a failed statement with this SQLSTATE.
std::string_view StatementHint(std::string_view sqlstate, bool connection_lost) {
  if (connection_lost || sqlstate.starts_with("08")) {
    return "the connection to the server was lost; check the server and run again";
  }
  if (sqlstate == "42501") {
    return "grant this role what segsync needs: CREATE on the database (to create the schema) or "
           "USAGE and CREATE on the schema, TEMPORARY on the database, and ownership of the "
           "tables it writes; or choose another schema with ?schema=NAME";
  }
  if (sqlstate == "53300") {
    return "the server has too many connections; run again later";
  }
  if (sqlstate.starts_with("53")) {
    return "the server is out of disk space or memory; free some and run again";
  }
  if (sqlstate.starts_with("57") || sqlstate.starts_with("40")) {
    return "the server stopped the statement; run again";
  }
  if (sqlstate.starts_with("42") || sqlstate.starts_with("23")) {
    return "if the table was changed by hand, drop it and sync again to rebuild it";
  }
  return "run again; if it fails the same way, report this message";
}

}  // namespace

void PgResultClearer::operator()(pg_result* result) const { PQclear(result); }

void PgConnection::Closer::operator()(pg_conn* conn) const { PQfinish(conn); }

PgConnection::PgConnection(std::string conninfo, std::string display)
    : conninfo_(std::move(conninfo)), display_(std::move(display)) {}

PgConnection::~PgConnection() = default;

bool PgConnection::Usable() const {
  return conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK;
}

bool PgConnection::InTransaction() const {
  return Usable() && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
}

Status PgConnection::Error(std::string_view what, const pg_result* result) const {
  std::string message = "PostgreSQL " + display_ + ": " + std::string(what) + " failed: ";
  const char* primary =
      result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (primary != nullptr) {
    message += OneLine(primary);
  } else {
    message += OneLine(PQerrorMessage(conn_.get()));
  }
  const bool lost = conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK;
  message += "; ";
  message += StatementHint(sqlstate == nullptr ? "" : sqlstate, lost);
  return Status::Io(std::move(message));
}

Status PgConnection::Connect() {
  if (conn_ != nullptr) {
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      return Status::Ok();
    }
    // The server went away after an earlier success: start a new session.
    conn_.reset();
  }
  if (connect_failure_) {
    // Every stream would wait for the same refusal or timeout again; say it once per stream
    // without trying again.
    return *connect_failure_;
  }
  // Entries before dbname are defaults the URI may override; client_encoding comes after it,
  // because everything segsync sends is UTF-8.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  "client_encoding", nullptr};
  const char* const values[] = {"10", "segsync", conninfo_.c_str(), "UTF8", nullptr};
  conn_.reset(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn_ == nullptr) {
    return Status::Io("PostgreSQL " + display_ +
                      ": connecting failed: libpq could not allocate a connection");
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    // libpq's own advice line ("Is the server running ...?") is what the hint says already.
    std::string reason = OneLine(PQerrorMessage(conn_.get()));
    if (const size_t advice = reason.find("; Is the server running"); advice != std::string::npos) {
      reason.resize(advice);
    }
    Status status = Status::Io("PostgreSQL " + display_ + ": connecting failed: " + reason + "; " +
                               std::string(ConnectHint(reason)));
    conn_.reset();
    if (!ever_connected_) {
      connect_failure_ = status;
    }
    return status;
  }
  ever_connected_ = true;
  // Notices ("relation already exists, skipping") would go to stderr; they belong in debug logs.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char* message) { LogDebug("PostgreSQL: " + OneLine(message)); },
      nullptr);
  return Status::Ok();
}

Result<PgResultPtr> PgConnection::Execute(const std::string& sql, std::string_view what,
                                          const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) {
    values.push_back(param ? param->c_str() : nullptr);
  }
  PgResultPtr result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                  nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Error(what, result.get());
  }
  return result;
}

Status PgConnection::CopyIn(const std::string& copy_sql, std::string_view data,
                            std::string_view what) {
  PgResultPtr started(PQexec(conn_.get(), copy_sql.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
    return Error(what, started.get());
  }
  bool sent = true;
  for (size_t offset = 0; offset < data.size() && sent; offset += kCopyChunkBytes) {
    const size_t size = std::min(kCopyChunkBytes, data.size() - offset);
    sent = PQputCopyData(conn_.get(), data.data() + offset, static_cast<int>(size)) == 1;
  }
  if (PQputCopyEnd(conn_.get(), sent ? nullptr : "segsync could not send the data") != 1) {
    sent = false;
  }
  // The COPY's own result, then nothing: reading to the end leaves the connection ready.
  Status status = Status::Ok();
  while (PgResultPtr result{PQgetResult(conn_.get())}) {
    if (status.ok() && PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      status = Error(what, result.get());
    }
  }
  if (status.ok() && !sent) {
    status = Error(what, nullptr);
  }
  return status;
}

}  // namespace segsync
