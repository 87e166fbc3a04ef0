// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "core/config.h"
#include "sync/run_report.h"

namespace segsync {

/// Exit codes (CONTRACT.md §1).
inline constexpr int kExitOk = 0;
inline constexpr int kExitStreamFailed = 1;
inline constexpr int kExitConfig = 2;
inline constexpr int kExitAuth = 3;

/// `segsync sync`: load the configuration, sync, print the summary; returns the exit code.
int RunSync(const ConfigFlags& flags, bool quiet);

/// Sync with a resolved configuration (shared by `sync` and `demo`).
int SyncWithConfig(const Config& config, bool quiet, RunReport* report_out);

/// `segsync discover`: the catalog of all 18 streams as one JSON document on stdout.
int RunDiscover();

/// The per-stream summary table printed after a sync.
std::string FormatSummary(const RunReport& report);

}  // namespace segsync
