// SPDX-License-Identifier: Apache-2.0
// `segsync report`: check the flags, read the destination, write the page atomically.
#include "cli/report_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/clock.h"
#include "dest/destination.h"
#include "dest/history_reader.h"
#include "report/history_changes.h"
#include "report/report_data.h"
#include "report/report_html.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

/// Write `text` to `path` through a temporary file beside it, so a reader never sees half.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return Status::Io("cannot write " + path +
                        "; check that its directory exists and is writable, or choose another "
                        "--out");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Status::Io("cannot write " + path + ": " + error.message() + "; choose another --out");
  }
  return Status::Ok();
}

/// The report of `args` written; the exit code, with one line on stderr when it is not 0.
int Write(const ReportArgs& args, bool print_path) {
  const auto fail = [](const std::string& message, int code) {
    std::cerr << "segsync report: " << message << "\n";
    return code;
  };
  std::optional<YearMonth> month;
  if (!args.month.empty()) {
    month = ParseYearMonth(args.month);
    if (!month) {
      return fail("--month " + args.month + " is not a month; write it as YYYY-MM, like 2025-05",
                  kExitConfig);
    }
  }
  const bool sqlite = args.destination.starts_with("sqlite:");
  auto reader = HistoryReader::Open(args.destination);
  if (!reader.ok()) {
    // A file that is not there is a wrong flag; a server that does not answer, a failure.
    return fail(reader.status().message(), sqlite || reader.status().code() == StatusCode::kConfig
                                               ? kExitConfig
                                               : kExitStreamFailed);
  }
  const Result<bool> holds = HoldsSegsyncTables(**reader);
  if (!holds.ok()) {
    return fail(holds.status().message(), sqlite ? kExitConfig : kExitStreamFailed);
  }
  if (!*holds) {
    return fail(DescribeDestination(args.destination) +
                    " holds no segsync tables (no _segsync_runs, no stream table); run segsync "
                    "sync into it first, or point --destination at a database a sync wrote",
                kExitConfig);
  }
  const UnixMillis now = SystemClock::Instance().Now();
  if (!month) {
    const Result<std::optional<YearMonth>> latest = LatestUsageMonth(**reader);
    if (!latest.ok()) {
      return fail(latest.status().message(), kExitStreamFailed);
    }
    month = latest->value_or(MonthOf(now));
  }
  Result<ReportData> data = LoadReport(**reader, *month, now);
  if (!data.ok()) {
    return fail(data.status().message(), kExitStreamFailed);
  }
  data->destination = DescribeDestination(args.destination);
  if (const Status written = WriteFileAtomically(args.out, RenderReportHtml(*data));
      !written.ok()) {
    return fail(written.message(), kExitStreamFailed);
  }
  if (print_path) {
    std::error_code error;
    const auto absolute = std::filesystem::absolute(args.out, error);
    std::cout << "segsync report: wrote " << (error ? args.out : absolute.string())
              << " (usage month " << month->Text() << ")\n";
  }
  return kExitOk;
}

}  // namespace

CLI::App* AddReportCommand(CLI::App& app, ReportArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "report",
      "write one self-contained HTML page (usage, delivery health, inventory, changes, runs) "
      "from a SQLite or PostgreSQL destination");
  cmd->add_option("--destination", args.destination,
                  "sqlite:PATH or postgresql://... (default sqlite:segment.db)");
  cmd->add_option("--out", args.out, "the HTML file to write (default segsync-report.html)");
  cmd->add_option("--month", args.month,
                  "usage month to show, YYYY-MM (default: the month of the latest usage data)");
  return cmd;
}

int RunReportCommand(const ReportArgs& args) { return Write(args, true); }

int WriteReport(const ReportArgs& args) { return Write(args, false); }

}  // namespace segsync
