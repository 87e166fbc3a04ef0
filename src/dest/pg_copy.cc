// SPDX-License-Identifier: Apache-2.0
// Encoding record values as COPY text cells (see pg_copy.h).
#include "dest/pg_copy.h"

#include <charconv>
#include <cmath>

#include "core/clock.h"
#include "core/json_writer.h"

namespace segsync {
namespace {

// The Unicode replacement character, for NUL, which PostgreSQL text and jsonb cannot hold.
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// Whether PostgreSQL's timestamptz accepts `text` as the RFC 3339 instant it is.
bool IsStorableTimestamp(std::string_view text) {
  if (!ParseRfc3339(text).ok()) {
    return false;
  }
  // PostgreSQL has no year 0 and takes UTC offsets only up to 15:59.
  if (text.starts_with("0000")) {
    return false;
  }
  const size_t sign = text.size() - 6;
  if (text.size() >= 25 && (text[sign] == '+' || text[sign] == '-')) {
    return text.substr(sign + 1, 2) <= "15";
  }
  return true;
}

/// jsonb cannot hold the escape \u0000: replace it with \ufffd. Outside strings valid JSON has no
/// backslashes, so each backslash starts an escape and the next character says which.
int64_t ReplaceJsonNulEscapes(std::string& json) {
  if (json.find("\\u0000") == std::string::npos) {
    return 0;
  }
  int64_t replaced = 0;
  for (size_t i = 0; i + 1 < json.size(); ++i) {
    if (json[i] != '\\') {
      continue;
    }
    if (json.compare(i + 1, 5, "u0000") == 0) {
      json.replace(i + 2, 4, "fffd");
      ++replaced;
    }
    ++i;  // skip the escaped character, so "\\u0000" (an escaped backslash) is left alone
  }
  return replaced;
}

void AppendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  // The shortest text that reads back as the same double.
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

bool ParsesWhole(std::string_view text, auto& value) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

}  // namespace

int64_t AppendCopyText(std::string& out, std::string_view text) {
  static constexpr std::string_view kSpecial("\\\n\r\t\0", 5);
  int64_t nuls = 0;
  size_t start = 0;
  while (true) {
    const size_t at = text.find_first_of(kSpecial, start);
    out.append(
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) {
      return nuls;
    }
    switch (text[at]) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append(kReplacement);
        ++nuls;
        break;
    }
    start = at + 1;
  }
}

void AppendCopyInt(std::string& out, int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

PgColumnKind PgColumnKindOf(std::string_view type) {
  return type == "text"                       ? PgColumnKind::kText
         : type == "bigint"                   ? PgColumnKind::kBigint
         : type == "double precision"         ? PgColumnKind::kDouble
         : type == "boolean"                  ? PgColumnKind::kBoolean
         : type == "timestamp with time zone" ? PgColumnKind::kTimestamp
         : type == "jsonb"                    ? PgColumnKind::kJsonb
                                              : PgColumnKind::kOther;
}

bool EncodeCopyCell(const Value& value, PgColumnKind kind, std::string& cell, int64_t& nuls) {
  cell.clear();
  switch (kind) {
    case PgColumnKind::kText:
    case PgColumnKind::kOther:
      switch (value.kind) {
        case Value::Kind::kString:
        case Value::Kind::kJson:
          nuls = AppendCopyText(cell, value.text);
          return true;
        case Value::Kind::kInt:
          AppendCopyInt(cell, value.integer);
          return true;
        case Value::Kind::kDouble:
          AppendDouble(cell, value.number);
          return true;
        case Value::Kind::kBool:
          cell = value.boolean ? "true" : "false";
          return true;
        case Value::Kind::kNull:
          return false;
      }
      return false;
    case PgColumnKind::kBigint: {
      int64_t parsed = 0;
      // 2^63 is exact as a double; anything at or beyond it does not fit.
      constexpr double kLimit = 9223372036854775808.0;
      if (value.kind == Value::Kind::kInt) {
        AppendCopyInt(cell, value.integer);
      } else if (value.kind == Value::Kind::kDouble && std::trunc(value.number) == value.number &&
                 value.number >= -kLimit && value.number < kLimit) {
        AppendCopyInt(cell, static_cast<int64_t>(value.number));
      } else if (value.kind == Value::Kind::kString && ParsesWhole(value.text, parsed)) {
        AppendCopyInt(cell, parsed);
      } else {
        return false;
      }
      return true;
    }
    case PgColumnKind::kDouble: {
      double parsed = 0;
      if (value.kind == Value::Kind::kInt) {
        AppendCopyInt(cell, value.integer);
      } else if (value.kind == Value::Kind::kDouble) {
        AppendDouble(cell, value.number);
      } else if (value.kind == Value::Kind::kString && ParsesWhole(value.text, parsed)) {
        AppendDouble(cell, parsed);
      } else {
        return false;
      }
      return true;
    }
    case PgColumnKind::kBoolean:
      if (value.kind != Value::Kind::kBool) {
        return false;
      }
      cell = value.boolean ? "t" : "f";
      return true;
    case PgColumnKind::kTimestamp:
      if (value.kind != Value::Kind::kString || !IsStorableTimestamp(value.text)) {
        return false;
      }
      cell = value.text;  // RFC 3339 has nothing COPY must escape
      return true;
    case PgColumnKind::kJsonb: {
      std::string json;
      if (value.kind == Value::Kind::kJson) {
        json = value.text;
      } else {
        AppendValueJson(json, value);
      }
      nuls = ReplaceJsonNulEscapes(json);
      AppendCopyText(cell, json);
      return true;
    }
  }
  return false;
}

}  // namespace segsync
