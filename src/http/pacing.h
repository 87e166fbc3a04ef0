// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <mutex>

#include "core/clock.h"
#include "http/http_client.h"

namespace segsync {

/// One request budget shared by every request of a run, learned from the X-RateLimit-* headers,
/// so that parallel requests do not turn into 429s. Thread-safe.
class RateLimitPacer {
 public:
  explicit RateLimitPacer(Clock& clock) : clock_(clock) {}

  /// Wait, if the budget of the current window is spent, until the window resets.
  /// Returns how long it waited.
  int64_t BeforeRequest();
  /// Learn the remaining budget and the reset time from a successful response.
  void OnResponse(const HttpResponse& response);
  /// After a 429: nobody sends before `until`.
  void BlockUntil(UnixMillis until);

 private:
  Clock& clock_;
  std::mutex mu_;
  int64_t remaining_ = -1;   // requests left in this window; -1 while unknown
  UnixMillis reset_at_ = 0;  // when the window resets
  UnixMillis blocked_until_ = 0;
};

}  // namespace segsync
