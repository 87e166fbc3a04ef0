// SPDX-License-Identifier: Apache-2.0
// `segsync demo`: the built-in simulator synced into a SQLite file the demo owns.
#include "cli/demo.h"

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "cli/report_command.h"
#include "core/log.h"
#include "dest/sqlite_destination.h"
#include "report/report_html.h"
#include "sim/simulator.h"
#include "streams/stream_spec.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

/// Make `db_path` a fresh, stamped demo database. A file there is replaced only if an earlier
/// demo created it (its stamp says so); anything else is left alone and the demo refuses.
Status PrepareDemoFile(const std::string& db_path) {
  std::error_code error;
  const auto status = std::filesystem::symlink_status(db_path, error);
  if (std::filesystem::exists(status)) {
    if (!std::filesystem::is_regular_file(status) ||
        SqliteApplicationId(db_path) != kDemoApplicationId) {
      return Status::Config(db_path +
                            " already exists and was not created by segsync demo, so it is left "
                            "as it is; pass --db with a new file name");
    }
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path + suffix, error);
    }
  }
  return CreateStampedSqliteFile(db_path, kDemoApplicationId);
}

/// Whether `path` may take the demo's report: nothing there yet, or an earlier report.
bool MayWriteReport(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, error))) {
    return true;
  }
  std::ifstream file(path, std::ios::binary);
  std::string head(1024, '\0');
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(file.gcount()));
  return std::filesystem::is_regular_file(path, error) &&
         head.find(kReportGenerator) != std::string::npos;
}

}  // namespace

int RunDemo(const std::string& db_path, bool quiet) {
  if (Status prepared = PrepareDemoFile(db_path); !prepared.ok()) {
    LogError(prepared.message());
    return MeaningOf(prepared.code()).exit_code;
  }
  sim::SimOptions sim_options;
  sim_options.token = "demo-token-not-a-secret";
  auto sim = sim::Simulator::Start(sim_options);
  if (!sim.ok()) {
    LogError("could not start the simulator: " + sim.status().message());
    return kExitStreamFailed;
  }
  Config config;
  config.api_token = sim_options.token;
  config.api_url = (*sim)->base_url();
  config.region = "us";
  config.destination = "sqlite:" + db_path;
  for (const auto& spec : AllStreams()) {
    config.streams.emplace_back(spec.name);
  }
  const UnixMillis now = SystemClock::Instance().Now();
  config.start_date = StartOfMonth(now - 200LL * 24 * 3600 * 1000);
  std::cout << "segsync demo: a simulated Segment workspace is serving on " << (*sim)->base_url()
            << "\nsyncing all " << config.streams.size() << " streams into " << db_path << "\n\n"
            << std::flush;
  const int code = SyncWithConfig(config, quiet, nullptr);
  (*sim)->Stop();
  // The first three queries of README.md, on one line each (tests/e2e/test_docs_queries.py
  // checks they match and runs them).
  static constexpr std::array<std::string_view, 3> kQueries = {
      "SELECT s.name AS source, COUNT(d.id) AS destinations FROM sources s LEFT JOIN "
      "destinations d ON d.\"sourceId\" = s.id AND d._deleted_at IS NULL WHERE s._deleted_at IS "
      "NULL GROUP BY s.id, s.name ORDER BY destinations DESC, source LIMIT 5;",
      "SELECT \"periodStart\", MAX(identified + anonymous - \"anonymousIdentified\") AS mtu FROM "
      "usage_mtu_workspace_daily GROUP BY \"periodStart\" ORDER BY \"periodStart\";",
      "SELECT timestamp, type, \"resourceName\" FROM audit_events ORDER BY timestamp DESC LIMIT "
      "5;"};
  std::cout << "\nTry it:\n";
  for (std::string_view query : kQueries) {
    std::cout << "  sqlite3 " << db_path << " '" << query << "'\n";
  }
  // The report beside the database (segsync-demo.db: segsync-demo.html).
  ReportArgs report;
  report.destination = config.destination;
  report.out = std::filesystem::path(db_path).replace_extension(".html").string();
  if (!MayWriteReport(report.out)) {
    std::cout << "\nThe report was not written: " << report.out
              << " already exists and is no segsync report; run segsync report --destination "
              << config.destination << " --out FILE\n";
  } else if (WriteReport(report) == kExitOk) {
    std::error_code error;
    const auto absolute = std::filesystem::absolute(report.out, error);
    std::cout << "\nThe report, one page to open in a browser: "
              << (error ? report.out : absolute.string()) << "\n";
  }
  std::cout << std::flush;
  return code;
}

}  // namespace segsync
