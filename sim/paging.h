// SPDX-License-Identifier: Apache-2.0
// The simulator's query parsing, pagination cursors, base64 and error envelopes.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace segsync::sim {

/// Decoded query parameters, as cpp-httplib hands them over (same type as httplib::Params).
using QueryParams = std::multimap<std::string, std::string>;

/// Splits a raw query string at `&` and at the first `=` of each pair, percent-decoding both
/// sides (`+` is a space). cpp-httplib's own parser cuts values at every `=`, which loses the
/// padding of an unencoded base64 cursor (`pagination.cursor=MA==`).
QueryParams ParseQuery(std::string_view raw);

/// A refused request; becomes `{"errors":[{"type","message","field"?}]}`.
struct ApiError {
  int status = 422;
  std::string type;
  std::string message;
  std::string field;  // empty: no `field` member
};

/// The `errors` envelope for one error.
std::string ErrorBody(const ApiError& error);
/// 422 ValidationFailure naming the parameter.
ApiError Invalid(std::string_view field, std::string message);

/// A value, or the ApiError that explains why there is none.
template <typename T>
class Checked {
 public:
  Checked(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Checked(ApiError error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !error_.has_value(); }
  const T& operator*() const { return *value_; }
  const T* operator->() const { return &*value_; }
  const ApiError& error() const { return *error_; }

 private:
  std::optional<T> value_;
  std::optional<ApiError> error_;
};

std::string Base64Encode(std::string_view bytes);
/// Strict standard base64 with padding; nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view text);

/// The one value of a parameter that may be spelled several ways (`pagination.count`,
/// `pagination[count]`); nullopt when absent; an error when given twice with different values.
Checked<std::optional<std::string>> OneParam(const QueryParams& query,
                                             std::initializer_list<std::string_view> names);

/// `pagination.count` / `pagination.cursor` in either spelling.
struct PageRequest {
  int64_t count = 200;
  std::optional<std::string> cursor;  // as sent (after percent-decoding)
};
Checked<PageRequest> ParsePageRequest(const QueryParams& query);

/// Ordinary lists: the cursor is base64 of the zero-based offset (`MA==` is 0).
std::string OffsetCursor(int64_t offset);
Checked<int64_t> ParseOffsetCursor(std::string_view cursor);

/// Audit trail: base64 of `{"pageToken":"<base64 page number>","endTime":"<pinned end>"}`.
struct AuditPosition {
  int64_t page = 1;  // 1-based, as the spec example's `MQ==` for the first page
  UnixMillis end = 0;
  std::string end_text;
};
std::string AuditCursor(int64_t page, std::string_view end_text);
Checked<AuditPosition> ParseAuditCursor(std::string_view cursor);

/// The `pagination` object of a response.
struct PageLinks {
  std::string current;
  std::optional<std::string> next;      // absent on the last page
  std::optional<std::string> previous;  // null on the first page
  std::optional<int64_t> total_entries;
};

/// The `pagination` object: `current`, `next` (when there is one), `previous` (or null),
/// `totalEntries` (when known).
std::string PaginationJson(const PageLinks& links);

/// `{"data":{"<list_key>":[items...],"pagination":{...}}}`, or without `pagination` when
/// `links` is empty. Items are already JSON text.
std::string ListBody(std::string_view list_key, const std::vector<const std::string*>& items,
                     const std::optional<PageLinks>& links);

/// Offsets `[begin, end)` of the page and its links, for a list of `total` items.
struct Page {
  size_t begin = 0;
  size_t end = 0;
  PageLinks links;
};
Page OffsetPage(int64_t offset, int64_t count, size_t total);

}  // namespace segsync::sim
