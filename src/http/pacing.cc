// SPDX-License-Identifier: Apache-2.0
// The shared request budget, learned from the X-RateLimit-* headers.
#include "http/pacing.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace segsync {
namespace {

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

bool IsWord(std::string_view segment) {
  return !segment.empty() && std::all_of(segment.begin(), segment.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '-' || c == '_';
  });
}

// The margin grows by this much on a 429 (at most once per half window) and shrinks by a
// quarter of it per clean window.
constexpr double kMarginStep = 0.02;
constexpr double kMaxMargin = 0.5;

}  // namespace

std::string EndpointPattern(std::string_view path) {
  path = path.substr(0, path.find('?'));
  std::string out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (!segment.empty()) {
      out += '/';
      out += IsWord(segment) ? segment : std::string_view("*");
    }
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out.empty() ? "/" : out;
}

std::optional<UnixMillis> ParseRateLimitReset(std::string_view text, UnixMillis now) {
  if (auto date = ParseRfc5322(text); date.ok()) {
    return *date;
  }
  const auto value = ParseInt(text);
  if (!value || *value < 0) {
    return std::nullopt;
  }
  if (*value >= 100'000'000'000) {
    return *value;  // epoch milliseconds
  }
  if (*value >= 1'000'000'000) {
    return *value * 1000;  // epoch seconds
  }
  return now + std::min<int64_t>(*value, 100'000'000) * 1000;  // seconds from now
}

RateLimitPacer::Budget& RateLimitPacer::BudgetFor(std::string_view pattern) {
  return budgets_[own_.contains(pattern) ? std::string(pattern) : std::string()];
}

int64_t RateLimitPacer::InFlight(std::string_view pattern) const {
  if (own_.contains(pattern)) {
    auto it = in_flight_.find(pattern);
    return it == in_flight_.end() ? 0 : it->second;
  }
  int64_t shared = 0;
  for (const auto& [key, count] : in_flight_) {
    if (!own_.contains(key)) {
      shared += count;
    }
  }
  return shared;
}

bool RateLimitPacer::Sliding(const Budget& budget, UnixMillis now) {
  // No restart of the count in two windows: the window slides, or a bucket refills; as old
  // requests leave it, those in flight enter it, so they do not spend the Remaining shown.
  return budget.last_turn == 0 && budget.first_header != 0 &&
         now - budget.first_header > 2 * std::max<int64_t>(WindowMs(budget), 1000);
}

int64_t RateLimitPacer::WindowMs(const Budget& budget) {
  // A restart of the count measures the window to the ms; Reset has whole seconds only.
  if (budget.turn_ms > 0) {
    return budget.turn_ms;
  }
  return budget.reach_ms > 0 ? budget.reach_ms : budget.raw_reach_ms;
}

double RateLimitPacer::IntervalMs(const Budget& budget) {
  const int64_t window = WindowMs(budget);
  if (budget.limit <= 0 || window <= 0) {
    return 0;
  }
  return static_cast<double>(window) / (static_cast<double>(budget.limit) * (1 - budget.margin));
}

