// SPDX-License-Identifier: Apache-2.0
// A private PostgreSQL server for the tests of one process, on a Unix socket in a temporary folder.
#pragma once

// `initdb`, then `pg_ctl start` listening only on that socket; stopped and removed when the
// process's tests end. As root (CI), the server runs as the `postgres` system user (created by
// Debian's postgresql package), or `nobody`, because initdb refuses to run as root.
//
// Roles: `segsync` is the superuser (trust); `segsync_pw` logs in with the password kPgPassword.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <postgresql/libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace segsync::testing {

inline constexpr char kPgPassword[] = "pw-7c1e9b-secret";

using PgRow = std::vector<std::optional<std::string>>;

class PgTestServer {
 public:
  /// The process's server, started at first use; gtest stops it after the last test.
  static PgTestServer& Shared() {
    static PgTestServer* server = [] {
      auto* created = new PgTestServer();
      ::testing::AddGlobalTestEnvironment(new StopAtEnd(created));
      return created;
    }();
    if (!server->started_ && server->failure_.empty()) {
      server->failure_ = server->Start();
    }
    return *server;
  }

  /// Empty if the server runs; else why it does not.
  const std::string& failure() const { return failure_; }
  const std::string& socket_dir() const { return dir_; }

  /// A libpq URI for `database` as `user`, with `extra` query parameters ("schema=x&...").
  std::string Uri(const std::string& database = "postgres", const std::string& user = "segsync",
                  const std::string& extra = "") const {
    std::string uri = "postgresql://" + user + "@/" + database + "?host=" + dir_;
    if (!extra.empty()) {
      uri += "&" + extra;
    }
    return uri;
  }

  /// Every row of `sql` as text (nullopt for NULL), run by the superuser on its own connection.
  /// A failing statement fails the test.
  std::vector<PgRow> Query(const std::string& sql, const std::string& database = "postgres") const {
    std::vector<PgRow> rows;
    PGconn* conn = PQconnectdb(Uri(database).c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      ADD_FAILURE() << "connecting to the test server: " << PQerrorMessage(conn);
      PQfinish(conn);
      return rows;
    }
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
    PQclear(PQexec(conn, "SET TimeZone = 'UTC'"));
    PGresult* result = PQexec(conn, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(result);
    }
    for (int r = 0; r < PQntuples(result); ++r) {
      PgRow row;
      for (int c = 0; c < PQnfields(result); ++c) {
        row.push_back(PQgetisnull(result, r, c) != 0
                          ? std::nullopt
                          : std::optional<std::string>(PQgetvalue(result, r, c)));
      }
      rows.push_back(std::move(row));
    }
    PQclear(result);
    PQfinish(conn);
    return rows;
  }

  std::optional<std::string> QueryOne(const std::string& sql,
                                      const std::string& database = "postgres") const {
    const std::vector<PgRow> rows = Query(sql, database);
    EXPECT_EQ(rows.size(), 1u) << sql;
    return rows.empty() || rows[0].empty() ? std::nullopt : rows[0][0];
  }

 private:
  class StopAtEnd : public ::testing::Environment {
   public:
    explicit StopAtEnd(PgTestServer* server) : server_(server) {}
    void TearDown() override { server_->Stop(); }

   private:
    PgTestServer* server_;
  };

