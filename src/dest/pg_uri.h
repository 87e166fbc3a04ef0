// SPDX-License-Identifier: Apache-2.0
// Parses a `postgresql://` URI into libpq's conninfo, a schema, and a safe display.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace segsync {

/// Where a `postgresql://` (or `postgres://`) destination URI points.
struct PostgresTarget {
  std::string conninfo;  // the URI as libpq takes it: segsync's own `schema` parameter removed
  std::string schema;    // from `?schema=NAME`, default "segment"
  std::string display;   // the URI with any password replaced by "****", for messages
  std::string password;  // the URI's password (percent-decoded), empty if it has none
};

/// Split a destination URI into what libpq takes and segsync's own `schema` parameter.
/// A malformed `schema` parameter is a kConfig error.
Result<PostgresTarget> ParsePostgresUri(std::string_view uri);

}  // namespace segsync
