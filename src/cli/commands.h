// SPDX-License-Identifier: Apache-2.0
// The `sync`, `check` and `discover` commands, and the API session they open.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/segment_client.h"
#include "cli/full_refresh.h"
#include "core/config.h"
#include "dest/destination.h"
#include "http/pacing.h"
#include "streams/stream_spec.h"
#include "sync/run_report.h"

namespace segsync {

// The exit codes (kExitOk, ...) live with the failure table in sync/outcome.h.

/// What a caller may observe of a sync while it runs.
struct SyncHooks {
  std::function<void(const StreamSpec&, bool selected)> on_stream_start;
  std::function<void(const StreamReport&)> on_stream_done;
  std::function<void(const StreamReport&)> on_page;
  bool handle_signals = true;  // SIGINT/SIGTERM roll back the open stream and end the run
};

/// Resolve the configuration from flags, environment and file (precedence in that order).
Result<Config> ResolveConfig(const ConfigFlags& flags, bool require_token = true);

/// The HTTP client, the shared rate-limit budget and the Segment client of one run.
struct ApiSession {
  ApiSession() : pacer(SystemClock::Instance()) {}
  std::vector<std::unique_ptr<HttpClient>> http;  // one connection per concurrent request
  RateLimitPacer pacer;                           // one budget shared by all of them
  std::vector<std::unique_ptr<SegmentClient>> clients;
  SegmentClient& client() { return *clients.front(); }
  std::vector<SegmentClient*> ClientPointers() const;
};

/// Connectable client for `config` (libcurl, TLS settings, retries).
Result<std::unique_ptr<ApiSession>> OpenApiSession(const Config& config);

/// `segsync check`: token, region, host and whether the destination is writable, then per stream
/// ok / not_entitled / error.
int RunCheck(const ConfigFlags& flags);

/// Run the engine for `config` into `destination`. `report` is always filled; a non-OK Status
/// means the sync could not start (e.g. libcurl failed to initialise).
Status ExecuteSync(const Config& config, Destination& destination, const SyncHooks& hooks,
                   RunReport& report);

/// `segsync sync`: load the configuration, sync, print the summary; returns the exit code.
int RunSync(const ConfigFlags& flags, bool quiet, const FullRefresh& full_refresh = std::nullopt);

/// Sync with a resolved configuration (shared by `sync` and `demo`): the destination is opened
/// and verified before the first API request.
int SyncWithConfig(const Config& config, bool quiet, RunReport* report_out,
                   const FullRefresh& full_refresh = std::nullopt);

/// `segsync discover`: the catalog of every stream as one JSON document on stdout.
int RunDiscover();

/// What a run that stopped early kept: "Nothing was written." or the committed streams.
std::string DescribeCommitted(const RunReport& report);

}  // namespace segsync
