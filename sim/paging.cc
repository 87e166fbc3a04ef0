// SPDX-License-Identifier: Apache-2.0
// The simulator's query parsing, pagination cursors, base64 and envelopes.
#include "sim/paging.h"

#include <simdjson.h>

#include <algorithm>
#include <array>

#include "core/digits.h"
#include "core/json_writer.h"

namespace segsync::sim {
namespace {

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr int64_t kMaxCount = 1000;
constexpr int64_t kDefaultCount = 200;

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && HexDigitValue(text[i + 1]) >= 0 &&
               HexDigitValue(text[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(HexDigitValue(text[i + 1]) * 16 + HexDigitValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);  // a stray '%' stays as it is
    }
  }
  return out;
}

}  // namespace

QueryParams ParseQuery(std::string_view raw) {
  QueryParams params;
  while (!raw.empty()) {
    const size_t amp = raw.find('&');
    const std::string_view pair = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    params.emplace(PercentDecode(key), PercentDecode(value));
  }
  return params;
}

std::string ErrorBody(const ApiError& error) {
  JsonWriter w;
  w.BeginObject().Key("errors").BeginArray().BeginObject();
  w.Key("type").String(error.type);
  w.Key("message").String(error.message);
  if (!error.field.empty()) {
    w.Key("field").String(error.field);
  }
  w.EndObject().EndArray().EndObject();
  return w.Take();
}

