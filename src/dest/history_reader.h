// SPDX-License-Identifier: Apache-2.0
// Read-only access to a SQL destination's history, runs and audit tables, for `segsync changes`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace segsync {

/// One row of a query, each cell as text (nullopt: NULL). Timestamps come as RFC 3339.
using TextRow = std::vector<std::optional<std::string>>;

/// A SQLite file or a PostgreSQL schema, opened to read. The SQL it is given is the same for
/// both but for the pieces it spells itself (Qualify, Timestamp).
class HistoryReader {
 public:
  /// `sqlite:PATH` (opened read-only, never created) or `postgresql://...`; any other URI is a
  /// kConfig error saying that only SQL destinations keep history.
  static Result<std::unique_ptr<HistoryReader>> Open(std::string_view uri);
  virtual ~HistoryReader() = default;

  /// (name, SQL type) of each column of `table`, in table order; empty if there is no table.
  virtual Result<std::vector<std::pair<std::string, std::string>>> Columns(
      std::string_view table) = 0;
  /// The rows `sql` selects.
  virtual Result<std::vector<TextRow>> Select(const std::string& sql) = 0;
  /// `table` quoted, and qualified by the schema where there is one.
  virtual std::string Qualify(std::string_view table) const = 0;
  /// An expression for the timestamp column `quoted_column` as RFC 3339 text.
  virtual std::string Timestamp(std::string_view quoted_column) const = 0;
  /// An expression for `quoted_column` as text (booleans "1"/"0", JSON as JSON text).
  virtual std::string Text(std::string_view quoted_column, std::string_view type) const = 0;
};

}  // namespace segsync
