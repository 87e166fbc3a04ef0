// SPDX-License-Identifier: Apache-2.0
// Finds a response's `data.<key>` list and its items' bounds without parsing them.
#include "api/list_split.h"

#include <cstring>

namespace segsync {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t SkipSpace(std::string_view body, size_t at) {
  while (at < body.size() && IsSpace(body[at])) {
    ++at;
  }
  return at;
}

/// The items of the list whose '[' is at `open`.
std::optional<ListSplit> SplitItems(std::string_view body, size_t open) {
  ListSplit split;
  split.open = open;
  size_t at = SkipSpace(body, open + 1);
  if (at < body.size() && body[at] == ']') {
    split.close = at;
    return split;
  }
  size_t begin = at;
  size_t depth = 0;
  while (at < body.size()) {
    const char c = body[at];
    if (c == '"') {
      at = StringEnd(body, at);
      if (at == std::string_view::npos) {
        return std::nullopt;
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    } else if (c == '}') {
      return std::nullopt;  // unbalanced
    } else if (depth == 0 && (c == ',' || c == ']')) {
      size_t end = at;
      while (end > begin && IsSpace(body[end - 1])) {
        --end;
      }
      if (end == begin) {
        return std::nullopt;  // an empty item: not JSON
      }
      split.items.emplace_back(begin, end);
      if (c == ']') {
        split.close = at;
        return split;
      }
      begin = SkipSpace(body, at + 1);
      at = begin;
      continue;
    }
    ++at;
  }
  return std::nullopt;  // cut short
}

}  // namespace

size_t StringEnd(std::string_view body, size_t open) {
  size_t at = open + 1;
  while (at < body.size()) {
    const void* found = std::memchr(body.data() + at, '"', body.size() - at);
    if (found == nullptr) {
      return std::string_view::npos;
    }
    const auto quote = static_cast<size_t>(static_cast<const char*>(found) - body.data());
    size_t backslashes = 0;
    while (quote - backslashes > open + 1 && body[quote - backslashes - 1] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 0) {
      return quote;
    }
    at = quote + 1;
  }
  return std::string_view::npos;
}

std::optional<ListSplit> SplitDataList(std::string_view body, std::string_view key) {
  size_t depth = 0;
  bool data_next = false;  // the next '{' opens the top-level `data` object
  bool in_data = false;    // depth 2 is inside `data`
  std::string_view last_string;
  size_t at = 0;
  while (at < body.size()) {
    const char c = body[at];
    if (c == '"') {
      const size_t end = StringEnd(body, at);
      if (end == std::string_view::npos) {
        return std::nullopt;
      }
      last_string = body.substr(at + 1, end - at - 1);
      at = end + 1;
      continue;
    }
    if (c == ':') {
      const size_t value = SkipSpace(body, at + 1);
      if (value >= body.size()) {
        return std::nullopt;
      }
      if (depth == 1 && last_string == "data" && body[value] == '{') {
        data_next = true;
      } else if (depth == 2 && in_data && last_string == key) {
        if (body[value] != '[') {
          return std::nullopt;
        }
        return SplitItems(body, value);
      }
      at = value;
      continue;
    }
    if (c == '{' || c == '[') {
      ++depth;
      in_data = in_data || (data_next && depth == 2);
      data_next = false;
    } else if (c == '}' || c == ']') {
      if (depth == 0) {
        return std::nullopt;
      }
      if (depth == 2 && in_data) {
        return std::nullopt;  // `data` has no such key
      }
      --depth;
    }
    ++at;
  }
  return std::nullopt;
}

}  // namespace segsync
