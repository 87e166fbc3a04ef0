// SPDX-License-Identifier: Apache-2.0
// RateLimitPacer: the shared request budget and waits after a 429.
#include "http/pacing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <vector>

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

// ---------------------------------------------------------------------------------------------
// The pacer against servers that count in each plausible way. These models are written from
// the semantics, not from sim/: each answers X-RateLimit-* and a 429's wait its own way.

enum class Counting { kClockWindow, kFirstRequestWindow, kSlidingWindow, kTokenBucket };

struct Limit {
  Counting counting = Counting::kClockWindow;
  int64_t limit = 0;  // per window (the bucket refills `limit` per window)
  int64_t window_ms = 1000;
  int64_t burst = 0;  // bucket capacity; 0 = limit
  bool round_up = true;
  // Sliding window: Reset when the oldest request leaves (a slot frees) instead of when the
  // newest does (the whole limit is free).
  bool reset_at_next_slot = false;
};

struct ServerModel : Limit {
  explicit ServerModel(const Limit& l) : Limit(l) {}

  UnixMillis window_start = -1;
  int64_t count = 0;
  std::deque<UnixMillis> log;
  double tokens = -1;
  UnixMillis refilled_at = 0;

  struct Answer {
    bool ok;
    int64_t consumed, remaining;
    UnixMillis reset, retry;
  };

  Answer Admit(UnixMillis t) {
    switch (counting) {
      case Counting::kClockWindow:
      case Counting::kFirstRequestWindow: {
        const UnixMillis start = counting == Counting::kClockWindow ? t - t % window_ms
                                 : (window_start < 0 || t >= window_start + window_ms)
                                     ? t
                                     : window_start;
        if (start != window_start) {
          window_start = start;
          count = 0;
        }
        ++count;
        const UnixMillis end = window_start + window_ms;
        return {count <= limit, count, std::max<int64_t>(0, limit - count), end, end};
      }
      case Counting::kSlidingWindow: {
        while (!log.empty() && log.front() + window_ms <= t) {
          log.pop_front();
        }
        const bool ok = static_cast<int64_t>(log.size()) < limit;
        if (ok) {
          log.push_back(t);
        }
        const auto n = static_cast<int64_t>(log.size());
        const UnixMillis reset =
            reset_at_next_slot || !ok ? log.front() + window_ms : log.back() + window_ms;
        return {ok, n, limit - n, reset, log.front() + window_ms};
      }
      case Counting::kTokenBucket: {
        const double per_ms = static_cast<double>(limit) / static_cast<double>(window_ms);
        const double cap = static_cast<double>(burst > 0 ? burst : limit);
        tokens = tokens < 0 ? cap
                            : std::min(cap, tokens + static_cast<double>(t - refilled_at) * per_ms);
        refilled_at = t;
        const bool ok = tokens >= 1;
        if (ok) {
          tokens -= 1;
        }
        const auto left = static_cast<int64_t>(std::floor(tokens));
        return {ok, static_cast<int64_t>(cap) - left, left,
                t + static_cast<int64_t>(std::ceil((cap - tokens) / per_ms)),
                t + static_cast<int64_t>(std::ceil(std::max(0.0, 1 - tokens) / per_ms))};
      }
    }
    return {};
  }

  HttpResponse Respond(UnixMillis t) {
    const Answer a = Admit(t);
    HttpResponse r;
    if (!a.ok) {
      r.status = 429;
      r.body = R"({"errors":[{"type":"RequestError","message":"Too many requests","data":)"
               R"({"remainingPoints":0,"msBeforeNext":)" +
               std::to_string(std::max<int64_t>(0, a.retry - t)) + "}}]}";
      return r;
    }
    const UnixMillis down = a.reset - a.reset % 1000;
    r.status = 200;
    r.headers = {
        {"x-ratelimit-consumed", std::to_string(a.consumed)},
        {"x-ratelimit-remaining", std::to_string(a.remaining)},
        {"x-ratelimit-reset", FormatRfc5322(round_up && down != a.reset ? down + 1000 : down)}};
    return r;
  }
};

struct RunResult {
  int64_t sent = 0;
  int64_t limited = 0;
  UnixMillis elapsed = 0;
};

