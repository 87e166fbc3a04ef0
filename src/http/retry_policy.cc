// SPDX-License-Identifier: Apache-2.0
// Exponential backoff with equal jitter.
#include "http/retry_policy.h"

#include <algorithm>

namespace segsync {

int64_t RetryPolicy::BackoffMs(int attempt, uint64_t random) const {
  int64_t delay = base_delay_ms;
  for (int i = 1; i < attempt && delay < max_delay_ms; ++i) {
    delay *= 2;
  }
  delay = std::min(delay, max_delay_ms);
  const int64_t half = delay / 2;
  if (half <= 0) {
    return delay;
  }
  return half + static_cast<int64_t>(random % static_cast<uint64_t>(half + 1));
}

}  // namespace segsync
