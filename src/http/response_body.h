// SPDX-License-Identifier: Apache-2.0
// A response body that grows in place and keeps parser padding past its end.
#pragma once

#include <cstddef>
#include <string_view>

namespace segsync {

/// The bytes of a response body. It grows with realloc: past glibc's mmap threshold (1 MB, set
/// in main) realloc moves pages (mremap) instead of copying them, so a 25 MB page (destinations)
/// never holds its old and new buffers at once while it arrives, as a doubling std::string does.
/// `kPadding` bytes past the end are always allocated, so simdjson parses the body in place.
class ResponseBody {
 public:
  static constexpr size_t kPadding = 64;

  ResponseBody() = default;
  ResponseBody(std::string_view text);  // NOLINT(google-explicit-constructor): tests script bodies
  ResponseBody(const ResponseBody& other);
  ResponseBody(ResponseBody&& other) noexcept;
  ResponseBody& operator=(const ResponseBody& other);
  ResponseBody& operator=(ResponseBody&& other) noexcept;
  ResponseBody& operator=(std::string_view text);
  ~ResponseBody();

  /// Appends bytes; false (and unchanged) when memory ran out.
  [[nodiscard]] bool Append(const char* bytes, size_t count);
  void Clear() {
    size_ = 0;
    released_ = 0;
  }
  /// Hands the memory of the bytes before `offset` back to the system (whole pages only; big
  /// bodies only). Those bytes must never be read again: a split page's items already built.
  void ReleaseBefore(size_t offset);

  /// Never null; at least `kPadding` readable bytes follow `data() + size()`.
  const char* data() const;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data(), size_}; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;  // allocated bytes, padding included
  size_t released_ = 0;  // bytes at the start handed back by ReleaseBefore
};

}  // namespace segsync
