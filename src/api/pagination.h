// SPDX-License-Identifier: Apache-2.0
// Query strings, percent-encoding, and Segment's cursor pagination.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace segsync {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// The largest `pagination.count` the API accepts (1–1000 since spec v46).
inline constexpr int kMaxPageSize = 1000;

/// Percent-encode a query component, keeping only RFC 3986 unreserved characters.
std::string PercentEncode(std::string_view text);
/// "a=1&b=x%3D": every key and value percent-encoded.
std::string BuildQueryString(const QueryParams& params);
/// Add Segment's documented dotted pagination parameters; no cursor on the first page.
void AddPagination(QueryParams& params, int count, std::string_view cursor);

/// The cursor of the next page from `data.pagination.next`, or nullopt on the last page (`next`
/// absent, null or empty, or no `pagination` at all where the API makes it optional).
Result<std::optional<std::string>> NextCursor(simdjson::dom::element data);

/// `data.pagination.totalEntries`, when the page says it.
std::optional<int64_t> TotalEntries(simdjson::dom::element data);

/// Whether `pages` read in one chain far exceed the pages `total_entries` fill at `page_size`:
/// twice as many plus ten, so entries added while reading never trip it, while an API that hands
/// out new cursors forever is stopped.
bool PagesFarExceed(size_t pages, int64_t total_entries, int page_size);

}  // namespace segsync
