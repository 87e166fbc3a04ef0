// SPDX-License-Identifier: Apache-2.0
// The shared request budget, learned from the X-RateLimit-* headers.
#include "http/pacing.h"

#include <charconv>
#include <optional>

namespace segsync {
namespace {

std::optional<int64_t> HeaderInt(const HttpResponse& response, std::string_view name) {
  const std::string_view text = response.Header(name);
  int64_t value = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

int64_t RateLimitPacer::BeforeRequest() {
  int64_t waited = 0;
  while (true) {
    int64_t wait = 0;
    {
      std::lock_guard lock(mu_);
      const UnixMillis now = clock_.Now();
      if (reset_at_ != 0 && reset_at_ <= now) {
        // The window rolled over: a full budget again, until a response says otherwise.
        remaining_ = limit_;
        reset_at_ = 0;
      }
      if (blocked_until_ > now) {
        wait = blocked_until_ - now;
      } else if (remaining_ >= 0 && remaining_ - in_flight_ <= 0 && reset_at_ > now) {
        wait = reset_at_ - now;
      } else if (remaining_ >= 0 && remaining_ - in_flight_ <= 0 && in_flight_ > 0) {
        // Budget spent but the window end is unknown: let the requests in flight report it.
        wait = 5;
      }
      if (wait <= 0) {
        ++in_flight_;
        return waited;
      }
    }
    clock_.SleepFor(wait);
    waited += wait;
  }
}

void RateLimitPacer::OnComplete(const HttpResponse* response) {
  std::lock_guard lock(mu_);
  if (in_flight_ > 0) {
    --in_flight_;
  }
  if (response == nullptr) {
    return;
  }
  const auto remaining = HeaderInt(*response, "x-ratelimit-remaining");
  const std::string_view reset = response->Header("x-ratelimit-reset");
  if (!remaining || reset.empty()) {
    return;
  }
  auto reset_at = ParseRfc5322(reset);
  if (!reset_at.ok() || *reset_at <= clock_.Now()) {
    return;  // a late answer from a window that has already ended
  }
  if (*reset_at < reset_at_) {
    return;  // older news than what we know
  }
  remaining_ = *remaining < 0 ? 0 : *remaining;
  reset_at_ = *reset_at;
  if (const auto consumed = HeaderInt(*response, "x-ratelimit-consumed")) {
    limit_ = *consumed + remaining_;
  }
}

void RateLimitPacer::BlockUntil(UnixMillis until) {
  std::lock_guard lock(mu_);
  if (until > blocked_until_) {
    blocked_until_ = until;
  }
}

}  // namespace segsync
