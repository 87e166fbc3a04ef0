// SPDX-License-Identifier: Apache-2.0
// The HttpClient interface, so tests can script the network.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "http/response_body.h"

namespace segsync {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HeaderList headers;  // may hold the bearer token: never log them
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased
  ResponseBody body;

  /// The first header with this (lower-case) name, or "" if absent.
  std::string_view Header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) {
        return value;
      }
    }
    return {};
  }
};

/// Sends one HTTP request. A transport failure (refused, reset, timeout, truncated body) is a
/// kTransient Status; any HTTP status, including errors, is a response.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

}  // namespace segsync
