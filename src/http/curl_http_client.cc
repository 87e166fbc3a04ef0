// SPDX-License-Identifier: Apache-2.0
// The libcurl HttpClient: one reused handle, verified TLS, timeouts, cancel.
#include "http/curl_http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <new>

#include "core/cancel.h"

namespace segsync {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

/// Where one transfer's body goes, and why it was cut off, if it was.
struct BodySink {
  ResponseBody* body = nullptr;
  size_t limit = 0;
  bool too_big = false;
  bool out_of_memory = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  ResponseBody* body = sink->body;
  const size_t bytes = size * count;
  // libcurl hands over decoded bytes (CURLOPT_ACCEPT_ENCODING), so this bounds what a gzip bomb
  // expands to as well as an endless body; returning less than `bytes` aborts the transfer.
  if (bytes > sink->limit - std::min(sink->limit, body->size())) {
    sink->too_big = true;
    return 0;
  }
  if (!body->Append(data, bytes)) {
    sink->out_of_memory = true;
    return 0;
  }
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a redirect or 100-continue) starts a new header block.
    response->headers.clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    return size * count;
  }
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  response->headers.emplace_back(std::move(name), std::string(value));
  return size * count;
}

/// Aborts a transfer (stalled or slow) as soon as a stop is requested.
int OnProgress(void* /*user*/, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
               curl_off_t /*ulnow*/) {
  return CancelRequested() ? 1 : 0;
}

}  // namespace

struct CurlHttpClient::Impl {
  std::unique_ptr<CURL, CurlEasyDeleter> handle;
  CurlOptions options;
};

void GlobalHttpInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
void GlobalHttpCleanup() { curl_global_cleanup(); }

CurlHttpClient::CurlHttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
CurlHttpClient::~CurlHttpClient() = default;

Result<std::unique_ptr<CurlHttpClient>> CurlHttpClient::Make(const CurlOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->handle.reset(curl_easy_init());
  if (!impl->handle) {
    return Status::Internal("could not initialise libcurl");
  }
  impl->options = options;
  CURL* h = impl->handle.get();
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, options.request_timeout_s);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // gzip only: it shrinks JSON pages ~20x at little CPU; brotli costs servers far more time
  // per page (measured ~100x slower than gzip against cpp-httplib) for a small further gain.
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(h, CURLOPT_USERAGENT, impl->options.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (!impl->options.ca_bundle.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, impl->options.ca_bundle.c_str());
  }
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  return std::unique_ptr<CurlHttpClient>(new CurlHttpClient(std::move(impl)));
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  CURL* h = impl_->handle.get();
  std::unique_ptr<curl_slist, CurlSlistDeleter> headers;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line.append(": ").append(value);
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) {
      return Status::Internal("out of memory building request headers");
    }
    (void)headers.release();
    headers.reset(appended);
  }
  HttpResponse response;
  BodySink sink{&response.body, impl_->options.max_response_bytes};
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                   request.method == "GET" ? nullptr : request.method.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
  const CURLcode code = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  if (sink.too_big) {
    // The same request would bring the same body again: not worth a retry.
    return Status(StatusCode::kInvalid,
                  "the response to " + request.url + " is larger than " +
                      std::to_string(impl_->options.max_response_bytes >> 20) +
                      " MiB (decoded), far beyond any page of the Segment API; it was abandoned. "
                      "Check api_url and any proxy in between");
  }
  if (sink.out_of_memory) {
    return Status(StatusCode::kInternal,
                  "out of memory reading the response to " + request.url +
                      "; raise the memory limit of this process or lower max_concurrency");
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return Status(StatusCode::kInterrupted, "request to " + request.url + " stopped by a signal");
  }
  if (code != CURLE_OK) {
    // -1 marks a failure before any connection was made: the API was not reached at all.
    const bool never_connected = code == CURLE_COULDNT_RESOLVE_HOST ||
                                 code == CURLE_COULDNT_RESOLVE_PROXY ||
                                 code == CURLE_COULDNT_CONNECT || code == CURLE_SSL_CONNECT_ERROR ||
                                 code == CURLE_PEER_FAILED_VERIFICATION;
    // The URL holds no secret (the token travels in a header), so it is safe to name.
    return Status(StatusCode::kTransient,
                  std::string("request to ") + request.url + " failed: " + curl_easy_strerror(code),
                  never_connected ? -1 : 0);
  }
  long status = 0;  // NOLINT(google-runtime-int): libcurl's type
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace segsync
