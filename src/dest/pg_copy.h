// SPDX-License-Identifier: Apache-2.0
// Encodes record values as cells of PostgreSQL's COPY text format.
// Pure: no connection, so it is unit tested and fuzzed on its own (tests/fuzz/pg_copy_fuzz.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/record.h"

namespace segsync {

/// How a value is written into its column; columns of other types get text for PostgreSQL to
/// parse.
enum class PgColumnKind { kText, kBigint, kDouble, kBoolean, kTimestamp, kJsonb, kOther };

/// The kind of a column of this type, as format_type() spells it ("timestamp with time zone").
PgColumnKind PgColumnKindOf(std::string_view type);

/// Append `text` in COPY's text format: backslash, newline, carriage return and tab escaped;
/// NUL (which PostgreSQL text cannot hold) replaced by U+FFFD. Returns the number of NULs
/// replaced.
int64_t AppendCopyText(std::string& out, std::string_view text);

/// Append `value` in decimal.
void AppendCopyInt(std::string& out, int64_t value);

/// Set `cell` to `value` as COPY text for a column of `kind`; false if the column cannot hold it
/// (the caller stores NULL or fails). Converts where exact: digits in a string to bigint, an
/// integral double to bigint, any scalar to jsonb. `nuls` counts NUL characters replaced.
bool EncodeCopyCell(const Value& value, PgColumnKind kind, std::string& cell, int64_t& nuls);

}  // namespace segsync
