// SPDX-License-Identifier: Apache-2.0
// RateLimitPacer: the shared request budget and waits after a 429.
#include "http/pacing.h"

#include <gtest/gtest.h>

#include "fakes.h"

namespace segsync {
namespace {

const UnixMillis kStart = DaysFromCivil(2026, 11, 28) * 86'400'000 + 500;  // mid-second

HttpResponse WithBudget(int64_t consumed, int64_t remaining, UnixMillis reset) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"x-ratelimit-consumed", std::to_string(consumed)},
               {"x-ratelimit-remaining", std::to_string(remaining)},
               {"x-ratelimit-reset", FormatRfc5322(reset)}};
  return r;
}

TEST(Pacer, SendsFreelyWhileTheBudgetIsUnknown) {
  testing::FakeClock clock(kStart);
  RateLimitPacer pacer(clock);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(pacer.BeforeRequest(), 0);
  }
}

TEST(Pacer, RequestsInFlightCountAgainstTheRemainingBudget) {
  testing::FakeClock clock(kStart);
  RateLimitPacer pacer(clock);
  const UnixMillis reset = kStart + 500;  // the next whole second
  ASSERT_EQ(pacer.BeforeRequest(), 0);
  const HttpResponse first = WithBudget(8, 2, reset);
  pacer.OnComplete(&first);
  EXPECT_EQ(pacer.BeforeRequest(), 0);  // 2 left, none in flight
  EXPECT_EQ(pacer.BeforeRequest(), 0);  // 2 left, 1 in flight
  // 2 left and 2 in flight: the next one waits for the window to reset.
  EXPECT_EQ(pacer.BeforeRequest(), 500);
  EXPECT_EQ(clock.Now(), reset);
}

TEST(Pacer, AfterA429NobodySendsBeforeTheNamedTime) {
  testing::FakeClock clock(kStart);
  RateLimitPacer pacer(clock);
  pacer.BlockUntil(kStart + 1500);
  EXPECT_EQ(pacer.BeforeRequest(), 1500);
  EXPECT_EQ(pacer.BeforeRequest(), 0);
}

TEST(Pacer, ALateAnswerFromAnEndedWindowIsIgnored) {
  testing::FakeClock clock(kStart);
  RateLimitPacer pacer(clock);
  ASSERT_EQ(pacer.BeforeRequest(), 0);
  clock.Advance(2000);
  const HttpResponse stale = WithBudget(10, 0, kStart + 500);
  pacer.OnComplete(&stale);
  EXPECT_EQ(pacer.BeforeRequest(), 0);
}

}  // namespace
}  // namespace segsync
