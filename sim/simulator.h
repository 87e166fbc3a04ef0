// SPDX-License-Identifier: Apache-2.0
// The simulator's public interface: start a local Segment Public API, or serve one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace segsync::sim {

/// The limit `events_volume_limit` adds to `endpoint_limits`.
inline constexpr const char* kEventsVolumeLimit = "/events/volume=60/1m";

/// How the simulated workspace looks and how hard the server is on its clients.
struct SimOptions {
  std::string bind_host = "127.0.0.1";
  int port = 0;  // 0: pick a free port
  uint64_t seed = 1;
  std::string scale = "small";      // "small" | "large" | "bench"
  std::string token = "sim-token";  // the only accepted bearer token
  std::string request_log;          // path; empty = no log
  int latency_ms = 0;               // added to every response
  std::string plan = "business";    // "business" | "team" (team: audit trail 403)
  bool protocols = true;            // false: /transformations 403
  bool subscriptions = true;        // false: /destinations/{id}/subscriptions 403
  int rate_limit = 0;               // requests per window per token; 0 = unlimited
  int rate_window_ms = 1000;
  // How requests are counted: "clock-window" | "first-request-window" | "sliding-window" |
  // "token-bucket" (sim/README.md, "Rate limits").
  std::string rate_limit_mode = "clock-window";
  int rate_burst = 0;               // token bucket capacity; 0 = rate_limit
  bool rate_reset_round_up = true;  // X-RateLimit-Reset's whole second: rounded up or down
  // "PATH=N/WINDOW" (e.g. "/events/volume=60/60s"): that endpoint's own limit, same mode.
  std::vector<std::string> endpoint_limits;
  // /events/volume's own limit, documented as 60 requests per minute, counted the same way
  // (kEventsVolumeLimit); on by default. An `endpoint_limits` entry for it takes precedence.
  bool events_volume_limit = true;
  double faults = 0;          // fraction of requests that fail (mixed kinds)
  int stall_ms = 35000;       // how long a "stall" fault hangs (longer than a client timeout)
  int64_t audit_events = -1;  // override the scale's audit event count
  /// What /audit-events does with a startTime older than 90 days: "keep-all" (default: keeps
  /// 200 days of history), "ignore" (keeps 90 days, answers those), "reject" (keeps 90, 422).
  std::string audit_old_start = "keep-all";
  /// Which startTime and endTime /events/volume takes: "boundary" (default: on the
  /// granularity's boundary, a future endTime taken), "any" (any time), "past" (any time, no
  /// future endTime), "boundary-past" (boundaries, no future endTime).
  std::string volume_end_time = "boundary";
};

class SimServer;

/// A local HTTP server that answers as the Segment Public API documents (see sim/README.md).
class Simulator {
 public:
  /// Generates the workspace from seed/scale, binds, and serves on background threads.
  static Result<std::unique_ptr<Simulator>> Start(const SimOptions& options);
  ~Simulator();  // stops serving
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  void Stop();

 private:
  explicit Simulator(std::unique_ptr<SimServer> server);
  std::unique_ptr<SimServer> server_;
};

/// `segsync simulate`: Start, print exactly one line `listening on http://127.0.0.1:<port>`
/// to stdout (flushed), serve until SIGINT/SIGTERM, return 0 (or print an error to stderr and
/// return 1).
int ServeUntilSignal(const SimOptions& options);

}  // namespace segsync::sim
