// SPDX-License-Identifier: Apache-2.0
// RateLimitPacer: one request budget shared by every request of a run.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "http/http_client.h"

namespace segsync {

/// The endpoint a path belongs to: every segment that is not a lower-case word (an id) becomes
/// `*`, so `/destinations/AbC12/subscriptions` is `/destinations/*/subscriptions`.
std::string EndpointPattern(std::string_view path);

/// An `X-RateLimit-Reset` value as a time: an RFC 5322 date (what Segment documents), or an
/// integer (epoch seconds, epoch ms, or seconds from now, by magnitude).
std::optional<UnixMillis> ParseRateLimitReset(std::string_view text, UnixMillis now);

/// Request budgets learned from the X-RateLimit-* headers, so that parallel requests do not
/// turn into 429s, whatever way the server counts (fixed windows aligned to the clock or opened
/// by a first request, a sliding window, a token bucket). Thread-safe.
///
/// - The budget is spread across the window: requests start at most `limit / window` per ms,
///   less a margin, where `limit` = Consumed + Remaining and `window` is learned from how far
///   ahead Reset lies and, when the count restarts (fixed windows), from how often it does.
/// - A request may also start only while the known Remaining exceeds the requests in flight.
/// - The margin grows on each 429 met (and nobody starts before the time the 429 named) and
///   shrinks back while responses stay clean.
/// - An endpoint whose headers show a limit other than the one most endpoints share gets its
///   own budget, so one slow endpoint never stalls the others.
class RateLimitPacer {
 public:
  explicit RateLimitPacer(Clock& clock) : clock_(clock) {}

  /// An endpoint documented to have its own limit (`path` may hold placeholders): its headers
  /// never set the budget the other endpoints share, even when it is the first or only one to
  /// send them. Only where its headers show the very limit the other endpoints share (the
  /// server counts it with them) is it paced in the shared budget.
  void DeclareOwnBudget(std::string_view path);

  /// Wait until a request to `path` may start, then count it as in flight. Returns the ms
  /// waited.
  int64_t BeforeRequest(std::string_view path = {});
  /// The request that BeforeRequest admitted has ended; `response` is null on a transport
  /// failure. Learns the budget from a response's rate-limit headers.
  void OnComplete(const HttpResponse* response, std::string_view path = {});
  /// After a 429 on `path`: nobody on its budget sends before `until`, and the margin grows.
  void BlockUntil(UnixMillis until, std::string_view path = {});

  /// Whether a request to `path`'s declared own budget has had to wait for it, or met a 429:
  /// its limit binds, so more parallel requests there would only wait. Never true for an
  /// endpoint that sends no rate-limit headers and never answers 429.
  bool OwnBudgetBinds(std::string_view path);

  /// The share of the learned rate held back (for tests and the debug log).
  double margin(std::string_view path = {});

  static constexpr double kBaseMargin = 0.02;
  static constexpr size_t kTurns = 9;

 private:
  struct Budget {
    int64_t limit = -1;        // requests per window (Consumed + Remaining); -1 while unknown
    int64_t remaining = -1;    // left in the current window; -1 while unknown
    UnixMillis reset_at = 0;   // when the current window ends; 0 while unknown
    int64_t reach_ms = 0;      // the furthest Reset seen ahead of a response, less rounding
    int64_t raw_reach_ms = 0;  // the same, as sent
    int64_t turn_ms = 0;       // the usual time between two restarts of the count; 0: none seen
    std::array<int64_t, kTurns> turns{};  // the latest times between restarts
    size_t turn_count = 0;
    UnixMillis last_turn = 0;    // when the count last restarted
    int64_t last_consumed = -1;  // Consumed of the newest response
    double next_start = 0;       // spacing: the earliest the next request may start (ms)
    UnixMillis probe_at = 0;     // spent with nothing in flight: when one request may try
    UnixMillis blocked_until = 0;
    double margin = kBaseMargin;
    UnixMillis last_bump = 0;     // when a 429 last grew the margin
    UnixMillis clean_since = 0;   // last 429, or when the margin last shrank
    UnixMillis first_header = 0;  // when the first rate-limit headers arrived
  };

  Budget& BudgetFor(std::string_view pattern);
  int64_t InFlight(std::string_view pattern) const;
  void Learn(Budget& budget, int64_t consumed, int64_t remaining, UnixMillis reset_at,
             UnixMillis now);
  static int64_t WindowMs(const Budget& budget);
  static bool Sliding(const Budget& budget, UnixMillis now);
  static double IntervalMs(const Budget& budget);

  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Budget, std::less<>> budgets_;  // "" is the shared budget
  // Which limit (Consumed + Remaining) each endpoint's headers show; the one most endpoints
  // show is the shared limit.
  std::map<std::string, int64_t, std::less<>> limit_of_;
  std::set<std::string, std::less<>> own_;       // endpoints with a budget of their own
  std::set<std::string, std::less<>> declared_;  // DeclareOwnBudget's: own unless shown shared
  std::map<std::string, int64_t, std::less<>> declared_limit_of_;  // the limit each one shows
  std::set<std::string, std::less<>> binding_;             // declared_ ones that made us wait
  std::map<std::string, int64_t, std::less<>> in_flight_;  // requests in flight per endpoint
};

}  // namespace segsync
