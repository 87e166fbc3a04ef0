// SPDX-License-Identifier: Apache-2.0
// Finds a response's `data.<key>` list and its items' bounds without parsing them.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace segsync {

/// Where the list `data.<key>` lies in a response body, and the JSON text of each item.
struct ListSplit {
  size_t open = 0;                               // offset of the list's '['
  size_t close = 0;                              // offset of its ']'
  std::vector<std::pair<size_t, size_t>> items;  // [begin, end) of each item's text
};

/// The offset of the quote closing the JSON string whose opening quote is at `open`, or npos
/// when the text ends first.
size_t StringEnd(std::string_view body, size_t open);

/// Finds `data.<key>` in a response body when it is a list, and the bounds of its items, without
/// parsing them: a big page can then be parsed one item at a time, so the parser never holds the
/// whole page (a 24 MB page would otherwise cost ~70 MB of tape, strings and indexes). Only the
/// structure is scanned; every part is still parsed and validated later. nullopt when the body
/// has another shape or is cut short: the caller then parses the whole body.
std::optional<ListSplit> SplitDataList(std::string_view body, std::string_view key);

}  // namespace segsync