ApiError Invalid(std::string_view field, std::string message) {
  return {422, "ValidationFailure", std::move(message), std::string(field)};
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                       (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64[n >> 18]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(kBase64[(n >> 6) & 63]);
    out.push_back(kBase64[n & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      n |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out.push_back(kBase64[n >> 18]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::array<int, 256> value{};
  value.fill(-1);
  for (size_t i = 0; i < kBase64.size(); ++i) {
    value[static_cast<unsigned char>(kBase64[i])] = static_cast<int>(i);
  }
  size_t padding = 0;
  if (text.back() == '=') {
    padding = text[text.size() - 2] == '=' ? 2 : 1;
  }
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      const bool in_padding = i + 4 == text.size() && j >= 4 - padding;
      if (in_padding) {
        if (c != '=') {
          return std::nullopt;
        }
        n <<= 6;
        continue;
      }
      const int v = value[static_cast<unsigned char>(c)];
      if (v < 0) {
        return std::nullopt;
      }
      n = (n << 6) | static_cast<uint32_t>(v);
    }
    out.push_back(static_cast<char>(n >> 16));
    out.push_back(static_cast<char>((n >> 8) & 0xFF));
    out.push_back(static_cast<char>(n & 0xFF));
  }
  out.resize(out.size() - padding);
  // Canonical form only: re-encoding must give the same text (no stray low bits).
  if (Base64Encode(out) != text) {
    return std::nullopt;
  }
  return out;
}

Checked<std::optional<std::string>> OneParam(const QueryParams& query,
                                             std::initializer_list<std::string_view> names) {
  std::optional<std::string> found;
  for (std::string_view name : names) {
    auto [begin, end] = query.equal_range(std::string(name));
    for (auto it = begin; it != end; ++it) {
      if (found.has_value() && *found != it->second) {
        return Invalid(name, "\"" + std::string(name) +
                                 "\" was given more than once with "
                                 "different values");
      }
      found = it->second;
    }
  }
  return found;
}

Checked<PageRequest> ParsePageRequest(const QueryParams& query) {
  PageRequest page;
  auto count = OneParam(query, {"pagination.count", "pagination[count]"});
  if (!count.ok()) {
    return count.error();
  }
  if (count->has_value()) {
    const auto parsed = ParseDigits(**count, 9);
    if (!parsed.has_value()) {
      return Invalid("pagination.count", "\"pagination.count\" must be an integer");
    }
    if (*parsed < 1 || *parsed > kMaxCount) {
      return Invalid("pagination.count",
                     "\"pagination.count\" must be between 1 and " + std::to_string(kMaxCount));
    }
    page.count = *parsed;
  } else {
    page.count = kDefaultCount;
  }
  auto cursor = OneParam(query, {"pagination.cursor", "pagination[cursor]"});
  if (!cursor.ok()) {
    return cursor.error();
  }
  page.cursor = *cursor;
  return page;
}

std::string OffsetCursor(int64_t offset) { return Base64Encode(std::to_string(offset)); }

Checked<int64_t> ParseOffsetCursor(std::string_view cursor) {
  const auto decoded = Base64Decode(cursor);
  const std::optional<int64_t> offset =
      decoded.has_value() ? ParseDigits(*decoded, 12) : std::nullopt;
  if (!offset.has_value()) {
    return Invalid("pagination.cursor", "\"pagination.cursor\" is not a valid cursor");
  }
  return *offset;
}

std::string AuditCursor(int64_t page, std::string_view end_text) {
  JsonWriter w;
  w.BeginObject();
  w.Key("pageToken").String(Base64Encode(std::to_string(page)));
  w.Key("endTime").String(end_text);
  w.EndObject();
  return Base64Encode(w.str());
}

Checked<AuditPosition> ParseAuditCursor(std::string_view cursor) {
  const ApiError bad = Invalid("pagination.cursor", "\"pagination.cursor\" is not a valid cursor");
  const auto decoded = Base64Decode(cursor);
  if (!decoded.has_value()) {
    return bad;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view page_token;
  std::string_view end_text;
  if (parser.parse(*decoded).get(doc) != simdjson::SUCCESS ||
      doc["pageToken"].get(page_token) != simdjson::SUCCESS ||
      doc["endTime"].get(end_text) != simdjson::SUCCESS) {
    return bad;
  }
  const auto page_text = Base64Decode(page_token);
  if (!page_text.has_value()) {
    return bad;
  }
  const std::optional<int64_t> page = ParseDigits(*page_text, 9);
  const auto end = ParseRfc3339(end_text);
  if (!page.has_value() || *page < 1 || !end.ok()) {
    return bad;
  }
  return AuditPosition{page.value(), *end, std::string(end_text)};
}

std::string PaginationJson(const PageLinks& links) {
  JsonWriter w;
  w.BeginObject();
  w.Key("current").String(links.current);
  if (links.next.has_value()) {
    w.Key("next").String(*links.next);
  }
  w.Key("previous");
  if (links.previous.has_value()) {
    w.String(*links.previous);
  } else {
    w.Null();
  }
  if (links.total_entries.has_value()) {
    w.Key("totalEntries").Int(*links.total_entries);
  }
  w.EndObject();
  return w.Take();
}

std::string ListBody(std::string_view list_key, const std::vector<const std::string*>& items,
                     const std::optional<PageLinks>& links) {
  const std::string pagination = links.has_value() ? PaginationJson(*links) : std::string();
  // Pages are assembled from the pre-serialised items in one allocation.
  size_t size = 32 + list_key.size() + pagination.size();
  for (const std::string* item : items) {
    size += item->size() + 1;
  }
  std::string body;
  body.reserve(size);
  body.append("{\"data\":{");
  AppendJsonString(body, list_key);
  body.append(":[");
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      body.push_back(',');
    }
    body.append(*items[i]);
  }
  body.push_back(']');
  if (!pagination.empty()) {
    body.append(",\"pagination\":");
    body.append(pagination);
  }
  body.append("}}");
  return body;
}

Page OffsetPage(int64_t offset, int64_t count, size_t total) {
  Page page;
  page.begin = std::min(static_cast<size_t>(offset), total);
  page.end = std::min(page.begin + static_cast<size_t>(count), total);
  page.links.current = OffsetCursor(offset);
  if (page.end < total) {
    page.links.next = OffsetCursor(static_cast<int64_t>(page.end));
  }
  if (offset > 0) {
    page.links.previous = OffsetCursor(std::max<int64_t>(0, offset - count));
  }
  page.links.total_entries = static_cast<int64_t>(total);
  return page;
}

}  // namespace segsync::sim
