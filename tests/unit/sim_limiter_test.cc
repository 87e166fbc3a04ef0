// SPDX-License-Identifier: Apache-2.0
// The simulator's rate limiters, one semantics at a time, with explicit times.
#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "core/clock.h"
#include "sim/rate_limit.h"
#include "sim/simulator.h"

namespace segsync::sim {
namespace {

constexpr UnixMillis kSecond = 1'795'824'000'000;  // a whole second

TEST(SimLimiter, ModesAreNamed) {
  EXPECT_EQ(*RateLimitModeNamed("clock-window"), RateLimitMode::kClockWindow);
  EXPECT_EQ(*RateLimitModeNamed("first-request-window"), RateLimitMode::kFirstRequestWindow);
  EXPECT_EQ(*RateLimitModeNamed("sliding-window"), RateLimitMode::kSlidingWindow);
  EXPECT_EQ(*RateLimitModeNamed("token-bucket"), RateLimitMode::kTokenBucket);
  EXPECT_FALSE(RateLimitModeNamed("leaky").ok());
}

TEST(SimLimiter, ClockWindowsTurnOnTheSecond) {
  RateLimiter limiter(RateLimitMode::kClockWindow, 2, 1000);
  auto a = limiter.Admit("t", kSecond + 900);
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.consumed, 1);
  EXPECT_EQ(a.remaining, 1);
  EXPECT_EQ(a.reset_at, kSecond + 1000);
  EXPECT_TRUE(limiter.Admit("t", kSecond + 950).allowed);
  auto refused = limiter.Admit("t", kSecond + 999);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.consumed, 3);  // a refused request counts too
  EXPECT_EQ(refused.retry_at, kSecond + 1000);
  // 100 ms later the next second has begun: a full budget.
  auto next = limiter.Admit("t", kSecond + 1000);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.consumed, 1);
  EXPECT_EQ(next.reset_at, kSecond + 2000);
  // Tokens are counted apart.
  EXPECT_EQ(limiter.Admit("other", kSecond + 1001).consumed, 1);
}

TEST(SimLimiter, FirstRequestWindowsOpenAtTheirFirstRequest) {
  RateLimiter limiter(RateLimitMode::kFirstRequestWindow, 2, 1000);
  EXPECT_EQ(limiter.Admit("t", kSecond + 900).reset_at, kSecond + 1900);
  EXPECT_TRUE(limiter.Admit("t", kSecond + 1100).allowed);  // the second's turn changes nothing
  auto refused = limiter.Admit("t", kSecond + 1800);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_at, kSecond + 1900);
  auto next = limiter.Admit("t", kSecond + 2500);  // a new window opens here, not at 1900
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.consumed, 1);
  EXPECT_EQ(next.reset_at, kSecond + 3500);
}

TEST(SimLimiter, SlidingWindowCountsAnyWindowLongSpan) {
  RateLimiter limiter(RateLimitMode::kSlidingWindow, 2, 1000);
  EXPECT_TRUE(limiter.Admit("t", kSecond + 0).allowed);
  auto second = limiter.Admit("t", kSecond + 600);
  EXPECT_TRUE(second.allowed);
  EXPECT_EQ(second.remaining, 0);
  EXPECT_EQ(second.reset_at, kSecond + 1600);  // the whole limit is free when the newest leaves
  auto refused = limiter.Admit("t", kSecond + 900);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_at, kSecond + 1000);  // one slot frees when the oldest leaves
  EXPECT_TRUE(limiter.Admit("t", kSecond + 1000).allowed);
  // 600 and 1000 are inside (600, 1600]: a clock-aligned window would have allowed this one.
  EXPECT_FALSE(limiter.Admit("t", kSecond + 1500).allowed);
}

TEST(SimLimiter, TokenBucketAllowsABurstThenTheRate) {
  RateLimiter limiter(RateLimitMode::kTokenBucket, 10, 1000, 3);  // 1 token per 100 ms
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Admit("t", kSecond).allowed) << i;
  }
  auto refused = limiter.Admit("t", kSecond + 50);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_at, kSecond + 100);
  auto refilled = limiter.Admit("t", kSecond + 100);
  EXPECT_TRUE(refilled.allowed);
  EXPECT_EQ(refilled.remaining, 0);
  EXPECT_EQ(refilled.consumed, 3);
  EXPECT_EQ(refilled.reset_at, kSecond + 400);  // full again after three tokens' time
}

