// SPDX-License-Identifier: Apache-2.0
// What a destination needs to know to hold one stream: its table's name, key and typed columns.
#pragma once

#include <string>
#include <vector>

#include "core/record.h"

namespace segsync {

/// A column the stream's schema declares.
struct Column {
  std::string name;
  ColumnType type = ColumnType::kString;
};

/// One stream's table, derived from its StreamSpec and JSON Schema (src/streams/streams.cc) and
/// held by every destination (src/dest/destination.h).
struct TableSpec {
  std::string name;                      // the stream name, used as the table name
  std::vector<std::string> primary_key;  // never empty
  std::vector<Column> columns;           // declared by the schema; unknown fields add more
  bool track_deletions = false;          // full-table streams carry _deleted_at
  /// Rows are small and many (usage): a destination may store them clustered by primary key.
  bool small_rows = false;
};

}  // namespace segsync
