// SPDX-License-Identifier: Apache-2.0
// Errors as values: Status, Result<T> and the SEGSYNC_*_OR_RETURN macros.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace segsync {

/// What kind of failure a Status carries; each maps to one action and one exit code.
enum class StatusCode {
  kOk,
  kConfig,       // bad configuration or command line: exit 2, nothing contacted
  kAuth,         // token rejected (401): exit 3, nothing written
  kNotEntitled,  // plan or feature gate (403): the stream is skipped
  kNotFound,     // 404
  kRateLimited,  // 429 that outlived every retry
  kTransient,    // 5xx, timeout, reset, truncated or invalid body after every retry
  kInvalid,      // the API rejected the request (422) or answered something we cannot use
  kParse,        // input that is not the JSON we expect
  kIo,           // destination or file system
  kInterrupted,  // SIGINT / SIGTERM
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

/// An error as a value: a code, a message for people, and an optional HTTP status.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, int http_status = 0)
      : code_(code), message_(std::move(message)), http_status_(http_status) {}

  static Status Ok() { return {}; }
  static Status Config(std::string m) { return {StatusCode::kConfig, std::move(m)}; }
  static Status Io(std::string m) { return {StatusCode::kIo, std::move(m)}; }
  static Status Parse(std::string m) { return {StatusCode::kParse, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Invalid(std::string m) { return {StatusCode::kInvalid, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int http_status() const { return http_status_; }

  /// Prefix the message with where it happened, keeping code and HTTP status.
  Status WithContext(std::string_view context) const {
    if (ok()) {
      return *this;
    }
    return {code_, std::string(context) + ": " + message_, http_status_};
  }

  std::string ToString() const {
    return ok() ? "OK" : std::string(StatusCodeName(code_)) + ": " + message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int http_status_ = 0;
};

/// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(data_).ok()) {
      data_ = Status::Internal("Result constructed from an OK status without a value");
    }
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }
  T& operator*() & { return std::get<T>(data_); }
  const T& operator*() const& { return std::get<T>(data_); }
  T&& operator*() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &std::get<T>(data_); }
  const T* operator->() const { return &std::get<T>(data_); }
  T ValueOr(T fallback) const { return ok() ? std::get<T>(data_) : std::move(fallback); }
  T MoveValue() { return std::get<T>(std::move(data_)); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace segsync

#define SEGSYNC_CONCAT_INNER(a, b) a##b
#define SEGSYNC_CONCAT(a, b) SEGSYNC_CONCAT_INNER(a, b)

/// Return the Status from the enclosing function if it is not OK.
#define SEGSYNC_RETURN_NOT_OK(expr)         \
  do {                                      \
    ::segsync::Status _segsync_st = (expr); \
    if (!_segsync_st.ok())                  \
      return _segsync_st;                   \
  } while (false)

// `tmp` is a generated name and `lhs` may be a declaration (`Record r`), so neither can take the
// parentheses bugprone-macro-parentheses asks for.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SEGSYNC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok())                                      \
    return tmp.status();                              \
  lhs = std::move(tmp).MoveValue()
// NOLINTEND(bugprone-macro-parentheses)

/// Declare-or-assign `lhs` from a Result, returning its Status from the function on failure.
#define SEGSYNC_ASSIGN_OR_RETURN(lhs, expr) \
  SEGSYNC_ASSIGN_OR_RETURN_IMPL(SEGSYNC_CONCAT(_segsync_res_, __LINE__), lhs, expr)
