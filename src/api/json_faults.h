// SPDX-License-Identifier: Apache-2.0
// Valid JSON that simdjson will not hold: outsized numbers kept as written, and text faults named.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "http/response_body.h"

namespace segsync {

/// A string value that stands for a number no native type holds (beyond 64-bit integers, or
/// beyond a double such as 1e400): this prefix, then the number exactly as the API wrote it. The
/// API can send the same string (`"\u0000segsync-number:..."`), so a marker counts only when an
/// outsized number in JSON's grammar follows it: any other such string is kept as sent, and
/// output stays valid JSON whatever the API sends.
inline constexpr std::string_view kOutsizedNumberPrefix{"\0segsync-number:", 16};
/// The same prefix as JSON text writes it (simdjson::to_string escapes the NUL so).
inline constexpr std::string_view kOutsizedNumberJsonPrefix = "\"\\u0000segsync-number:";

/// `json` with every number no native type holds turned into a string of kOutsizedNumberPrefix
/// and its text, or nullopt when it holds none. Strings are skipped whole.
std::optional<std::string> QuoteOutsizedNumbers(std::string_view json);

/// Parse `text` (kept with simdjson's padding); a number no native type holds does not fail the
/// parse but is kept as written (see QuoteOutsizedNumbers, RestoreOutsizedNumbers).
simdjson::error_code ParseKeepingNumbers(simdjson::dom::parser& parser, std::string& text,
                                         simdjson::dom::element& out);

/// The same for a response body, parsed in place unless a number had to be quoted.
simdjson::error_code ParseKeepingNumbers(simdjson::dom::parser& parser, ResponseBody& body,
                                         simdjson::dom::element& out);

/// The number a decoded string value stands for, when it is a marker (see kOutsizedNumberPrefix).
std::optional<std::string_view> OutsizedNumberIn(std::string_view text);

/// JSON text back as the API wrote it: every quoted outsized number unquoted again.
std::string RestoreOutsizedNumbers(std::string json);

/// The first text in `json` that is not Unicode (a lone surrogate escape, invalid UTF-8) and
/// the field it is in, for a message: `a lone surrogate escape \ud800 in field "name"`; empty
/// when there is none.
std::string DescribeTextFault(std::string_view json);

}  // namespace segsync