int64_t RateLimitPacer::BeforeRequest(std::string_view path) {
  const std::string pattern = EndpointPattern(path);
  int64_t waited = 0;
  while (true) {
    int64_t wait = 0;
    {
      std::lock_guard lock(mu_);
      Budget& budget = BudgetFor(pattern);
      const UnixMillis now = clock_.Now();
      // Where the count has been seen to restart (fixed windows), the window ends one measured
      // window after the last restart, whatever a whole-second Reset says.
      if (budget.reset_at != 0 && budget.turn_ms > 0 && budget.last_turn != 0) {
        budget.reset_at = std::min(budget.reset_at, budget.last_turn + budget.turn_ms);
      }
      if (budget.reset_at != 0 && budget.reset_at <= now) {
        // The window rolled over: a full budget again, until a response says otherwise.
        budget.remaining = budget.limit;
        budget.reset_at = 0;
      }
      const int64_t in_flight = InFlight(pattern);
      const double interval = IntervalMs(budget);
      const int64_t step = interval > 0 ? static_cast<int64_t>(std::ceil(interval)) : 5;
      if (budget.blocked_until > now) {
        wait = budget.blocked_until - now;
      } else if (budget.remaining >= 0 &&
                 budget.remaining - (Sliding(budget, now) ? 0 : in_flight) <= 0) {
        // Spent, as far as we know. The requests in flight will tell more. With none: a fixed
        // window turns at its Reset; elsewhere (a sliding window, a bucket) a slot frees before
        // the whole budget does, so one request tries after an interval (a 429 names the wait).
        const int64_t until_reset = budget.reset_at > now ? budget.reset_at - now : step;
        if (in_flight > 0) {
          wait = std::min(step, until_reset);
          budget.probe_at = 0;
        } else if (budget.turn_ms > 0) {
          wait = until_reset;
        } else if (budget.probe_at == 0) {
          budget.probe_at = now + std::min(step, until_reset);
          wait = budget.probe_at - now;
        } else if (budget.probe_at > now) {
          wait = budget.probe_at - now;
        } else {
          budget.probe_at = 0;
          budget.remaining = in_flight + 1;
        }
      } else if (budget.next_start > static_cast<double>(now) &&
                 !(declared_.contains(pattern) && own_.contains(pattern))) {
        // Spread over the window. Not for an endpoint with its own documented limit (where it
        // shows one: else it is paced with the others): once that limit binds one worker at a
        // time reads it (StreamSpec::max_parallel_partitions), so the Remaining it shows is
        // exact, and spreading would only slow a short read (a year of event volume is 27
        // requests: 27 s spread at 60 a minute).
        wait = static_cast<int64_t>(std::ceil(budget.next_start - static_cast<double>(now)));
      }
      if (wait <= 0) {
        ++in_flight_[pattern];
        if (interval > 0) {
          // At most one interval of credit: a late start is made up once, not saved up.
          budget.next_start =
              std::max(budget.next_start, static_cast<double>(now) - interval) + interval;
        }
        return waited;
      }
      if (declared_.contains(pattern) && own_.contains(pattern)) {
        binding_.insert(pattern);
      }
    }
    clock_.SleepFor(wait);
    waited += wait;
  }
}

void RateLimitPacer::DeclareOwnBudget(std::string_view path) {
  std::lock_guard lock(mu_);
  const std::string pattern = EndpointPattern(path);
  declared_.insert(pattern);
  own_.insert(pattern);
}

void RateLimitPacer::OnComplete(const HttpResponse* response, std::string_view path) {
  const std::string pattern = EndpointPattern(path);
  std::lock_guard lock(mu_);
  if (auto it = in_flight_.find(pattern); it != in_flight_.end() && it->second > 0) {
    --it->second;
  }
  if (response == nullptr) {
    return;
  }
  const auto consumed = ParseInt(response->Header("x-ratelimit-consumed"));
  const auto remaining = ParseInt(response->Header("x-ratelimit-remaining"));
  const UnixMillis now = clock_.Now();
  const auto reset_at = ParseRateLimitReset(response->Header("x-ratelimit-reset"), now);
  if (!remaining || !reset_at) {
    return;
  }
  const int64_t used = consumed ? std::max<int64_t>(0, *consumed) : -1;
  const int64_t left = std::max<int64_t>(0, *remaining);
  if (used >= 0) {
    // The shared limit is the one most endpoints show; an endpoint showing another has its own.
    // A declared endpoint never votes, but where it shows the shared limit the server counts it
    // in the shared budget (it has no limit of its own there), and so do we.
    (declared_.contains(pattern) ? declared_limit_of_ : limit_of_)[pattern] = used + left;
  }
  if (used >= 0 && !limit_of_.empty()) {
    std::map<int64_t, int> votes;
    for (const auto& [key, limit] : limit_of_) {
      ++votes[limit];
    }
    const int64_t shared =
        std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) {
          return a.second < b.second;
        })->first;
    std::set<std::string, std::less<>> own;
    for (const std::string& key : declared_) {
      const auto shown = declared_limit_of_.find(key);
      if (shown == declared_limit_of_.end() || shown->second != shared) {
        own.insert(key);
      }
    }
    for (const auto& [key, limit] : limit_of_) {
      if (limit != shared) {
        own.insert(key);
        if (!own_.contains(key)) {
          // The shared budget may have learned from this endpoint's headers: start it over.
          Budget& common = budgets_[""];
          common = Budget{.blocked_until = common.blocked_until, .margin = common.margin};
        }
      }
    }
    for (const std::string& key : own_) {
      if (!own.contains(key)) {
        budgets_.erase(key);
      }
    }
    own_ = std::move(own);
  }
  Learn(BudgetFor(pattern), used, left, *reset_at, now);
}

