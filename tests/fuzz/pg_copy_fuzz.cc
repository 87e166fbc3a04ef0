// SPDX-License-Identifier: Apache-2.0
// Fuzzes the COPY text encoder: every cell must decode back to its value.
//
// The COPY text encoder of the PostgreSQL destination (src/dest/pg_copy.h): byte 0 picks the
// value's kind and the column's kind, the rest is the value. Every cell must decode back to what
// it encodes (NUL as U+FFFD) and carry no raw tab, newline or carriage return, so no value can
// end a row or a column early or read as NULL (\N).
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "dest/pg_copy.h"
#include "fuzz_util.h"

namespace {

using segsync::PgColumnKind;
using segsync::Value;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

/// COPY's text format read back, accepting only the escapes the encoder writes; nullopt for a raw
/// tab, newline or carriage return, or any other backslash sequence.
std::optional<std::string> DecodeCopyText(std::string_view cell) {
  std::string out;
  for (size_t i = 0; i < cell.size(); ++i) {
    const char c = cell[i];
    if (c == '\t' || c == '\n' || c == '\r') {
      return std::nullopt;
    }
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i == cell.size()) {
      return std::nullopt;
    }
    switch (cell[i]) {
      case '\\':
        out.push_back('\\');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

/// `text` with each NUL as U+FFFD, as the encoder stores it.
std::string WithoutNuls(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\0') {
      out.append(kReplacement);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

Value MakeValue(uint8_t selector, std::string_view text) {
  switch (selector % 6) {
    case 0:
      return Value::String(std::string(text));
    case 1:
      return Value::Json(std::string(text));
    case 2: {
      int64_t integer = 0;
      std::memcpy(&integer, text.data(), std::min(text.size(), sizeof(integer)));
      return Value::Int(integer);
    }
    case 3: {
      double number = 0;
      std::memcpy(&number, text.data(), std::min(text.size(), sizeof(number)));
      return Value::Double(number);
    }
    case 4:
      return Value::Bool(!text.empty() && (text[0] & 1) != 0);
    default:
      return Value::Null();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view text = segsync::fuzz::AsText(data + 1, size - 1);

  // Plain text: the escapes round-trip and NULs are counted.
  std::string encoded = "prefix";
  const int64_t nuls = segsync::AppendCopyText(encoded, text);
  Check(encoded.starts_with("prefix"));
  const std::optional<std::string> decoded = DecodeCopyText(std::string_view(encoded).substr(6));
  Check(decoded.has_value() && *decoded == WithoutNuls(text));
  Check(nuls == static_cast<int64_t>(std::count(text.begin(), text.end(), '\0')));

  // One cell per column kind.
  const Value value = MakeValue(data[0], text);
  static constexpr PgColumnKind kKinds[] = {PgColumnKind::kText,      PgColumnKind::kBigint,
                                            PgColumnKind::kDouble,    PgColumnKind::kBoolean,
                                            PgColumnKind::kTimestamp, PgColumnKind::kJsonb,
                                            PgColumnKind::kOther};
  for (const PgColumnKind kind : kKinds) {
    std::string cell;
    int64_t cell_nuls = 0;
    if (!segsync::EncodeCopyCell(value, kind, cell, cell_nuls)) {
      continue;
    }
    Check(cell != "\\N");
    const std::optional<std::string> back = DecodeCopyText(cell);
    Check(back.has_value());
    switch (kind) {
      case PgColumnKind::kText:
      case PgColumnKind::kOther:
        if (value.kind == Value::Kind::kString || value.kind == Value::Kind::kJson) {
          Check(*back == WithoutNuls(value.text));
        }
        break;
      case PgColumnKind::kBigint: {
        int64_t parsed = 0;
        const auto result = std::from_chars(back->data(), back->data() + back->size(), parsed);
        Check(result.ec == std::errc() && result.ptr == back->data() + back->size());
        break;
      }
      case PgColumnKind::kDouble: {
        double parsed = 0;
        const auto result = std::from_chars(back->data(), back->data() + back->size(), parsed);
        Check((result.ec == std::errc() && result.ptr == back->data() + back->size()) ||
              *back == "NaN" || *back == "Infinity" || *back == "-Infinity");
        break;
      }
      case PgColumnKind::kBoolean:
        Check(*back == "t" || *back == "f");
        break;
      case PgColumnKind::kTimestamp:
        Check(segsync::ParseRfc3339(*back).ok());
        break;
      case PgColumnKind::kJsonb:
        Check(back->find('\0') == std::string::npos);
        break;
    }
  }
  return 0;
}
