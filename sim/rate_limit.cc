// SPDX-License-Identifier: Apache-2.0
// The simulator's rate limiters: each way a real API might count requests, selectable.
#include "sim/rate_limit.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace segsync::sim {
namespace {

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (slash != 0) {
      out.emplace_back(path.substr(0, slash));
    }
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  }
  return out;
}

Result<int64_t> DurationMs(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  int64_t scale = 0;
  if (unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  }
  if (error != std::errc() || value <= 0 || value > 1'000'000 || scale == 0) {
    return Status::Config("window '" + std::string(text) +
                          "' is not a positive number followed by ms, s, m or h");
  }
  return value * scale;
}

}  // namespace

Result<RateLimitMode> RateLimitModeNamed(std::string_view name) {
  if (name == "clock-window") {
    return RateLimitMode::kClockWindow;
  }
  if (name == "first-request-window") {
    return RateLimitMode::kFirstRequestWindow;
  }
  if (name == "sliding-window") {
    return RateLimitMode::kSlidingWindow;
  }
  if (name == "token-bucket") {
    return RateLimitMode::kTokenBucket;
  }
  return Status::Config("rate limit mode '" + std::string(name) +
                        "' is not one of clock-window, first-request-window, sliding-window, "
                        "token-bucket");
}

UnixMillis RoundToSecond(UnixMillis t, bool up) {
  const UnixMillis down = t - ((t % 1000) + 1000) % 1000;
  return up && down != t ? down + 1000 : down;
}

RateLimiter::RateLimiter(RateLimitMode mode, int64_t limit, int64_t window_ms, int64_t burst)
    : mode_(mode), limit_(limit), window_ms_(window_ms), burst_(burst > 0 ? burst : limit) {}

RateDecision RateLimiter::Admit(const std::string& key, UnixMillis now) {
  std::lock_guard lock(mutex_);
  State& state = states_[key];
  switch (mode_) {
    case RateLimitMode::kClockWindow:
      return FixedWindow(state, now, true);
    case RateLimitMode::kFirstRequestWindow:
      return FixedWindow(state, now, false);
    case RateLimitMode::kSlidingWindow:
      return SlidingWindow(state, now);
    case RateLimitMode::kTokenBucket:
      return TokenBucket(state, now);
  }
  return {};
}

// A refused request counts too (the window's count only grows until it closes), as a limiter
// that increments before it compares does.
RateDecision RateLimiter::FixedWindow(State& state, UnixMillis now, bool aligned) const {
  if (aligned) {
    const UnixMillis start = now - now % window_ms_;
    if (state.window_start != start) {
      state.window_start = start;
      state.count = 0;
    }
  } else if (state.window_start < 0 || now >= state.window_start + window_ms_) {
    state.window_start = now;
    state.count = 0;
  }
  ++state.count;
  const UnixMillis end = state.window_start + window_ms_;
  return {state.count <= limit_, state.count, std::max<int64_t>(0, limit_ - state.count), end,
          state.count <= limit_ ? now : end};
}

// A log of admitted arrivals; a refused request is not logged. Reset is when the newest logged
// request leaves the window (the whole limit is free again then).
RateDecision RateLimiter::SlidingWindow(State& state, UnixMillis now) const {
  while (!state.admitted.empty() && state.admitted.front() + window_ms_ <= now) {
    state.admitted.pop_front();
  }
  const bool allowed = static_cast<int64_t>(state.admitted.size()) < limit_;
  if (allowed) {
    state.admitted.push_back(now);
  }
  const auto count = static_cast<int64_t>(state.admitted.size());
  return {allowed, allowed ? count : count + 1, limit_ - count,
          state.admitted.empty() ? now : state.admitted.back() + window_ms_,
          allowed ? now : state.admitted.front() + window_ms_};
}

// Consumed = tokens missing from a full bucket; Reset is when the bucket is full again.
RateDecision RateLimiter::TokenBucket(State& state, UnixMillis now) const {
  const double per_ms = static_cast<double>(limit_) / static_cast<double>(window_ms_);
  const auto capacity = static_cast<double>(burst_);
  if (state.tokens < 0) {
    state.tokens = capacity;
  } else if (now > state.refilled_at) {
    state.tokens =
        std::min(capacity, state.tokens + static_cast<double>(now - state.refilled_at) * per_ms);
  }
  state.refilled_at = std::max(state.refilled_at, now);
  const bool allowed = state.tokens >= 1;
  if (allowed) {
    state.tokens -= 1;
  }
  const auto remaining = static_cast<int64_t>(std::floor(state.tokens));
  const auto ms_until = [&](double tokens) {
    return now + static_cast<int64_t>(std::ceil(std::max(0.0, tokens) / per_ms));
  };
  return {allowed, burst_ - remaining + (allowed ? 0 : 1), remaining,
          ms_until(capacity - state.tokens), allowed ? now : ms_until(1 - state.tokens)};
}

Result<RateLimits> RateLimits::Make(std::string_view mode_name, int64_t limit, int64_t window_ms,
                                    int64_t burst, const std::vector<std::string>& endpoint_specs) {
  SEGSYNC_ASSIGN_OR_RETURN(RateLimitMode mode, RateLimitModeNamed(mode_name));
  if (limit < 0 || window_ms <= 0 || burst < 0) {
    return Status::Config(
        "rate limit must be >= 0 requests per window of > 0 ms, with a burst >= 0");
  }
  RateLimits limits;
  if (limit > 0) {
    limits.default_ = std::make_unique<RateLimiter>(mode, limit, window_ms, burst);
  }
  for (const std::string& spec : endpoint_specs) {
    const size_t equals = spec.rfind('=');
    const size_t slash = spec.find('/', equals == std::string::npos ? 0 : equals);
    int64_t count = 0;
    const char* count_end = spec.data() + (slash == std::string::npos ? spec.size() : slash);
    const bool count_ok =
        equals != std::string::npos && slash != std::string::npos &&
        std::from_chars(spec.data() + equals + 1, count_end, count).ptr == count_end && count > 0;
    if (!count_ok || spec.empty() || spec[0] != '/') {
      return Status::Config("endpoint limit '" + spec +
                            "' is not PATH=N/WINDOW, e.g. /events/volume=60/60s");
    }
    SEGSYNC_ASSIGN_OR_RETURN(int64_t window, DurationMs(std::string_view(spec).substr(slash + 1)));
    limits.endpoints_.push_back(
        {Segments(std::string_view(spec).substr(0, equals)),
         // An endpoint's bucket holds one window's worth, like the default with no burst set.
         std::make_unique<RateLimiter>(mode, count, window, 0)});
  }
  return limits;
}

RateLimiter* RateLimits::For(std::string_view path) const {
  const std::vector<std::string> segments = Segments(path);
  for (const Endpoint& endpoint : endpoints_) {
    if (endpoint.segments.size() > segments.size()) {
      continue;
    }
    bool match = true;
    for (size_t i = 0; i < endpoint.segments.size() && match; ++i) {
      match = endpoint.segments[i] == "*" || endpoint.segments[i] == segments[i];
    }
    if (match) {
      return endpoint.limiter.get();
    }
  }
  return default_.get();
}

}  // namespace segsync::sim
