// SPDX-License-Identifier: Apache-2.0
// The Segment API client: one GET with auth, envelope, retries and rate-limit waits.
#pragma once

#include <simdjson.h>

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/pagination.h"
#include "core/clock.h"
#include "core/status.h"
#include "http/http_client.h"
#include "http/pacing.h"
#include "http/retry_policy.h"

namespace segsync {

struct ClientOptions {
  std::string base_url;  // "https://api.segmentapis.com" or the simulator
  std::string token;     // sent as a bearer token; never logged
  std::string region;    // "us" / "eu", for messages
  RetryPolicy retry;
  int max_rate_limit_waits = 30;  // 429s tolerated per request before the stream fails
};

/// What one stream's requests cost; reported per stream in the run summary.
struct RequestStats {
  int64_t requests = 0;
  int64_t retries = 0;
  int64_t rate_limited = 0;  // 429 responses
  int64_t waited_ms = 0;     // time spent waiting on the rate limit
};

/// One page of an answer. When its list was split (`SplitDataList`), `data.<list>` is empty in
/// `data` and `items` holds the bounds of each item's JSON text in `body`.
struct ApiPage {
  simdjson::dom::element data;  // lives in the parser until its next use
  bool split = false;
  ResponseBody body;  // kept only when split
  std::vector<std::pair<size_t, size_t>> items;
};

/// Which pages to split into items: those of at least `min_body_bytes` whose `data.<list_key>`
/// is a list. An empty key splits nothing.
struct SplitOptions {
  std::string_view list_key;
  size_t min_body_bytes = 0;
};

/// Segment specifics over an HttpClient: auth header, envelopes, the status-to-action table,
/// retries with backoff, 429 waits and pacing. Not thread-safe (owns one HttpClient).
class SegmentClient {
 public:
  SegmentClient(HttpClient& http, RateLimitPacer& pacer, Clock& clock, ClientOptions options);

  /// GET `path?query`, retrying what can be retried; returns the parsed `data` element, which
  /// lives in `parser` until its next use.
  Result<simdjson::dom::element> GetData(std::string_view path, const QueryParams& query,
                                         simdjson::dom::parser& parser, RequestStats& stats);
  /// GetData that may hand back a big page's list as unparsed items (see ApiPage).
  Result<ApiPage> GetPage(std::string_view path, const QueryParams& query,
                          simdjson::dom::parser& parser, RequestStats& stats,
                          const SplitOptions& split);

  const ClientOptions& options() const { return options_; }
  /// The budget this client shares with the others of its run.
  RateLimitPacer& pacer() const { return pacer_; }
  /// Whether any request of this client got an HTTP answer (the API is reachable).
  bool reached_api() const { return reached_api_; }

 private:
  HttpClient& http_;
  RateLimitPacer& pacer_;
  Clock& clock_;
  ClientOptions options_;
  std::mt19937_64 jitter_;
  std::atomic<bool> reached_api_ = false;  // read by the engine while other workers run
};

}  // namespace segsync
