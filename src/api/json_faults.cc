// SPDX-License-Identifier: Apache-2.0
// Valid JSON that simdjson will not hold: outsized numbers kept as written, and text faults named.
#include "api/json_faults.h"

#include <charconv>
#include <cstdint>
#include <cstdio>

#include "api/list_split.h"

namespace segsync {
namespace {

bool IsNumberChar(char c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/// Whether `token` is a number as JSON's grammar spells one: -?(0|[1-9][0-9]*)(.[0-9]+)?
/// ([eE][+-]?[0-9]+)?. Only such a token may be quoted, or unquoted again: anything else was
/// not a number the API wrote.
bool IsJsonNumber(std::string_view token) {
  size_t at = 0;
  const auto digits = [&] {
    const size_t start = at;
    while (at < token.size() && token[at] >= '0' && token[at] <= '9') {
      ++at;
    }
    return at > start;
  };
  if (at < token.size() && token[at] == '-') {
    ++at;
  }
  if (at < token.size() && token[at] == '0') {
    ++at;
  } else if (!digits()) {
    return false;
  }
  if (at < token.size() && token[at] == '.') {
    ++at;
    if (!digits()) {
      return false;
    }
  }
  if (at < token.size() && (token[at] == 'e' || token[at] == 'E')) {
    ++at;
    if (at < token.size() && (token[at] == '+' || token[at] == '-')) {
      ++at;
    }
    if (!digits()) {
      return false;
    }
  }
  return at == token.size();
}

/// Whether simdjson holds this number token in none of its types.
bool Outsized(std::string_view token) {
  if (!IsJsonNumber(token)) {
    return false;
  }
  const char* begin = token.data();
  const char* end = token.data() + token.size();
  if (token.find_first_of(".eE") == std::string_view::npos) {
    int64_t i = 0;
    uint64_t u = 0;
    return std::from_chars(begin, end, i).ec != std::errc() &&
           (token.starts_with('-') || std::from_chars(begin, end, u).ec != std::errc());
  }
  double d = 0;
  return std::from_chars(begin, end, d).ec == std::errc::result_out_of_range;
}

unsigned HexValue(std::string_view hex) {
  unsigned value = 0;
  if (hex.size() != 4 || std::from_chars(hex.data(), hex.data() + 4, value, 16).ec != std::errc()) {
    return 0;
  }
  return value;
}

/// The length of the valid UTF-8 sequence at `at`, or 0 when it is not one.
size_t Utf8Length(std::string_view s, size_t at) {
  const auto byte = [&](size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0U; };
  const unsigned b = byte(at);
  const auto cont = [&](size_t i, unsigned lo, unsigned hi) {
    return byte(i) >= lo && byte(i) <= hi;
  };
  if (b < 0x80) {
    return 1;
  }
  if (b >= 0xC2 && b <= 0xDF) {
    return cont(at + 1, 0x80, 0xBF) ? 2 : 0;
  }
  if (b >= 0xE0 && b <= 0xEF) {
    const unsigned lo = b == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = b == 0xED ? 0x9F : 0xBF;
    return cont(at + 1, lo, hi) && cont(at + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const unsigned lo = b == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(at + 1, lo, hi) && cont(at + 2, 0x80, 0xBF) && cont(at + 3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::optional<std::string> QuoteOutsizedNumbers(std::string_view json) {
  std::string out;
  size_t copied = 0;
  bool changed = false;
  size_t at = 0;
  while (at < json.size()) {
    const char c = json[at];
    if (c == '"') {
      const size_t close = StringEnd(json, at);
      at = close == std::string_view::npos ? json.size() : close + 1;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = at;
      while (end < json.size() && IsNumberChar(json[end])) {
        ++end;
      }
      const std::string_view token = json.substr(at, end - at);
      if (Outsized(token)) {
        out.append(json, copied, at - copied)
            .append(kOutsizedNumberJsonPrefix)
            .append(token)
            .push_back('"');
        copied = end;
        changed = true;
      }
      at = end;
      continue;
    }
    ++at;
  }
  if (!changed) {
    return std::nullopt;
  }
  out.append(json, copied);
  return out;
}

simdjson::error_code ParseKeepingNumbers(simdjson::dom::parser& parser, std::string& text,
                                         simdjson::dom::element& out) {
  text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  auto error = parser.parse(text.data(), text.size(), false).get(out);
  // simdjson reports such a number as a NUMBER_ERROR (BIGINT_ERROR in later releases); any
  // failure is checked, since only a failed parse pays for the scan.
  if (error == simdjson::SUCCESS) {
    return error;
  }
  std::optional<std::string> quoted = QuoteOutsizedNumbers(text);
  if (!quoted) {
    return error;
  }
  text = std::move(*quoted);
  text.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  return parser.parse(text.data(), text.size(), false).get(out);
}

simdjson::error_code ParseKeepingNumbers(simdjson::dom::parser& parser, ResponseBody& body,
                                         simdjson::dom::element& out) {
  static_assert(ResponseBody::kPadding >= simdjson::SIMDJSON_PADDING);
  auto error = parser.parse(body.data(), body.size(), false).get(out);
  if (error == simdjson::SUCCESS) {
    return error;
  }
  std::optional<std::string> quoted = QuoteOutsizedNumbers(body.view());
  if (!quoted) {
    return error;
  }
  body = *quoted;
  return parser.parse(body.data(), body.size(), false).get(out);
}

std::optional<std::string_view> OutsizedNumberIn(std::string_view text) {
  if (!text.starts_with(kOutsizedNumberPrefix)) {
    return std::nullopt;
  }
  text.remove_prefix(kOutsizedNumberPrefix.size());
  if (!Outsized(text)) {
    return std::nullopt;  // a string the API sent that only looks like our marker
  }
  return text;
}

std::string RestoreOutsizedNumbers(std::string json) {
  size_t at = 0;
  while ((at = json.find(kOutsizedNumberJsonPrefix, at)) != std::string::npos) {
    const size_t begin = at + kOutsizedNumberJsonPrefix.size();
    const size_t close = json.find('"', begin);
    if (close == std::string::npos) {
      break;
    }
    // Only a marker we wrote is unquoted: an API string that happens to start with the prefix
    // (`"\u0000segsync-number:}"`) stays a string, so the JSON stays JSON.
    const std::string token = json.substr(begin, close - begin);
    if (Outsized(token)) {
      json.replace(at, close + 1 - at, token);
    }
    ++at;
  }
  return json;
}

std::string DescribeTextFault(std::string_view json) {
  std::string field;
  size_t at = 0;
  while (at < json.size()) {
    if (json[at] != '"') {
      ++at;
      continue;
    }
    const size_t open = at;
    ++at;
    std::string fault;
    while (at < json.size() && json[at] != '"' && fault.empty()) {
      if (json[at] == '\\') {
        if (at + 1 < json.size() && json[at + 1] == 'u') {
          const unsigned unit = HexValue(json.substr(at + 2, 4));
          const bool high = unit >= 0xD800 && unit <= 0xDBFF;
          const bool low = unit >= 0xDC00 && unit <= 0xDFFF;
          const bool paired = high && json.substr(at + 6, 2) == "\\u" &&
                              HexValue(json.substr(at + 8, 4)) >= 0xDC00 &&
                              HexValue(json.substr(at + 8, 4)) <= 0xDFFF;
          if ((high && !paired) || low) {
            fault = "a lone surrogate escape " + std::string(json.substr(at, 6));
          }
          at += paired ? 12 : 6;
        } else {
          at += 2;
        }
        continue;
      }
      const size_t length = Utf8Length(json, at);
      if (length == 0) {
        char hex[8];
        std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned char>(json[at]));
        fault = std::string("invalid UTF-8 (byte ") + hex + ")";
      }
      at += length == 0 ? 1 : length;
    }
    if (!fault.empty()) {
      if (!field.empty()) {
        fault.append(" in field \"").append(field).push_back('"');
      }
      return fault;
    }
    const size_t close = at;
    ++at;
    size_t next = at;
    while (next < json.size() &&
           (json[next] == ' ' || json[next] == '\n' || json[next] == '\r' || json[next] == '\t')) {
      ++next;
    }
    if (next < json.size() && json[next] == ':') {
      field = std::string(json.substr(open + 1, close - open - 1));
    }
  }
  return "";
}

}  // namespace segsync
