// SPDX-License-Identifier: Apache-2.0
// Query strings, percent-encoding, and Segment's cursor pagination.
#include "api/pagination.h"

namespace segsync {

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string BuildQueryString(const QueryParams& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    if (!out.empty()) {
      out.push_back('&');
    }
    out += PercentEncode(key);
    out.push_back('=');
    out += PercentEncode(value);
  }
  return out;
}

void AddPagination(QueryParams& params, int count, std::string_view cursor) {
  params.emplace_back("pagination.count", std::to_string(count));
  if (!cursor.empty()) {
    params.emplace_back("pagination.cursor", std::string(cursor));
  }
}

Result<std::optional<std::string>> NextCursor(simdjson::dom::element data) {
  simdjson::dom::element pagination;
  if (data["pagination"].get(pagination) != simdjson::SUCCESS || pagination.is_null()) {
    return std::optional<std::string>();
  }
  if (!pagination.is_object()) {
    return Status::Parse("data.pagination is not an object");
  }
  simdjson::dom::element next;
  if (pagination["next"].get(next) != simdjson::SUCCESS || next.is_null()) {
    return std::optional<std::string>();
  }
  std::string_view cursor;
  if (next.get_string().get(cursor) != simdjson::SUCCESS) {
    return Status::Parse("data.pagination.next is not a string");
  }
  if (cursor.empty()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(cursor));
}

std::optional<int64_t> TotalEntries(simdjson::dom::element data) {
  int64_t total = 0;
  if (data.at_pointer("/pagination/totalEntries").get_int64().get(total) != simdjson::SUCCESS ||
      total < 0) {
    return std::nullopt;
  }
  return total;
}

bool PagesFarExceed(size_t pages, int64_t total_entries, int page_size) {
  const int64_t size = page_size > 0 ? page_size : 1;
  const int64_t expected = total_entries / size + 1;
  return static_cast<int64_t>(pages) > 2 * expected + 10;
}

}  // namespace segsync
