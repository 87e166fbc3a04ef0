// SPDX-License-Identifier: Apache-2.0
// `segsync report`: one self-contained HTML page of what a SQL destination holds.
#pragma once

#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace segsync {

struct ReportArgs {
  std::string destination = "sqlite:segment.db";
  std::string out = "segsync-report.html";
  std::string month;  // YYYY-MM; empty: the month of the latest usage data
};

/// Add the `report` subcommand and its flags to `app`.
CLI::App* AddReportCommand(CLI::App& app, ReportArgs& args);
/// Write the report and print its path; returns the exit code (2: bad flags, a destination that
/// is missing or holds no segsync tables; 1: it could not be read or the file not written).
int RunReportCommand(const ReportArgs& args);
/// The same for `demo`: no path printed; a failure is one line on stderr.
int WriteReport(const ReportArgs& args);

}  // namespace segsync