TEST(SimLimiter, ResetRoundsToWholeSeconds) {
  EXPECT_EQ(RoundToSecond(kSecond + 1, true), kSecond + 1000);
  EXPECT_EQ(RoundToSecond(kSecond + 999, false), kSecond);
  EXPECT_EQ(RoundToSecond(kSecond, true), kSecond);
}

TEST(SimLimiter, EndpointLimitsMatchByPatternAndParse) {
  auto limits =
      RateLimits::Make("clock-window", 50, 1000, 0,
                       {"/events/volume=60/60s", "/destinations/*/delivery-metrics=2/1m"});
  ASSERT_TRUE(limits.ok()) << limits.status().ToString();
  RateLimiter* shared = limits->For("/sources");
  ASSERT_NE(shared, nullptr);
  RateLimiter* volume = limits->For("/events/volume");
  ASSERT_NE(volume, nullptr);
  EXPECT_NE(volume, shared);
  EXPECT_EQ(limits->For("/events/volume/more"), volume);
  EXPECT_EQ(limits->For("/events"), shared);
  RateLimiter* metrics = limits->For("/destinations/abc/delivery-metrics");
  EXPECT_NE(metrics, shared);
  EXPECT_EQ(limits->For("/destinations/abc/subscriptions"), shared);
  EXPECT_EQ(volume->Admit("t", kSecond).remaining, 59);
  EXPECT_EQ(volume->Admit("t", kSecond).reset_at, kSecond + 60'000);
  for (const char* bad : {"/x=60", "/x=0/1s", "/x=5/1d", "x=5/1s", "/x=5/s"}) {
    EXPECT_FALSE(RateLimits::Make("clock-window", 0, 1000, 0, {bad}).ok()) << bad;
  }
  auto only_endpoint = RateLimits::Make("sliding-window", 0, 1000, 0, {"/events/volume=1/1s"});
  ASSERT_TRUE(only_endpoint.ok());
  EXPECT_EQ(only_endpoint->For("/sources"), nullptr);
}

TEST(SimLimiter, AnEndpointAnswersItsOwnHeaders) {
  SimOptions options;
  options.rate_limit = 100;
  options.rate_limit_mode = "first-request-window";
  options.rate_reset_round_up = false;
  options.endpoint_limits = {"/warehouses=2/60s"};
  auto started = Simulator::Start(options);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  httplib::Client client((*started)->base_url());
  client.set_default_headers({{"Authorization", "Bearer sim-token"}});
  auto sources = client.Get("/sources");
  ASSERT_TRUE(sources && sources->status == 200);
  EXPECT_EQ(sources->get_header_value("X-RateLimit-Remaining"), "99");
  const UnixMillis now = SystemClock::Instance().Now();
  for (int i = 1; i <= 2; ++i) {
    auto res = client.Get("/warehouses");
    ASSERT_TRUE(res && res->status == 200);
    EXPECT_EQ(res->get_header_value("X-RateLimit-Consumed"), std::to_string(i));
    EXPECT_EQ(res->get_header_value("X-RateLimit-Remaining"), std::to_string(2 - i));
    auto reset = ParseRfc5322(res->get_header_value("X-RateLimit-Reset"));
    ASSERT_TRUE(reset.ok());
    EXPECT_GT(*reset, now + 58'000);  // rounded down: at most a second early
    EXPECT_LE(*reset, now + 60'000);
  }
  auto limited = client.Get("/warehouses");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);
  auto others = client.Get("/sources");
  ASSERT_TRUE(others && others->status == 200);
  EXPECT_EQ(others->get_header_value("X-RateLimit-Remaining"), "98");
}

TEST(SimLimiter, StartRejectsABadModeOrEndpointLimit) {
  SimOptions options;
  options.rate_limit_mode = "leaky-bucket";
  EXPECT_EQ(Simulator::Start(options).status().code(), StatusCode::kConfig);
  options.rate_limit_mode = "token-bucket";
  options.endpoint_limits = {"/events/volume=sixty"};
  EXPECT_EQ(Simulator::Start(options).status().code(), StatusCode::kConfig);
}

}  // namespace
}  // namespace segsync::sim
