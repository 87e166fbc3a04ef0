// SPDX-License-Identifier: Apache-2.0
// The HTTP status-to-action table and Segment's error envelope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace segsync {

/// What the client does with a response: the one status-to-action table.
enum class ResponseAction {
  kSuccess,      // 2xx: use the body
  kRetry,        // 5xx, 408, transport failure, unusable body: back off and retry
  kRateLimited,  // 429: wait as the response says, then retry
  kNotEntitled,  // 403: the workspace lacks the plan or feature; skip the stream
  kNotFound,     // 404: the resource is gone (a parent deleted mid-run) or the path is wrong
  kAuthFailed,   // 401: stop everything before writing
  kFail,         // other 4xx (422 ...): our request is wrong; retrying cannot help
};

ResponseAction ActionForHttpStatus(int http_status);

/// The first entry of Segment's `{"errors":[{type, message, field, data}]}` envelope.
struct ApiError {
  std::string type;
  std::string message;
  std::string field;
  std::optional<int64_t> ms_before_next;  // data.msBeforeNext on a 429
  /// Whether the body was Segment's envelope at all (a JSON object with a non-empty `errors`
  /// list); an HTML page from a proxy or a firewall is not.
  bool envelope = false;
};

/// Parse an error envelope; an unparseable body yields an ApiError with empty fields.
ApiError ParseErrorEnvelope(std::string_view body);

/// The start of a body that is not an envelope, on one line, for messages: `<html>...`.
std::string BodyExcerpt(std::string_view body);

/// "NotFound: Resource not found (field x)": for messages to people.
std::string DescribeApiError(const ApiError& error);

}  // namespace segsync
