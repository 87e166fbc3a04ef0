// SPDX-License-Identifier: Apache-2.0
// One libpq session (see pg_connection.h).
#include "dest/pg_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "core/cancel.h"
#include "core/log.h"

namespace segsync {
namespace {

// COPY data goes to libpq in pieces this big (its length argument is an int).
constexpr size_t kCopyChunkBytes = size_t{1} << 20;
// How long past its own timeout the server has to report a cancelled statement before it is
// taken for stopped, and how long a statement sent after a stop signal may take (the rollback,
// the run record): a stop must end the run within seconds.
constexpr std::chrono::seconds kNoAnswerGrace{5};
constexpr std::chrono::seconds kStopGrace{3};
// The longest single sleep in a wait, so a stop signal is seen promptly.
constexpr std::chrono::milliseconds kPollSlice{100};
// SQLSTATE lock_not_available: lock_timeout ran out.
constexpr std::string_view kLockNotAvailable = "55P03";

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
  if (sqlstate == kLockNotAvailable) {
    return "another session holds a lock on the table; let it finish (or end it) and run again; "
           "destination_timeout_s sets how long segsync waits for a lock";
  }
  if (sqlstate == "53300") {
    return "the server has too many connections; run again later";
  }
  if (sqlstate.starts_with("53")) {
    return "the server is out of disk space or memory; free some and run again";
  }
  if (sqlstate == "57014") {
    return "the statement was cancelled, by destination_timeout_s or by the server's "
           "administrator; raise destination_timeout_s if the server is merely slow, and run again";
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
  // TCP keepalives notice a server host that vanished (libpq's default leaves that to the
  // kernel's two hours); they apply only over TCP.
  const char* const keywords[] = {
      "connect_timeout", "fallback_application_name", "keepalives",
      "keepalives_idle", "keepalives_interval",       "keepalives_count",
      "dbname",          "client_encoding",           nullptr};
  const char* const values[] = {"10", "segsync",         "1",    "30",   "10",
                                "3",  conninfo_.c_str(), "UTF8", nullptr};
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
  // Every later wait is a poll with a deadline (WaitFor), never a blocking libpq call.
  if (PQsetnonblocking(conn_.get(), 1) != 0) {
    return Error("connecting", nullptr);
  }
  // The server bounds each statement and each lock wait itself, so a blocked statement ends
  // with PostgreSQL's own message. The statement's limit is a second longer, so that one that
  // waited for a lock all along fails as a lock timeout (then named as such), not as a
  // statement timeout.
  const std::string lock_ms = std::to_string(int64_t{timeout_s_} * 1000);
  const std::string statement_ms = std::to_string(int64_t{timeout_s_} * 1000 + 1000);
  Result<PgResultPtr> set = Execute(
      "SELECT set_config('statement_timeout', $1, false), set_config('lock_timeout', $2, false)",
      "setting statement_timeout and lock_timeout", {statement_ms, lock_ms});
  if (!set.ok()) {
    conn_.reset();
    return set.status();
  }
  return Status::Ok();
}

template <typename Done>
Status PgConnection::WaitFor(std::string_view what, bool want_write, const Done& done) {
  using Clock = std::chrono::steady_clock;
  const bool stopping = CancelRequested();
  auto deadline = Clock::now() +
                  (stopping ? Clock::duration(kStopGrace)
                            : Clock::duration(std::chrono::seconds(timeout_s_) + kNoAnswerGrace));
  bool cancelled = false;
  while (true) {
    pg_conn* conn = conn_.get();
    const int flushed = PQflush(conn);  // 0: all sent, 1: more to send, -1: failed
    if (flushed < 0 || PQconsumeInput(conn) == 0) {
      return Error(what, nullptr);
    }
    if (flushed == 0 && done()) {
      return Status::Ok();
    }
    const auto now = Clock::now();
    if (!stopping && !cancelled && CancelRequested()) {
      SendCancel();
      cancelled = interrupted_ = true;
      deadline = std::min(deadline, now + Clock::duration(kStopGrace));
    }
    if (now >= deadline) {
      // Whatever the server is doing, this session is given up; its transaction goes with it.
      conn_.reset();
      if (stopping || cancelled) {
        return Status(StatusCode::kInterrupted,
                      "PostgreSQL " + display_ + ": " + std::string(what) +
                          " was stopped by a signal; the server did not confirm, so the "
                          "connection was closed and its transaction discarded");
      }
      return Status::Io("PostgreSQL " + display_ + ": " + std::string(what) +
                        " got no answer within " +
                        std::to_string(timeout_s_ + kNoAnswerGrace.count()) +
                        " s; the server may be stopped, overloaded or unreachable. Check it and "
                        "run again (destination_timeout_s sets how long segsync waits)");
    }
    pollfd fd{};
    fd.fd = PQsocket(conn);
    fd.events = POLLIN;
    if (flushed == 1 || want_write) {
      fd.events |= POLLOUT;
    }
    const auto slice = std::min<Clock::duration>(deadline - now, kPollSlice);
    poll(
        &fd, 1,
        static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(slice).count()) + 1);
  }
}

void PgConnection::SendCancel() {
  pg_cancel* cancel = PQgetCancel(conn_.get());
  if (cancel == nullptr) {
    return;
  }
  // PQcancel connects to the server and waits for it to hang up, without a timeout: a stopped
  // server would hold the stop forever. It runs on its own, and is forgotten if it never ends.
  std::thread([cancel] {
    char error[256];
    PQcancel(cancel, error, sizeof(error));
    PQfreeCancel(cancel);
  }).detach();
}

Result<PgResultPtr> PgConnection::Await(std::string_view what) {
  PgResultPtr failed;
  PgResultPtr last;
  while (true) {
    SEGSYNC_RETURN_NOT_OK(WaitFor(what, false, [&] { return PQisBusy(conn_.get()) == 0; }));
    PgResultPtr result(PQgetResult(conn_.get()));
    if (result == nullptr) {
      break;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) {
      return result;  // the caller carries the COPY on
    }
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      if (failed == nullptr) {
        failed = std::move(result);
      }
    } else {
      last = std::move(result);
    }
  }
  return failed != nullptr ? std::move(failed) : std::move(last);
}

