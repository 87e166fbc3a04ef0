// SPDX-License-Identifier: Apache-2.0
// The simulator's rate limiters: each way a real API might count requests, selectable.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace segsync::sim {

/// How requests are counted (sim/README.md, "Rate limits", says what each one answers).
enum class RateLimitMode {
  kClockWindow,         // fixed windows aligned to multiples of the window since the epoch
  kFirstRequestWindow,  // a fixed window opens at the first request after the last one closed
  kSlidingWindow,       // at most `limit` requests in any window-long span
  kTokenBucket,         // `burst` tokens, refilled at `limit` per window
};

/// "clock-window" | "first-request-window" | "sliding-window" | "token-bucket".
Result<RateLimitMode> RateLimitModeNamed(std::string_view name);

/// What the limiter says about one request.
struct RateDecision {
  bool allowed = true;
  int64_t consumed = 0;     // X-RateLimit-Consumed
  int64_t remaining = 0;    // X-RateLimit-Remaining
  UnixMillis reset_at = 0;  // X-RateLimit-Reset: when the whole limit is available again
  UnixMillis retry_at = 0;  // when the next request would be admitted (a 429's msBeforeNext)
};

/// One limit (`limit` requests per `window_ms`) counted per key (the token). Thread-safe.
class RateLimiter {
 public:
  /// `burst` is the token bucket's capacity (0: `limit`); the other modes ignore it.
  RateLimiter(RateLimitMode mode, int64_t limit, int64_t window_ms, int64_t burst = 0);

  RateDecision Admit(const std::string& key, UnixMillis now);

 private:
  struct State {
    UnixMillis window_start = -1;  // fixed windows
    int64_t count = 0;
    std::deque<UnixMillis> admitted;  // sliding window: arrival times still inside it
    double tokens = -1;               // token bucket; -1 until the first request (full)
    UnixMillis refilled_at = 0;
  };
  RateDecision FixedWindow(State& state, UnixMillis now, bool aligned) const;
  RateDecision SlidingWindow(State& state, UnixMillis now) const;
  RateDecision TokenBucket(State& state, UnixMillis now) const;

  const RateLimitMode mode_;
  const int64_t limit_;
  const int64_t window_ms_;
  const int64_t burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, State> states_;
};

/// The default limit plus per-endpoint limits. An endpoint is a path pattern matched as a
/// prefix, segment by segment, where `*` matches any one segment
/// (`/destinations/*/delivery-metrics`). A request on an endpoint with its own limit counts
/// against that limit only.
class RateLimits {
 public:
  /// `endpoint_specs` are "PATTERN=N/DURATION" (DURATION: a number with ms, s, m or h, e.g.
  /// "/events/volume=60/60s"). `limit` 0: no default limit.
  static Result<RateLimits> Make(std::string_view mode_name, int64_t limit, int64_t window_ms,
                                 int64_t burst, const std::vector<std::string>& endpoint_specs);

  /// The limiter that counts a request for `path`; null when nothing limits it.
  RateLimiter* For(std::string_view path) const;

 private:
  struct Endpoint {
    std::vector<std::string> segments;
    std::unique_ptr<RateLimiter> limiter;
  };
  std::unique_ptr<RateLimiter> default_;
  std::vector<Endpoint> endpoints_;
};

/// Whole seconds, as an RFC 5322 date carries them: rounded up or down.
UnixMillis RoundToSecond(UnixMillis t, bool up);

}  // namespace segsync::sim