  /// The folder holding initdb and pg_ctl: $SEGSYNC_PG_BINDIR, else the newest
  /// /usr/lib/postgresql/N/bin, else whatever PATH finds.
  static std::string BinDir() {
    if (const char* env = std::getenv("SEGSYNC_PG_BINDIR"); env != nullptr && *env != '\0') {
      return std::string(env) + "/";
    }
    std::error_code error;
    int best = -1;
    std::string found;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", error)) {
      const std::string version = entry.path().filename().string();
      const int number = std::atoi(version.c_str());
      if (number > best && std::filesystem::exists(entry.path() / "bin" / "initdb", error)) {
        best = number;
        found = (entry.path() / "bin").string() + "/";
      }
    }
    return found;
  }

  /// Run `argv` (as the server's user when we are root), output appended to the log; true if it
  /// exited 0.
  bool Run(std::vector<std::string> argv) const {
    if (!run_as_.empty()) {
      argv.insert(argv.begin(), {"runuser", "-u", run_as_, "--"});
    }
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (std::string& arg : argv) {
      args.push_back(arg.data());
    }
    args.push_back(nullptr);
    const pid_t child = fork();
    if (child == 0) {
      const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
      }
      execvp(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    return child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
  }

  std::string LogTail() const {
    std::ifstream in(log_);
    std::stringstream contents;
    contents << in.rdbuf();
    const std::string text = contents.str();
    return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
  }

  /// A freshly initdb'd cluster to copy: initdb costs a second or two, a copy a tenth of that,
  /// and every test process needs a cluster. Built once per user and PostgreSQL build, published
  /// by an atomic rename so concurrent test processes never see half of one. Empty on failure.
  std::string Template(const std::string& bin) const {
    std::string path = "/tmp/segsync-pg-template-" + std::to_string(geteuid()) + "-" +
                       std::to_string(std::hash<std::string>()(bin));
    std::error_code error;
    if (std::filesystem::exists(path + "/PG_VERSION", error)) {
      return path;
    }
    const std::string building = dir_ + "/template";
    if (!Run({bin + "initdb", "-D", building, "-U", "segsync", "-A", "trust", "-E", "UTF8",
              "--locale=C", "-N"})) {
      return "";
    }
    std::filesystem::rename(building, path, error);
    if (error) {
      // Another process published one first; either is as good.
      std::filesystem::remove_all(building, error);
    }
    return path;
  }

  std::string Start() {
    const std::string bin = BinDir();
    std::string pattern = "/tmp/segsync-pg-XXXXXX";  // short: a socket path holds 107 bytes
    if (mkdtemp(pattern.data()) == nullptr) {
      return "cannot create a temporary folder";
    }
    dir_ = pattern;
    log_ = dir_ + "/server.log";
    if (geteuid() == 0) {
      const passwd* user = getpwnam("postgres");
      if (user == nullptr) {
        user = getpwnam("nobody");
      }
      if (user == nullptr) {
        return "running as root, and neither user postgres nor nobody exists to run the server";
      }
      run_as_ = user->pw_name;
      if (chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
        return "cannot hand " + dir_ + " to user " + run_as_;
      }
    }
    const std::string data = dir_ + "/data";
    const std::string cluster = Template(bin);
    if (cluster.empty()) {
      return "initdb failed (is Debian's postgresql package installed?): " + LogTail();
    }
    if (!Run({"cp", "-a", cluster, data})) {
      return "copying the initdb template " + cluster + " failed: " + LogTail();
    }
    {
      // Password logins for one role, so tests can see a wrong password refused.
      std::ofstream hba(data + "/pg_hba.conf", std::ios::trunc);
      hba << "local all segsync_pw scram-sha-256\nlocal all all trust\n";
    }
    // No TCP at all; durability settings off: a test server holds nothing worth an fsync.
    const std::string options = "-k " + dir_ +
                                " -c listen_addresses= -F -c full_page_writes=off "
                                "-c max_connections=30";
    if (!Run({bin + "pg_ctl", "-D", data, "-l", dir_ + "/postgres.log", "-w", "-t", "60", "-o",
              options, "start"})) {
      return "pg_ctl start failed: " + LogTail();
    }
    started_ = true;
    StartReaper(bin + "pg_ctl", data);
    Query("CREATE ROLE segsync_pw LOGIN PASSWORD '" + std::string(kPgPassword) + "'");
    return "";
  }

  /// A child that stops the server and removes its folder if this process dies without doing
  /// so (a crash, a timeout kill), so no server outlives its test.
  void StartReaper(const std::string& pg_ctl, const std::string& data) {
    std::string stop = pg_ctl + " -D " + data + " -m immediate -w stop";
    if (!run_as_.empty()) {
      stop = "runuser -u " + run_as_ + " -- " + stop;
    }
    const std::string script = "while kill -0 " + std::to_string(getpid()) +
                               " 2>/dev/null; do sleep 1; done; " + stop +
                               " >/dev/null 2>&1; rm -rf " + dir_;
    reaper_ = fork();
    if (reaper_ == 0) {
      // Its own stdio, so it never holds the pipes ctest reads the test's output from.
      const int null = ::open("/dev/null", O_RDWR);
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
      setsid();  // out of the test's process group, so a kill of the group leaves it to clean up
      execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  void Stop() {
    if (started_) {
      Run({BinDir() + "pg_ctl", "-D", dir_ + "/data", "-m", "immediate", "-w", "stop"});
      started_ = false;
    }
    if (reaper_ > 0) {
      kill(reaper_, SIGKILL);
      waitpid(reaper_, nullptr, 0);
      reaper_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  bool started_ = false;
  std::string failure_;
  std::string dir_;
  std::string log_;
  std::string run_as_;
  pid_t reaper_ = -1;
};

}  // namespace segsync::testing
