// SPDX-License-Identifier: Apache-2.0
#include "http/pacing.h"

#include <charconv>

namespace segsync {

int64_t RateLimitPacer::BeforeRequest() {
  UnixMillis wake = 0;
  {
    std::lock_guard lock(mu_);
    const UnixMillis now = clock_.Now();
    if (remaining_ == 0 && reset_at_ > now) {
      wake = reset_at_;
    }
    if (blocked_until_ > now && blocked_until_ > wake) {
      wake = blocked_until_;
    }
    if (wake == 0) {
      if (remaining_ > 0) {
        --remaining_;  // reserve one request of the budget for this caller
      }
      return 0;
    }
    // The window resets at `wake`; the budget is unknown again until a response says.
    remaining_ = -1;
  }
  const int64_t wait = wake - clock_.Now();
  clock_.SleepFor(wait);
  return wait > 0 ? wait : 0;
}

void RateLimitPacer::OnResponse(const HttpResponse& response) {
  const std::string_view remaining = response.Header("x-ratelimit-remaining");
  const std::string_view reset = response.Header("x-ratelimit-reset");
  if (remaining.empty() || reset.empty()) {
    return;
  }
  int64_t value = 0;
  if (std::from_chars(remaining.data(), remaining.data() + remaining.size(), value).ec !=
      std::errc()) {
    return;
  }
  auto reset_at = ParseRfc5322(reset);
  if (!reset_at.ok()) {
    return;
  }
  std::lock_guard lock(mu_);
  remaining_ = value < 0 ? 0 : value;
  reset_at_ = *reset_at;
}

void RateLimitPacer::BlockUntil(UnixMillis until) {
  std::lock_guard lock(mu_);
  if (until > blocked_until_) {
    blocked_until_ = until;
  }
}

}  // namespace segsync
