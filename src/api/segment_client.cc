// SPDX-License-Identifier: Apache-2.0
// The Segment API client: auth, the `data` envelope, retries, 429 waits, split pages.
#include "api/segment_client.h"

#include <algorithm>
#include <charconv>

#include "api/errors.h"
#include "api/json_faults.h"
#include "api/list_split.h"
#include "core/cancel.h"
#include "core/log.h"

namespace segsync {

// Bodies are parsed in place (ResponseBody keeps this padding allocated past their end).
static_assert(ResponseBody::kPadding >= simdjson::SIMDJSON_PADDING);

namespace {

std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  const size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const size_t end = url.find('/', start);
  return std::string(
      url.substr(start, end == std::string_view::npos ? url.size() - start : end - start));
}

/// How long a 429 asks us to wait: data.msBeforeNext, then Retry-After, then X-RateLimit-Reset.
std::optional<int64_t> RateLimitWaitMs(const HttpResponse& response, UnixMillis now) {
  const ApiError error = ParseErrorEnvelope(response.body);
  if (error.ms_before_next) {
    return *error.ms_before_next;
  }
  const std::string_view retry_after = response.Header("retry-after");
  if (!retry_after.empty()) {
    int64_t seconds = 0;
    auto res =
        std::from_chars(retry_after.data(), retry_after.data() + retry_after.size(), seconds);
    if (res.ec == std::errc() && res.ptr == retry_after.data() + retry_after.size()) {
      // Clamped first so the product cannot overflow; the caller caps the wait at an hour.
      return std::clamp<int64_t>(seconds, 0, 1'000'000'000) * 1000;
    }
    auto date = ParseRfc5322(retry_after);
    if (date.ok()) {
      return *date - now;
    }
  }
  if (auto reset = ParseRateLimitReset(response.Header("x-ratelimit-reset"), now)) {
    return *reset - now;
  }
  return std::nullopt;
}

}  // namespace

SegmentClient::SegmentClient(HttpClient& http, RateLimitPacer& pacer, Clock& clock,
                             ClientOptions options)
    : http_(http),
      pacer_(pacer),
      clock_(clock),
      options_(std::move(options)),
      jitter_(std::random_device{}()) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') {
    options_.base_url.pop_back();
  }
}

Result<simdjson::dom::element> SegmentClient::GetData(std::string_view path,
                                                      const QueryParams& query,
                                                      simdjson::dom::parser& parser,
                                                      RequestStats& stats) {
  SEGSYNC_ASSIGN_OR_RETURN(ApiPage page, GetPage(path, query, parser, stats, {}));
  return page.data;
}

