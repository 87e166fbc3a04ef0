// SPDX-License-Identifier: Apache-2.0
// What every SQL destination shares: quoting, DDL, the upsert, the column map.
//
// Quoting, the bookkeeping columns, create-or-widen DDL, the upsert, and the map from a record's
// fields to its table's columns.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/record.h"
#include "core/status.h"
#include "core/table_spec.h"
#include "dest/destination.h"

namespace segsync {

/// How one SQL engine spells the column types. Everything else segsync sends is the same in
/// SQLite and PostgreSQL: "quoted" identifiers and INSERT ... ON CONFLICT DO UPDATE with
/// `excluded`. The bookkeeping columns take the timestamp type, a key the schema does not
/// declare the string type.
struct SqlDialect {
  std::string_view string_type;
  std::string_view integer_type;
  std::string_view number_type;
  std::string_view boolean_type;
  std::string_view timestamp_type;
  std::string_view json_type;

  std::string_view TypeOf(ColumnType type) const;
};

/// `name` as an SQL identifier: in double quotes, inner quotes doubled.
std::string QuoteIdentifier(std::string_view name);
/// `name` in double quotes as it is, for messages.
std::string Quoted(std::string_view name);

/// Whether `table` may begin while `open` is the stream in progress (if any): none may be open,
/// and a SQL table needs a primary key.
Status CheckStreamCanBegin(const std::optional<TableSpec>& open, const TableSpec& table);
/// The error for a record of `stream` without a value for its primary-key field `field`.
Status MissingKeyError(std::string_view stream, std::string_view field);

/// The type of a column added for a field the schema does not know, from its first value.
ColumnType ColumnTypeOfValue(const Value& value);

/// CREATE TABLE for `table` named `qualified` (already quoted): the declared columns, keys NOT
/// NULL, any key the schema does not declare (an id the connector injects) as a string,
/// _extracted_at, _deleted_at if the stream tracks deletions, and the primary key.
std::string CreateTableSql(const SqlDialect& dialect, std::string_view qualified,
                           const TableSpec& table, bool if_not_exists);
/// ALTER TABLE ... ADD COLUMN.
std::string AddColumnSql(std::string_view qualified, std::string_view name, std::string_view type);
/// The columns (name, type) an existing table with columns `existing` lacks to hold `table`.
std::vector<std::pair<std::string, std::string>> MissingColumns(
    const SqlDialect& dialect, const TableSpec& table, const std::vector<std::string>& existing);

/// The parts of an upsert of `columns` (primary-key columns first, `key_count` of them) plus
/// _extracted_at; the caller says where the rows come from (VALUES, a SELECT).
struct UpsertSql {
  std::string columns;      // the quoted columns, then "_extracted_at"
  std::string keys;         // the quoted primary-key columns
  std::string on_conflict;  // " ON CONFLICT (keys) DO UPDATE SET ...", clearing _deleted_at
};
UpsertSql BuildUpsert(const std::vector<std::string>& columns, size_t key_count,
                      bool track_deletions);

/// UPDATE marking deleted every row of `qualified` read before `before` and not yet deleted;
/// `now` and `before` are the engine's parameter placeholders.
std::string MarkDeletedSql(std::string_view qualified, std::string_view now,
                           std::string_view before);
/// Upsert of one stream's state into `state_table` (stream, state, updated_at); the values are
/// the engine's parameter placeholders.
std::string SaveStateSql(std::string_view state_table, std::string_view stream,
                         std::string_view state, std::string_view updated_at);

/// The data columns of the open stream's table in statement order (primary-key columns first,
/// in key order, then every other column but the bookkeeping ones), and for each field of a
/// record the column it goes to. Fields usually arrive in the same order, so the previous
/// record's column for a field position is tried before the name lookup.
class ColumnMap {
 public:
  /// `reserved`: a column name of the destination's own, besides the bookkeeping columns, that no
  /// field may take (empty for none).
  explicit ColumnMap(std::string_view reserved = {}) : reserved_(reserved) {}

  /// Take the columns of an existing table (`existing`, in table order) for `table`. Returns, for
  /// each column in statement order, its index in `existing`. A primary-key column the table
  /// lacks is a kIo error naming `where` (the destination) and `table_display`.
  Result<std::vector<size_t>> Reset(const TableSpec& table,
                                    const std::vector<std::string>& existing,
                                    std::string_view where, std::string_view table_display);
  void Clear();
  /// Append a column; returns its slot.
  int Add(const std::string& name);
  bool Contains(const std::string& name) const { return slots_.contains(name); }
  size_t size() const { return names_.size(); }
  const std::string& name(size_t slot) const { return names_[slot]; }
  const std::vector<std::string>& names() const { return names_; }

  /// Point each field of `record` (of stream `stream`) at its column; false if some field has
  /// none (its slot is -1). A field named like a bookkeeping or reserved column is kInvalid.
  Result<bool> MapFields(const Record& record, std::string_view stream);
  /// The column of field `field` of the record last mapped, -1 if none.
  int slot(size_t field) const { return field_slots_[field]; }

 private:
  bool IsReserved(std::string_view name) const;

  std::string_view reserved_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, int> slots_;
  std::vector<int> field_slots_;
};

}  // namespace segsync
