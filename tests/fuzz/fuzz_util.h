// SPDX-License-Identifier: Apache-2.0
// Pieces shared by the libFuzzer targets.
//
// A clock that never sleeps, an HTTP client that answers every request with one scripted response,
// and an in-memory file for APIs that take a path.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/segment_client.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/http_client.h"

namespace segsync::fuzz {

/// Time stands still except when someone sleeps; sleeping is instant.
class InstantClock final : public Clock {
 public:
  UnixMillis Now() const override { return now_; }
  void SleepFor(int64_t millis) override {
    if (millis > 0) {
      now_ += millis;
    }
  }

 private:
  UnixMillis now_ = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
};

/// Answers every request with the same response.
class OneResponseClient final : public HttpClient {
 public:
  explicit OneResponseClient(HttpResponse response) : response_(std::move(response)) {}
  Result<HttpResponse> Send(const HttpRequest& /*request*/) override { return response_; }

 private:
  HttpResponse response_;
};

/// An anonymous in-memory file reachable by path (/proc/self/fd/N), rewritten for each input.
class MemoryFile {
 public:
  MemoryFile() : fd_(memfd_create("segsync-fuzz", 0)) {}
  ~MemoryFile() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  /// Replace the contents; false if the file could not be written.
  bool Write(std::string_view contents) const {
    if (fd_ < 0 || ftruncate(fd_, 0) != 0) {
      return false;
    }
    return pwrite(fd_, contents.data(), contents.size(), 0) ==
           static_cast<ssize_t>(contents.size());
  }
  std::string Path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

/// The input as text.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Keep the fuzzers fast and quiet: only errors reach stderr.
inline void QuietLogs() { SetLogLevel(LogLevel::kError); }

/// Options of a SegmentClient that talks to a OneResponseClient: `retries` retries of the
/// scripted answer, and no token worth hiding.
inline ClientOptions FuzzClientOptions(int retries) {
  ClientOptions options;
  options.base_url = "http://127.0.0.1:1";
  options.token = "fuzz-token";
  options.region = "us";
  options.retry.max_retries = retries;
  return options;
}

}  // namespace segsync::fuzz
