// SPDX-License-Identifier: Apache-2.0
// RateLimitPacer: one request budget shared by every request of a run.
#pragma once

#include <cstdint>
#include <mutex>

#include "core/clock.h"
#include "http/http_client.h"

namespace segsync {

/// One request budget shared by every request of a run, learned from the X-RateLimit-* headers,
/// so that parallel requests do not turn into 429s. Thread-safe.
///
/// A request may start while the window's remaining budget exceeds the requests already in
/// flight (they will spend it too); otherwise it waits for the window to reset. After a 429
/// nobody starts before the time the response named.
class RateLimitPacer {
 public:
  explicit RateLimitPacer(Clock& clock) : clock_(clock) {}

  /// Wait until a request may start, then count it as in flight. Returns the ms waited.
  int64_t BeforeRequest();
  /// The request that BeforeRequest admitted has ended; `response` is null on a transport
  /// failure. Learns the budget from a response's rate-limit headers.
  void OnComplete(const HttpResponse* response);
  /// After a 429: nobody sends before `until`.
  void BlockUntil(UnixMillis until);

 private:
  Clock& clock_;
  std::mutex mu_;
  int64_t in_flight_ = 0;
  int64_t limit_ = -1;       // requests per window (Consumed + Remaining); -1 while unknown
  int64_t remaining_ = -1;   // left in the current window; -1 while unknown
  UnixMillis reset_at_ = 0;  // when the current window ends; 0 while unknown
  UnixMillis blocked_until_ = 0;
};

}  // namespace segsync
