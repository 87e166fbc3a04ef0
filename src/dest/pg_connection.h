// SPDX-License-Identifier: Apache-2.0
// One libpq session: connect, statements, COPY IN, and errors that say what to do.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

// Forward declarations keep libpq-fe.h inside the .cc files.
struct pg_conn;
struct pg_result;

namespace segsync {

struct PgResultClearer {
  void operator()(pg_result* result) const;
};
using PgResultPtr = std::unique_ptr<pg_result, PgResultClearer>;

class PgConnection {
 public:
  /// `conninfo` as libpq takes it; `display` (the URI with its password masked) names the server
  /// in every message. Nothing is contacted until Connect.
  PgConnection(std::string conninfo, std::string display);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  /// Bound every statement to `seconds`, lock waits included: the server cancels it then
  /// (statement_timeout, lock_timeout), and a server that has not answered a few seconds later
  /// is given up (the connection is dropped). Takes effect at the next Connect.
  void SetTimeout(int seconds) { timeout_s_ = seconds; }

  /// Open the session if it is not open; one that was lost is opened again, but a first
  /// connection that failed is not retried: its failure is returned again at once.
  Status Connect();
  /// Whether the session is open and usable.
  bool Usable() const;
  /// Whether the session is usable and inside a transaction block.
  bool InTransaction() const;
  /// Run `sql` (with text parameters, nullopt for NULL) and return its result if it succeeded.
  Result<PgResultPtr> Execute(const std::string& sql, std::string_view what,
                              const std::vector<std::optional<std::string>>& params = {});
  /// Run `copy_sql` (a COPY ... FROM STDIN) and send `data`, in COPY text format.
  Status CopyIn(const std::string& copy_sql, std::string_view data, std::string_view what);
  /// A kIo Status naming the server, the failed step, PostgreSQL's message on one line, and
  /// what the user can do.
  Status Error(std::string_view what, const pg_result* result) const;

 private:
  struct Closer {
    void operator()(pg_conn* conn) const;
  };

  /// Wait, bounded and interruptible, until everything queued is sent (`copy_data` false) or
  /// the result is ready, then return the statement's results (the first failed one, or the
  /// last). A stop signal cancels the running statement (PQcancel); a statement sent after the
  /// stop (the rollback, the run record) gets a few seconds instead.
  Result<PgResultPtr> Await(std::string_view what);
  /// Wait until libpq's output buffer is sent (for COPY data in non-blocking mode).
  Status AwaitFlush(std::string_view what);
  /// The poll loop shared by both: `done` says when to stop waiting.
  template <typename Done>
  Status WaitFor(std::string_view what, bool want_write, const Done& done);
  /// Ask the server to cancel the running statement, without ever blocking this thread.
  void SendCancel();
  /// Error(), or kInterrupted when a stop signal cancelled the statement; a lock timeout names
  /// the lock's holder.
  Status Failed(std::string_view what, const pg_result* result);
  /// The session that holds a lock on a table, from pg_locks (best effort, for messages).
  std::string DescribeLockHolder();

  std::string conninfo_;
  std::string display_;
  std::unique_ptr<pg_conn, Closer> conn_;
  bool ever_connected_ = false;
  int timeout_s_ = 300;
  // Set by WaitFor when a stop signal ended the wait; the statement's error is then kInterrupted.
  bool interrupted_ = false;
  std::optional<Status> connect_failure_;
};

}  // namespace segsync