void RateLimitPacer::Learn(Budget& budget, int64_t consumed, int64_t remaining, UnixMillis reset_at,
                           UnixMillis now) {
  if (reset_at <= now || reset_at < budget.reset_at) {
    return;  // a late answer from a window that has already ended, or older news
  }
  // A whole-second Reset may have been rounded up by up to a second (or down: then the
  // uncorrected reach is all there is).
  budget.reach_ms = std::max(budget.reach_ms, reset_at - now - (reset_at % 1000 == 0 ? 1000 : 0));
  budget.raw_reach_ms = std::max(budget.raw_reach_ms, reset_at - now);
  if (consumed >= 0) {
    const int64_t limit = consumed + remaining;
    // The count restarted (a fixed window turned): the time between two restarts measures
    // the window better than a whole-second Reset can.
    if (consumed < budget.last_consumed && consumed <= std::max<int64_t>(2, limit / 10) &&
        reset_at > budget.reset_at) {
      if (budget.last_turn != 0) {
        // The median of the latest restarts: one answer delayed or early moves it little.
        budget.turns[budget.turn_count++ % budget.turns.size()] = now - budget.last_turn;
        std::array<int64_t, kTurns> sorted{};
        const size_t n = std::min(budget.turn_count, sorted.size());
        std::copy_n(budget.turns.begin(), n, sorted.begin());
        std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
        budget.turn_ms = sorted[n / 2];
      }
      budget.last_turn = now;
    }
    budget.last_consumed = consumed;
    budget.limit = limit;
  } else if (budget.limit < 0) {
    budget.limit = remaining;
  }
  if (reset_at > budget.reset_at || budget.remaining < 0) {
    budget.remaining = remaining;
    budget.reset_at = reset_at;
  } else {
    // Same window: answers arrive out of order; the lowest Remaining is the newest.
    budget.remaining = std::min(budget.remaining, remaining);
  }
  if (budget.clean_since == 0) {
    budget.clean_since = now;
    budget.first_header = now;
  }
  const int64_t window = std::max<int64_t>(WindowMs(budget), 1);
  if (budget.margin > kBaseMargin && now - budget.clean_since >= window) {
    budget.margin = std::max(kBaseMargin, budget.margin - kMarginStep / 4);
    budget.clean_since = now;
  }
}

void RateLimitPacer::BlockUntil(UnixMillis until, std::string_view path) {
  const std::string pattern = EndpointPattern(path);
  std::lock_guard lock(mu_);
  Budget& budget = BudgetFor(pattern);
  budget.blocked_until = std::max(budget.blocked_until, until);
  if (declared_.contains(pattern) && own_.contains(pattern)) {
    binding_.insert(pattern);
  }
  const UnixMillis now = clock_.Now();
  // One 429 or a volley of them (the requests in flight meet the same full window): one step.
  if (budget.last_bump == 0 || now - budget.last_bump >= WindowMs(budget) / 2) {
    budget.margin = std::min(kMaxMargin, budget.margin + kMarginStep);
    budget.last_bump = now;
  }
  budget.clean_since = now;
}

bool RateLimitPacer::OwnBudgetBinds(std::string_view path) {
  const std::string pattern = EndpointPattern(path);
  std::lock_guard lock(mu_);
  return binding_.contains(pattern) && own_.contains(pattern);
}

double RateLimitPacer::margin(std::string_view path) {
  std::lock_guard lock(mu_);
  return BudgetFor(EndpointPattern(path)).margin;
}

}  // namespace segsync
