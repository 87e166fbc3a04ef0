// SPDX-License-Identifier: Apache-2.0
// The HTTP status-to-action table and Segment's error envelope.
#include "api/errors.h"

#include <simdjson.h>

#include <algorithm>

namespace segsync {
namespace {

/// More than enough for any wait (the client caps waits at an hour), and exact as an int64_t.
constexpr double kMaxWaitMs = 1e15;

}  // namespace

ResponseAction ActionForHttpStatus(int http_status) {
  if (http_status >= 200 && http_status < 300) {
    return ResponseAction::kSuccess;
  }
  switch (http_status) {
    case 401:
      return ResponseAction::kAuthFailed;
    case 403:
      return ResponseAction::kNotEntitled;
    case 404:
      return ResponseAction::kNotFound;
    case 408:
      return ResponseAction::kRetry;
    case 429:
      return ResponseAction::kRateLimited;
    default:
      break;
  }
  if (http_status >= 500) {
    return ResponseAction::kRetry;
  }
  return ResponseAction::kFail;
}

ApiError ParseErrorEnvelope(std::string_view body) {
  ApiError error;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) {
    return error;
  }
  simdjson::dom::array errors;
  if (doc["errors"].get_array().get(errors) != simdjson::SUCCESS || errors.size() == 0) {
    return error;
  }
  error.envelope = true;
  simdjson::dom::element first = errors.at(0);
  std::string_view text;
  if (first["type"].get_string().get(text) == simdjson::SUCCESS) {
    error.type = text;
  }
  if (first["message"].get_string().get(text) == simdjson::SUCCESS) {
    error.message = text;
  }
  if (first["field"].get_string().get(text) == simdjson::SUCCESS) {
    error.field = text;
  }
  simdjson::dom::element ms;
  if (first.at_pointer("/data/msBeforeNext").get(ms) == simdjson::SUCCESS) {
    double value = 0;
    if (ms.is_number() && ms.get_double().get(value) == simdjson::SUCCESS && value >= 0) {
      // Capped: converting a double beyond the range of int64_t is undefined behaviour.
      error.ms_before_next = static_cast<int64_t>(std::min(value, kMaxWaitMs));
    }
  }
  return error;
}

std::string BodyExcerpt(std::string_view body) {
  constexpr size_t kMaxExcerpt = 80;
  std::string out;
  for (const char c : body.substr(0, kMaxExcerpt)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (body.size() > kMaxExcerpt) {
    out += "...";
  }
  return out;
}

std::string DescribeApiError(const ApiError& error) {
  std::string out = error.type.empty() ? "error" : error.type;
  if (!error.message.empty()) {
    out += ": " + error.message;
  }
  if (!error.field.empty()) {
    out += " (field " + error.field + ")";
  }
  return out;
}

}  // namespace segsync
