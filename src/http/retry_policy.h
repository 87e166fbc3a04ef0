// SPDX-License-Identifier: Apache-2.0
// How often and how long to back off after a retryable failure.
#pragma once

#include <cstdint>

namespace segsync {

/// How often and how long to back off after a retryable failure (5xx, timeout, bad body).
struct RetryPolicy {
  int max_retries = 5;
  int64_t base_delay_ms = 500;
  int64_t max_delay_ms = 30'000;

  /// Delay before retry `attempt` (1 for the first retry): exponential, capped, with "equal
  /// jitter" (half fixed, half random) so that parallel clients do not retry in lock-step.
  int64_t BackoffMs(int attempt, uint64_t random) const;
};

}  // namespace segsync
