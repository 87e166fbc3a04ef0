// SPDX-License-Identifier: Apache-2.0
// Builds a typed Record from one API item, as its stream's schema says.
#pragma once

#include <simdjson.h>

#include <functional>
#include <map>
#include <string>

#include "core/record.h"
#include "core/status.h"
#include "core/table_spec.h"

namespace segsync {

/// Turns one API item into a Record typed by the stream's schema: digit-string counters become
/// integers, objects and arrays become compact JSON text, unknown fields are kept as they came.
class RecordBuilder {
 public:
  explicit RecordBuilder(const TableSpec& table);

  /// The item must be a JSON object.
  Result<Record> Build(simdjson::dom::element item) const;

 private:
  std::map<std::string, ColumnType, std::less<>> types_;
};

/// Convert a JSON value to a Value as its own JSON type says (no schema coercion).
Value ValueFromJson(simdjson::dom::element value);

}  // namespace segsync
