// SPDX-License-Identifier: Apache-2.0
// The libcurl HttpClient: keep-alive, verified TLS, timeouts.
#pragma once

#include <memory>
#include <string>

#include "http/http_client.h"

namespace segsync {

struct CurlOptions {
  long request_timeout_s = 60;  // NOLINT(google-runtime-int): libcurl takes long
  long connect_timeout_s = 15;  // NOLINT(google-runtime-int)
  std::string ca_bundle;        // empty: the system store
  std::string user_agent = "segsync";
  /// The largest response body kept, counted after decompression. The biggest real pages are
  /// about 24 MB (1000 items of a verbose list); 256 MiB is ten times that, so no real page comes
  /// near it, while an endless body or a gzip bomb is stopped long before it exhausts memory.
  size_t max_response_bytes = size_t{256} << 20;
};

/// libcurl client: one easy handle reused for every request, so connections stay alive.
/// TLS is always verified; HTTPS_PROXY/NO_PROXY are honoured by libcurl itself.
/// Not thread-safe: use one per thread.
class CurlHttpClient final : public HttpClient {
 public:
  static Result<std::unique_ptr<CurlHttpClient>> Make(const CurlOptions& options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  struct Impl;
  explicit CurlHttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Call once in main before any thread starts, and the cleanup once at exit.
void GlobalHttpInit();
void GlobalHttpCleanup();

}  // namespace segsync
