// SPDX-License-Identifier: Apache-2.0
// Fuzzes the Segment API's error answers: envelope, 429 waits, pacer.
//
// An error answer of the Segment API. The first byte picks the HTTP status; then come header
// lines ("name: value", names as the client lower-cases them) up to an empty line, then the
// body. The envelope is parsed directly and through SegmentClient, whose 429 path reads
// data.msBeforeNext, Retry-After and X-RateLimit-Reset, and whose 2xx path feeds the pacer.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/errors.h"
#include "api/segment_client.h"
#include "fuzz_util.h"
#include "http/pacing.h"

namespace {

constexpr int kStatuses[] = {429, 401, 403, 404, 408, 422, 500, 503, 200, 204, 302};

segsync::HttpResponse ResponseFrom(std::string_view input) {
  segsync::HttpResponse response;
  const size_t end_of_headers = input.find("\n\n");
  std::string_view headers = input.substr(0, end_of_headers);
  if (end_of_headers != std::string_view::npos) {
    response.body = std::string(input.substr(end_of_headers + 2));
  }
  while (!headers.empty()) {
    const size_t eol = headers.find('\n');
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 1);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return response;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view rest = segsync::fuzz::AsText(data + 1, size - 1);
  segsync::HttpResponse response = ResponseFrom(rest);
  response.status = kStatuses[data[0] % std::size(kStatuses)];

  const segsync::ApiError error = segsync::ParseErrorEnvelope(response.body);
  (void)segsync::DescribeApiError(error);
  if (error.ms_before_next && *error.ms_before_next < 0) {
    std::abort();
  }

  segsync::fuzz::OneResponseClient http(std::move(response));
  segsync::fuzz::InstantClock clock;
  segsync::RateLimitPacer pacer(clock);
  segsync::ClientOptions options = segsync::fuzz::FuzzClientOptions(1);
  options.max_rate_limit_waits = 1;
  segsync::SegmentClient client(http, pacer, clock, options);
  simdjson::dom::parser parser;
  segsync::RequestStats stats;
  auto result = client.GetData("/sources", {{"pagination.count", "2"}}, parser, stats);
  if (stats.waited_ms < 0) {
    std::abort();
  }
  (void)result;
  // A pacer that learned a budget from these headers must still let the next request through.
  (void)pacer.BeforeRequest();
  return 0;
}
