// SPDX-License-Identifier: Apache-2.0
// Reading decimal and hexadecimal digits, for the hand-written parsers of the client and simulator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace segsync {

/// The value of a hexadecimal digit (either case), or -1 when `c` is not one.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/// A non-negative decimal integer of 1 to `max_digits` digits (leading zeros allowed; no sign,
/// no spaces); nullopt for anything else. `max_digits` of at most 18 cannot overflow.
constexpr std::optional<int64_t> ParseDigits(std::string_view text, size_t max_digits) {
  if (text.empty() || text.size() > max_digits) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace segsync