Result<ApiPage> SegmentClient::GetPage(std::string_view path, const QueryParams& query,
                                       simdjson::dom::parser& parser, RequestStats& stats,
                                       const SplitOptions& split) {
  HttpRequest request;
  request.url = options_.base_url + std::string(path);
  if (!query.empty()) {
    request.url += "?" + BuildQueryString(query);
  }
  request.headers = {{"Authorization", "Bearer " + options_.token}, {"Accept", "application/json"}};

  int failures = 0;
  int rate_limit_waits = 0;
  std::string last_cause;
  while (true) {
    stats.waited_ms += pacer_.BeforeRequest(path);
    ++stats.requests;
    const UnixMillis sent_at = clock_.Now();
    Result<HttpResponse> sent = http_.Send(request);
    pacer_.OnComplete(sent.ok() ? &*sent : nullptr, path);
    if (GetLogLevel() == LogLevel::kDebug) {
      // The URL carries no secret (the token travels in a header).
      LogDebug("GET " + request.url.substr(options_.base_url.size()) + " -> " +
               (sent.ok() ? std::to_string(sent->status) : sent.status().message()) + " (" +
               std::to_string(clock_.Now() - sent_at) + " ms)");
    }
    ResponseAction action = ResponseAction::kRetry;
    const HttpResponse* response = nullptr;
    if (!sent.ok() && sent.status().code() == StatusCode::kInterrupted) {
      return sent.status();
    }
    if (!sent.ok() && sent.status().http_status() != -1) {
      reached_api_ = true;  // connected, then the transfer failed: the API is there
    }
    if (sent.ok()) {
      reached_api_ = true;
      response = &*sent;
      action = ActionForHttpStatus(response->status);
    } else {
      last_cause = sent.status().message();
    }

    if (action == ResponseAction::kSuccess && !split.list_key.empty() &&
        response->body.size() >= split.min_body_bytes) {
      if (auto parts = SplitDataList(response->body, split.list_key)) {
        // Parse the page without its list's items; they are parsed one at a time later.
        const std::string_view body = response->body.view();
        std::string envelope;
        envelope.reserve(parts->open + 1 + (body.size() - parts->close) +
                         simdjson::SIMDJSON_PADDING);
        envelope.append(body.substr(0, parts->open + 1)).append(body.substr(parts->close));
        simdjson::dom::element doc;
        ApiPage page;
        if (parser.parse(envelope).get(doc) == simdjson::SUCCESS &&
            doc["data"].get(page.data) == simdjson::SUCCESS && page.data.is_object()) {
          page.split = true;
          page.items = std::move(parts->items);
          page.body = std::move(sent->body);
          return page;
        }
        // Otherwise the whole body is parsed below, and its error reported as usual.
      }
    }
    if (action == ResponseAction::kSuccess) {
      simdjson::dom::element doc;
      simdjson::dom::element data;
      const auto error = ParseKeepingNumbers(parser, sent->body, doc);
      const std::string fault = error == simdjson::UTF8_ERROR || error == simdjson::STRING_ERROR
                                    ? DescribeTextFault(response->body)
                                    : std::string();
      if (!fault.empty()) {
        // The page arrived whole: asking again brings the same text back.
        return Status::Parse("GET " + std::string(path) + ": the response holds " + fault +
                             ", which is not Unicode text, so the page cannot be stored; "
                             "report it to Segment support with this message");
      }
      if (error != simdjson::SUCCESS) {
        last_cause = std::string("the response body is not valid JSON (") +
                     simdjson::error_message(error) + "), perhaps truncated";
        action = ResponseAction::kRetry;
      } else if (doc["data"].get(data) != simdjson::SUCCESS || !data.is_object()) {
        last_cause = "the response has no `data` object";
        action = ResponseAction::kRetry;
      } else {
        ApiPage page;
        page.data = data;
        return page;
      }
    }

    switch (action) {
      case ResponseAction::kSuccess:
      case ResponseAction::kRetry:
        if (response != nullptr && response->status >= 300) {
          last_cause = "HTTP " + std::to_string(response->status) + " " +
                       DescribeApiError(ParseErrorEnvelope(response->body));
        }
        if (CancelRequested()) {
          return Status(StatusCode::kInterrupted,
                        "GET " + std::string(path) + " stopped by a signal");
        }
        if (failures >= options_.retry.max_retries) {
          return Status(StatusCode::kTransient,
                        "GET " + std::string(path) + " failed after " +
                            (failures == 0 ? std::string("1 attempt")
                                           : std::to_string(failures + 1) + " attempts") +
                            ": " + last_cause);
        }
        ++failures;
        ++stats.retries;
        {
          const int64_t delay = options_.retry.BackoffMs(failures, jitter_());
          LogDebug("GET " + std::string(path) + ": " + last_cause + "; retrying in " +
                   std::to_string(delay) + " ms");
          clock_.SleepFor(delay);
        }
        continue;
      case ResponseAction::kRateLimited: {
        ++stats.rate_limited;
        if (CancelRequested()) {
          return Status(StatusCode::kInterrupted,
                        "GET " + std::string(path) + " stopped by a signal");
        }
        if (rate_limit_waits >= options_.max_rate_limit_waits) {
          return Status(StatusCode::kRateLimited,
                        "GET " + std::string(path) + " was still rate limited (429) after " +
                            std::to_string(rate_limit_waits) + " waits",
                        429);
        }
        ++rate_limit_waits;
        ++stats.retries;
        const UnixMillis now = clock_.Now();
        int64_t wait = RateLimitWaitMs(*response, now)
                           .value_or(options_.retry.BackoffMs(rate_limit_waits, jitter_()));
        wait = std::clamp<int64_t>(wait, 0, 3'600'000);
        // A few ms of margin so we do not arrive just before the window opens.
        pacer_.BlockUntil(now + wait + 5, path);
        LogDebug("GET " + std::string(path) + ": rate limited; waiting " + std::to_string(wait) +
                 " ms");
        continue;
      }
      case ResponseAction::kAuthFailed:
        return Status(StatusCode::kAuth,
                      "the API token was rejected (HTTP 401) by " + HostOf(options_.base_url) +
                          " (region " + options_.region +
                          "): " + DescribeApiError(ParseErrorEnvelope(response->body)) +
                          ". Check the token (api_token or SEGMENT_API_TOKEN); a workspace in the "
                          "EU needs region \"eu\", one in the US region \"us\"",
                      401);
      case ResponseAction::kNotEntitled: {
        const ApiError error = ParseErrorEnvelope(response->body);
        if (!error.envelope) {
          // Only Segment's own envelope says "your plan lacks this"; anything else came from
          // something between segsync and the API, and skipping the stream would hide it.
          std::string type(response->Header("content-type"));
          return Status(
              StatusCode::kInvalid,
              "GET " + std::string(path) +
                  " answered HTTP 403 with a body that is not "
                  "the Segment API's (" +
                  (type.empty() ? "no content type" : type) + ": '" + BodyExcerpt(response->body) +
                  "'): a proxy or firewall between segsync and " + HostOf(options_.base_url) +
                  " refused the request; check HTTPS_PROXY/NO_PROXY and api_url",
              403);
        }
        return Status(StatusCode::kNotEntitled, DescribeApiError(error), response->status);
      }
      case ResponseAction::kNotFound:
        return Status(StatusCode::kNotFound,
                      "GET " + std::string(path) + " answered 404 " +
                          DescribeApiError(ParseErrorEnvelope(response->body)),
                      404);
      case ResponseAction::kFail:
        return Status(StatusCode::kInvalid,
                      "GET " + std::string(path) + " answered HTTP " +
                          std::to_string(response->status) + " " +
                          DescribeApiError(ParseErrorEnvelope(response->body)),
                      response->status);
    }
  }
}

}  // namespace segsync
