// SPDX-License-Identifier: Apache-2.0
// What the Singer and Airbyte catalogs share: a stream's schema on one line, lenient reading.
#pragma once

#include <simdjson.h>

#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "streams/stream_spec.h"

namespace segsync {

/// Whether the stream is read incrementally (it has a cursor), as both protocols advertise.
bool IsIncremental(const StreamSpec& spec);

/// The string at `parent[key]`, or empty when `parent` is not an object or the value no string.
std::string_view StringOf(simdjson::dom::element parent, std::string_view key);

/// The `streams` list of a catalog document parsed by `parser`; a kConfig error names `what`
/// (e.g. "the Singer catalog") and ends with `hint` when there is no such list.
Result<simdjson::dom::array> CatalogEntries(simdjson::dom::parser& parser, std::string_view catalog,
                                            std::string_view what, std::string_view hint);

/// A stream's JSON Schema on one line, without the `excluded` top-level properties.
Result<std::string> CompactStreamSchema(std::string_view stream,
                                        const std::set<std::string, std::less<>>& excluded = {});

}  // namespace segsync
