// SPDX-License-Identifier: Apache-2.0
// ResponseBody: growth by realloc, padding kept zeroed past the end.
#include "http/response_body.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace segsync {
namespace {

// Read by data() for an empty body, so callers never see null and the padding rule holds.
constexpr char kEmpty[ResponseBody::kPadding] = {};

}  // namespace

ResponseBody::ResponseBody(std::string_view text) { *this = text; }

ResponseBody::ResponseBody(const ResponseBody& other) { *this = other.view(); }

ResponseBody::ResponseBody(ResponseBody&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      released_(std::exchange(other.released_, 0)) {}

ResponseBody& ResponseBody::operator=(const ResponseBody& other) {
  if (this != &other) {
    *this = other.view();
  }
  return *this;
}

ResponseBody& ResponseBody::operator=(ResponseBody&& other) noexcept {
  if (this != &other) {
    std::free(data_);  // NOLINT(cppcoreguidelines-no-malloc): realloc is the point of this class
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    released_ = std::exchange(other.released_, 0);
  }
  return *this;
}

ResponseBody& ResponseBody::operator=(std::string_view text) {
  size_ = 0;
  released_ = 0;
  if (!Append(text.data(), text.size())) {
    throw std::bad_alloc();  // only tests assign text; the network path uses Append
  }
  return *this;
}

ResponseBody::~ResponseBody() {
  std::free(data_);  // NOLINT(cppcoreguidelines-no-malloc)
}

bool ResponseBody::Append(const char* bytes, size_t count) {
  const size_t needed = size_ + count + kPadding;
  if (needed > capacity_) {
    const size_t grown = std::max(needed, capacity_ * 2);
    // NOLINTNEXTLINE(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
    void* moved = std::realloc(data_, grown);
    if (moved == nullptr) {
      return false;
    }
    data_ = static_cast<char*>(moved);
    capacity_ = grown;
  }
  if (count > 0) {
    std::memcpy(data_ + size_, bytes, count);
  }
  size_ += count;
  std::memset(data_ + size_, 0, kPadding);
  return true;
}

void ResponseBody::ReleaseBefore(size_t offset) {
  constexpr size_t kWorthIt = size_t{1} << 20;
  if (data_ == nullptr || capacity_ < kWorthIt || offset > size_) {
    return;
  }
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto address = reinterpret_cast<uintptr_t>(data_);
  // Offsets of whole pages strictly inside this allocation (the allocator's header lies before
  // data_).
  const size_t begin = (address + released_ + page - 1) / page * page - address;
  const size_t end = (address + offset) / page * page - address;
  if (end >= begin + kWorthIt) {
    madvise(data_ + begin, end - begin, MADV_DONTNEED);
    released_ = end;
  }
}

const char* ResponseBody::data() const { return data_ == nullptr ? kEmpty : data_; }

}  // namespace segsync