// A clock for one thread driving many clients: while a client sleeps in the pacer, the
// network's events up to its wake-up happen (answers arrive, other requests are counted).
class EventClock final : public Clock {
 public:
  explicit EventClock(UnixMillis now) : now_(now) {}
  UnixMillis Now() const override { return now_; }
  void SleepFor(int64_t millis) override {
    const UnixMillis until = now_ + millis;
    if (during_sleep) {
      during_sleep(until);
    }
    AdvanceTo(until);
  }
  void AdvanceTo(UnixMillis t) { now_ = std::max(now_, t); }
  std::function<void(UnixMillis)> during_sleep;

 private:
  UnixMillis now_;
};

// `workers` clients fetch `needed` successful answers through one pacer, each request taking
// `latency_ms` (counted on arrival, half way), as SegmentClient does: a 429 blocks until the
// wait its body names. One thread, events in time order.
RunResult Drive(const Limit& limit, int workers, int64_t needed, int64_t latency_ms,
                int64_t jitter_ms = 0) {
  ServerModel server(limit);
  std::mt19937_64 random(7);
  auto jitter = [&] {
    return jitter_ms > 0 ? static_cast<int64_t>(random() % static_cast<uint64_t>(jitter_ms + 1))
                         : 0;
  };
  EventClock clock(kStart);
  RateLimitPacer pacer(clock);
  struct Event {
    UnixMillis at;
    int64_t id;  // the request (network events) or the worker
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  using Queue = std::priority_queue<Event, std::vector<Event>, std::greater<>>;
  Queue ready;    // a worker may start a request
  Queue arrive;   // a request reaches the server
  Queue answers;  // its answer reaches the client
  std::vector<HttpResponse> responses;
  for (int i = 0; i < workers; ++i) {
    ready.push({kStart, i});
  }
  RunResult result;
  int64_t done = 0;
  int64_t started = 0;
  int64_t worker_ids = workers;
  auto network = [&](UnixMillis until) {
    while (true) {
      const UnixMillis a = arrive.empty() ? INT64_MAX : arrive.top().at;
      const UnixMillis b = answers.empty() ? INT64_MAX : answers.top().at;
      if ((arrive.empty() && answers.empty()) || std::min(a, b) > until) {
        return;
      }
      if (a <= b) {
        const Event e = arrive.top();
        arrive.pop();
        clock.AdvanceTo(e.at);
        responses[static_cast<size_t>(e.id)] = server.Respond(e.at);
        answers.push({e.at + latency_ms - latency_ms / 2 + jitter(), e.id});
        continue;
      }
      const Event e = answers.top();
      answers.pop();
      clock.AdvanceTo(e.at);
      const HttpResponse& r = responses[static_cast<size_t>(e.id)];
      pacer.OnComplete(&r, "/sources");
      if (r.status == 429) {
        ++result.limited;
        --started;
        const std::string_view body = r.body;
        const auto at = body.find("msBeforeNext\":");
        const int64_t wait = std::stoll(std::string(body.substr(at + 14)));
        pacer.BlockUntil(clock.Now() + wait + 5, "/sources");
      } else {
        ++done;
      }
      ready.push({clock.Now(), worker_ids++});
    }
  };
  clock.during_sleep = network;
  while (done < needed && !ready.empty()) {
    network(ready.top().at);
    clock.AdvanceTo(ready.top().at);
    ready.pop();
    if (started >= needed) {
      network(ready.empty() ? INT64_MAX : ready.top().at);
      continue;
    }
    pacer.BeforeRequest("/sources");
    ++result.sent;
    ++started;
    arrive.push({clock.Now() + latency_ms / 2 + jitter(), static_cast<int64_t>(responses.size())});
    responses.emplace_back();
    if (ready.empty()) {
      network(INT64_MAX - 1);
    }
  }
  network(INT64_MAX - 1);
  result.elapsed = clock.Now() - kStart;
  return result;
}

struct Case {
  const char* name;
  Limit server;
  // Wall / floor with jittery latency: a one-second sliding window of 50 leaves no room for
  // requests that arrive bunched, and the 429s that follow cost time.
  double jittery_wall = 1.05;
};

// 50 requests a second in each semantics; the windows without a restart to measure (sliding,
// bucket) are long enough that Reset's whole seconds do not hide the rate.
std::vector<Case> Semantics() {
  return {
      {"clock window 50/1s", {Counting::kClockWindow, 50, 1000}},
      {"clock window 50/1s, Reset rounded down", {Counting::kClockWindow, 50, 1000, 0, false}},
      {"first-request window 50/1s", {Counting::kFirstRequestWindow, 50, 1000}},
      {"first-request window 50/1s, Reset rounded down",
       {Counting::kFirstRequestWindow, 50, 1000, 0, false}},
      {"sliding window 500/10s", {Counting::kSlidingWindow, 500, 10'000}},
      {"sliding window 500/10s, Reset at the next free slot",
       {Counting::kSlidingWindow, 500, 10'000, 0, true, true}},
      {"sliding window 500/10s, Reset rounded down",
       {Counting::kSlidingWindow, 500, 10'000, 0, false}},
      {"sliding window 3000/60s", {Counting::kSlidingWindow, 3000, 60'000}},
      {"token bucket 50/s, burst 500, Reset rounded down",
       {Counting::kTokenBucket, 50, 1000, 500, false}},
      {"token bucket 50/s, burst 500", {Counting::kTokenBucket, 50, 1000, 500}},
      {"token bucket 500/10s", {Counting::kTokenBucket, 500, 10'000}},
      {"sliding window 50/1s", {Counting::kSlidingWindow, 50, 1000}, 1.08},
      {"token bucket 50/1s", {Counting::kTokenBucket, 50, 1000}},
      {"sliding window 50/1s, Reset rounded down",
       {Counting::kSlidingWindow, 50, 1000, 0, false},
       1.08},
  };
}

void ExpectWithinTargets(const RunResult& r, int64_t needed, double rate_per_s,
                         const std::string& name, double wall = 1.05) {
  const double floor_ms = static_cast<double>(needed) / rate_per_s * 1000;
  const std::string figures = name + ": " + std::to_string(r.sent) + " sent, " +
                              std::to_string(r.limited) + " 429s, wall/floor " +
                              std::to_string(static_cast<double>(r.elapsed) / floor_ms);
  if (std::getenv("PACER_FIGURES") != nullptr) {
    std::fprintf(stderr, "%s\n", figures.c_str());
  }
  EXPECT_LE(static_cast<double>(r.limited), 0.01 * static_cast<double>(r.sent)) << figures;
  EXPECT_LE(static_cast<double>(r.elapsed), wall * floor_ms) << figures;
}

TEST(Pacer, MeetsTheTargetsUnderEverySemanticsWithFourWorkers) {
  for (const Case& c : Semantics()) {
    const RunResult r = Drive(c.server, 4, 3000, 20);
    ExpectWithinTargets(r, 3000, 50, c.name);
  }
}

TEST(Pacer, MeetsTheTargetsUnderEverySemanticsWithSixteenWorkers) {
  for (const Case& c : Semantics()) {
    const RunResult r = Drive(c.server, 16, 3000, 20);
    ExpectWithinTargets(r, 3000, 50, c.name);
  }
}

TEST(Pacer, MeetsTheTargetsUnderEverySemanticsWithJitteryLatency) {
  // A loaded machine: each leg of a request takes 10 to 30 ms.
  for (const Case& c : Semantics()) {
    for (int workers : {4, 16}) {
      const RunResult r = Drive(c.server, workers, 3000, 20, 20);
      ExpectWithinTargets(r, 3000, 50, c.name + std::string(" x") + std::to_string(workers),
                          c.jittery_wall);
    }
  }
}

TEST(Pacer, SpreadsTheBudgetAcrossTheWindow) {
  testing::FakeClock clock(kStart - 500);  // on a whole second
  RateLimitPacer pacer(clock);
  const UnixMillis reset = clock.Now() + 10'000;
  ASSERT_EQ(pacer.BeforeRequest(), 0);
  const HttpResponse first = WithBudget(1, 99, reset);
  pacer.OnComplete(&first);
  // 100 per 10 s (a whole-second Reset may have been rounded up: taken as 9 s ahead), less the
  // margin: about 92 ms apart (after the one request of credit), not 99 at once.
  int64_t total = 0;
  for (int i = 0; i < 5; ++i) {
    total += pacer.BeforeRequest();
    const HttpResponse r = WithBudget(2 + i, 98 - i, reset);
    pacer.OnComplete(&r);
  }
  EXPECT_GE(total, 3 * 90);
  EXPECT_LE(total, 3 * 95);
}

TEST(Pacer, MarginGrowsOnA429AndCreepsBackWhileClean) {
  testing::FakeClock clock(kStart - 500);
  RateLimitPacer pacer(clock);
  EXPECT_DOUBLE_EQ(pacer.margin(), RateLimitPacer::kBaseMargin);
  pacer.BeforeRequest();
  HttpResponse r = WithBudget(1, 9, clock.Now() + 1000);
  pacer.OnComplete(&r);
  pacer.BlockUntil(clock.Now() + 10);
  const double after = pacer.margin();
  EXPECT_GT(after, RateLimitPacer::kBaseMargin);
  for (int second = 1; second <= 20; ++second) {
    clock.Advance(1000);
    pacer.BeforeRequest();
    r = WithBudget(1, 9, clock.Now() + 1000);
    pacer.OnComplete(&r);
  }
  EXPECT_DOUBLE_EQ(pacer.margin(), RateLimitPacer::kBaseMargin);
}

TEST(Pacer, AnEndpointWithItsOwnLimitGetsItsOwnBudget) {
  testing::FakeClock clock(kStart - 500);
  RateLimitPacer pacer(clock);
  const UnixMillis now = clock.Now();
  // Most endpoints share 50 a second; /events/volume shows 60 a minute.
  for (const char* path : {"/sources", "/destinations", "/warehouses/AbC1/connected-sources"}) {
    pacer.BeforeRequest(path);
    const HttpResponse r = WithBudget(10, 40, now + 1000);
    pacer.OnComplete(&r, path);
  }
  pacer.BeforeRequest("/events/volume");
  const HttpResponse volume = WithBudget(1, 59, now + 60'000);
  pacer.OnComplete(&volume, "/events/volume");
  // A new budget: this request, and one of credit.
  EXPECT_EQ(pacer.BeforeRequest("/events/volume"), 0);
  EXPECT_EQ(pacer.BeforeRequest("/events/volume"), 0);
  // /events/volume's next request waits about a second (60 a minute spread out); the others
  // go on at their own pace meanwhile.
  EXPECT_GE(pacer.BeforeRequest("/events/volume"), 950);
  EXPECT_EQ(pacer.BeforeRequest("/sources"), 0);
  // A 429 on /events/volume blocks that endpoint only.
  pacer.BlockUntil(clock.Now() + 30'000, "/events/volume");
  EXPECT_LE(pacer.BeforeRequest("/destinations"), 100);
  EXPECT_GE(pacer.BeforeRequest("/events/volume"), 30'000);
}

TEST(Pacer, ADeclaredEndpointNeverSetsTheSharedBudgetEvenWhenAloneToSendHeaders) {
  testing::FakeClock clock(kStart - 500);
  RateLimitPacer pacer(clock);
  pacer.DeclareOwnBudget("/events/volume");
  pacer.DeclareOwnBudget("/warehouses/{id}/syncs");
  const UnixMillis now = clock.Now();
  // Only the declared endpoints send rate-limit headers (60 and 2 a minute).
  for (int i = 0; i < 3; ++i) {
    pacer.BeforeRequest("/events/volume");
    const HttpResponse volume = WithBudget(1 + i, 59 - i, now + 60'000);
    pacer.OnComplete(&volume, "/events/volume");
    pacer.BeforeRequest("/warehouses/Wh1/syncs");
    const HttpResponse syncs = WithBudget(1, 1, now + 60'000);
    pacer.OnComplete(&syncs, "/warehouses/Wh1/syncs");
  }
  // The other endpoints are not paced by their budgets.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(pacer.BeforeRequest("/destinations/AbC1/subscriptions"), 0) << i;
    pacer.OnComplete(nullptr, "/destinations/AbC1/subscriptions");
  }
  // Its own budget paces it by what the server says is left: no spreading while there is room
  // (one worker at a time reads it), a wait once the window is spent.
  EXPECT_EQ(pacer.BeforeRequest("/events/volume"), 0);
  const HttpResponse spent = WithBudget(60, 0, now + 60'000);
  pacer.OnComplete(&spent, "/events/volume");
  EXPECT_FALSE(pacer.OwnBudgetBinds("/events/volume"));
  EXPECT_GE(pacer.BeforeRequest("/events/volume"), 950);
  // That wait is what tells the engine to read it with one worker from now on.
  EXPECT_TRUE(pacer.OwnBudgetBinds("/events/volume"));
  EXPECT_FALSE(pacer.OwnBudgetBinds("/warehouses/Wh2/syncs"));
}

TEST(Pacer, ADeclaredBudgetBindsOnceItMakesARequestWaitOrMeetsA429) {
  testing::FakeClock clock(kStart);
  RateLimitPacer pacer(clock);
  pacer.DeclareOwnBudget("/warehouses/{id}/syncs");
  // No headers, no 429: nothing binds, however many requests.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(pacer.BeforeRequest("/warehouses/Wh1/syncs"), 0);
    pacer.OnComplete(nullptr, "/warehouses/Wh1/syncs");
  }
  EXPECT_FALSE(pacer.OwnBudgetBinds("/warehouses/Wh1/syncs"));
  pacer.BlockUntil(clock.Now() + 30'000, "/warehouses/Wh9/syncs");
  EXPECT_TRUE(pacer.OwnBudgetBinds("/warehouses/Wh1/syncs"));
  // A 429 on an endpoint that shares the common budget binds nothing of its own.
  pacer.BlockUntil(clock.Now() + 30'000, "/sources");
  EXPECT_FALSE(pacer.OwnBudgetBinds("/sources"));
}

TEST(Pacer, ADeclaredEndpointShowingTheSharedLimitIsCountedInTheSharedBudget) {
  // A server where /warehouses/{id}/syncs has no limit of its own: it shows the shared count.
  // Counted apart, its requests would overrun the shared budget (the benchmark drew a 429 so).
  testing::FakeClock clock(kStart - 500);
  RateLimitPacer pacer(clock);
  pacer.DeclareOwnBudget("/warehouses/{id}/syncs");
  const UnixMillis reset = clock.Now() + 1000;
  for (int i = 0; i < 3; ++i) {
    pacer.BeforeRequest("/sources");
    const HttpResponse shared = WithBudget(1 + i, 99 - i, reset);
    pacer.OnComplete(&shared, "/sources");
  }
  pacer.BeforeRequest("/warehouses/Wh1/syncs");
  const HttpResponse syncs = WithBudget(4, 96, reset);
  pacer.OnComplete(&syncs, "/warehouses/Wh1/syncs");
  // Spread across the window like the others' requests (100 a second: one per 10 ms or so).
  // Unspread, a token bucket answered a quarter of them 429 in the benchmark.
  int64_t waited = 0;
  for (int i = 0; i < 20; ++i) {
    waited += pacer.BeforeRequest("/warehouses/Wh1/syncs");
    pacer.OnComplete(nullptr, "/warehouses/Wh1/syncs");
  }
  EXPECT_GE(waited, 150);
  // 96 left, shared by both: in flight on either endpoint counts against the same Remaining.
  for (int i = 0; i < 48; ++i) {
    pacer.BeforeRequest("/warehouses/Wh1/syncs");
    pacer.BeforeRequest("/destinations");
  }
  EXPECT_GT(pacer.BeforeRequest("/warehouses/Wh1/syncs"), 0);
  EXPECT_FALSE(pacer.OwnBudgetBinds("/warehouses/Wh1/syncs"))
      << "a wait for the shared budget does not make it one worker's endpoint";
  // When its headers show a limit of its own (2 a minute), it is paced apart again.
  const HttpResponse own = WithBudget(1, 1, clock.Now() + 60'000);
  pacer.OnComplete(&own, "/warehouses/Wh2/syncs");
  pacer.BeforeRequest("/warehouses/Wh3/syncs");
  EXPECT_EQ(pacer.BeforeRequest("/sources"), 0);
}

TEST(Pacer, EndpointPatternsReplaceIds) {
  EXPECT_EQ(EndpointPattern("/destinations/AbC12xyz/subscriptions"),
            "/destinations/*/subscriptions");
  EXPECT_EQ(EndpointPattern("/usage/api-calls/daily?period=2026-01-01"), "/usage/api-calls/daily");
  EXPECT_EQ(EndpointPattern("/events/volume"), "/events/volume");
  EXPECT_EQ(EndpointPattern(""), "/");
}

TEST(Pacer, ResetMayBeADateOrAnInteger) {
  const UnixMillis now = kStart;
  EXPECT_EQ(ParseRateLimitReset(FormatRfc5322(kStart + 500), now), kStart + 500);
  EXPECT_EQ(ParseRateLimitReset("1795824001", now), kStart + 500);
  EXPECT_EQ(ParseRateLimitReset("1795824001000", now), kStart + 500);
  EXPECT_EQ(ParseRateLimitReset("3", now), now + 3000);
  EXPECT_EQ(ParseRateLimitReset("soon", now), std::nullopt);
}

}  // namespace
}  // namespace segsync