Status PgConnection::AwaitFlush(std::string_view what) {
  return WaitFor(what, true, [] { return true; });
}

std::string PgConnection::DescribeLockHolder() {
  // A second, short session: the first one's transaction is aborted by the failed statement.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  "options", nullptr};
  const char* const values[] = {"5", "segsync", conninfo_.c_str(), "-c statement_timeout=5000",
                                nullptr};
  std::unique_ptr<pg_conn, Closer> probe(PQconnectdbParams(keywords, values, 1));
  if (probe == nullptr || PQstatus(probe.get()) != CONNECTION_OK) {
    return "";
  }
  const std::string self = std::to_string(PQbackendPID(conn_.get()));
  const char* params[] = {self.c_str()};
  PgResultPtr found(PQexecParams(
      probe.get(),
      "SELECT l.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), "
      "coalesce(a.state, ''), l.relation::regclass::text, l.mode, "
      "left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 120) "
      "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.granted AND l.locktype = 'relation' AND l.pid <> $1::int "
      "AND l.pid <> pg_backend_pid() AND l.mode <> 'AccessShareLock' "
      "AND l.mode <> 'RowShareLock' AND l.mode <> 'RowExclusiveLock' "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "ORDER BY l.mode = 'AccessExclusiveLock' DESC, a.xact_start LIMIT 1",
      1, nullptr, params, nullptr, nullptr, 0));
  if (PQresultStatus(found.get()) != PGRES_TUPLES_OK || PQntuples(found.get()) == 0) {
    return "";
  }
  const auto at = [&](int column) { return std::string(PQgetvalue(found.get(), 0, column)); };
  return "table " + at(4) + " is locked (" + at(5) + ") by server process " + at(0) + " (user " +
         at(1) + ", application '" + at(2) + "', " + at(3) + ", last statement: " + at(6) + ")";
}

Status PgConnection::Failed(std::string_view what, const pg_result* result) {
  if (interrupted_) {
    return Status(StatusCode::kInterrupted, "PostgreSQL " + display_ + ": " + std::string(what) +
                                                " was cancelled by a stop signal");
  }
  Status status = Error(what, result);
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (sqlstate != nullptr && sqlstate == kLockNotAvailable) {
    // PostgreSQL names no holder in a lock timeout; pg_locks does.
    if (std::string holder = DescribeLockHolder(); !holder.empty()) {
      return Status::Io(status.message() + " (" + holder + ")");
    }
  }
  return status;
}

Result<PgResultPtr> PgConnection::Execute(const std::string& sql, std::string_view what,
                                          const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) {
    values.push_back(param ? param->c_str() : nullptr);
  }
  interrupted_ = false;
  if (PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                        values.data(), nullptr, nullptr, 0) == 0) {
    return Failed(what, nullptr);
  }
  SEGSYNC_ASSIGN_OR_RETURN(PgResultPtr result, Await(what));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Failed(what, result.get());
  }
  return result;
}

Status PgConnection::CopyIn(const std::string& copy_sql, std::string_view data,
                            std::string_view what) {
  interrupted_ = false;
  if (PQsendQuery(conn_.get(), copy_sql.c_str()) == 0) {
    return Failed(what, nullptr);
  }
  SEGSYNC_ASSIGN_OR_RETURN(PgResultPtr started, Await(what));
  if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
    return Failed(what, started.get());
  }
  bool sent = true;
  for (size_t offset = 0; offset < data.size() && sent;) {
    const size_t size = std::min(kCopyChunkBytes, data.size() - offset);
    const int queued = PQputCopyData(conn_.get(), data.data() + offset, static_cast<int>(size));
    if (queued == 1) {
      offset += size;
    } else if (queued == 0) {
      SEGSYNC_RETURN_NOT_OK(AwaitFlush(what));  // libpq's buffer is full: wait till it drains
    } else {
      sent = false;
    }
  }
  while (true) {
    const int ended = PQputCopyEnd(conn_.get(), sent ? nullptr : "segsync could not send the data");
    if (ended == 0) {
      SEGSYNC_RETURN_NOT_OK(AwaitFlush(what));
      continue;
    }
    sent = sent && ended == 1;
    break;
  }
  // The COPY's own result, then nothing: reading to the end leaves the connection ready.
  SEGSYNC_ASSIGN_OR_RETURN(PgResultPtr result, Await(what));
  if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
    return Failed(what, result.get());
  }
  if (!sent) {
    return Failed(what, nullptr);
  }
  return Status::Ok();
}

}  // namespace segsync
