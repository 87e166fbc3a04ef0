// SPDX-License-Identifier: Apache-2.0
// The SQL both SQL destinations send alike: quoting, DDL, the upsert, and the field-to-column map.
#include "dest/sql_common.h"

#include <algorithm>

namespace segsync {
namespace {

bool IsKey(const TableSpec& table, std::string_view name) {
  return std::find(table.primary_key.begin(), table.primary_key.end(), name) !=
         table.primary_key.end();
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string_view SqlDialect::TypeOf(ColumnType type) const {
  switch (type) {
    case ColumnType::kInteger:
      return integer_type;
    case ColumnType::kNumber:
      return number_type;
    case ColumnType::kBoolean:
      return boolean_type;
    case ColumnType::kTimestamp:
      return timestamp_type;
    case ColumnType::kJson:
      return json_type;
    case ColumnType::kString:
      return string_type;
  }
  return string_type;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"') {
      quoted.push_back('"');
    }
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string Quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

Status CheckStreamCanBegin(const std::optional<TableSpec>& open, const TableSpec& table) {
  if (open) {
    return Status::Internal("stream " + table.name + " was begun while stream " + open->name +
                            " is still open");
  }
  if (table.primary_key.empty()) {
    return Status::Internal("stream " + table.name + " has no primary key");
  }
  return Status::Ok();
}

Status MissingKeyError(std::string_view stream, std::string_view field) {
  return Status::Invalid("a record of stream " + std::string(stream) + " has no value for " +
                         "primary-key field " + std::string(field) +
                         "; every record needs its key to be stored");
}

ColumnType ColumnTypeOfValue(const Value& value) {
  switch (value.kind) {
    case Value::Kind::kInt:
      return ColumnType::kInteger;
    case Value::Kind::kDouble:
      return ColumnType::kNumber;
    case Value::Kind::kBool:
      return ColumnType::kBoolean;
    case Value::Kind::kJson:
      return ColumnType::kJson;
    case Value::Kind::kNull:
    case Value::Kind::kString:
      return ColumnType::kString;
  }
  return ColumnType::kString;
}

std::string CreateTableSql(const SqlDialect& dialect, std::string_view qualified,
                           const TableSpec& table, bool if_not_exists) {
  std::string create = if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ";
  create.append(qualified).append(" (");
  for (const Column& column : table.columns) {
    create += QuoteIdentifier(column.name);
    create += ' ';
    create += dialect.TypeOf(column.type);
    create += IsKey(table, column.name) ? " NOT NULL, " : ", ";
  }
  for (const std::string& key : table.primary_key) {
    const bool declared = std::any_of(table.columns.begin(), table.columns.end(),
                                      [&key](const Column& column) { return column.name == key; });
    if (!declared) {
      create += QuoteIdentifier(key) + " " + std::string(dialect.string_type) + " NOT NULL, ";
    }
  }
  const std::string timestamp(dialect.timestamp_type);
  create += QuoteIdentifier(kExtractedAtColumn) + " " + timestamp + " NOT NULL, ";
  if (table.track_deletions) {
    create += QuoteIdentifier(kDeletedAtColumn) + " " + timestamp + ", ";
  }
  create += "PRIMARY KEY (";
  for (size_t i = 0; i < table.primary_key.size(); ++i) {
    create += (i == 0 ? "" : ", ") + QuoteIdentifier(table.primary_key[i]);
  }
  create += "))";
  return create;
}

std::string AddColumnSql(std::string_view qualified, std::string_view name, std::string_view type) {
  return "ALTER TABLE " + std::string(qualified) + " ADD COLUMN " + QuoteIdentifier(name) + " " +
         std::string(type);
}

std::vector<std::pair<std::string, std::string>> MissingColumns(
    const SqlDialect& dialect, const TableSpec& table, const std::vector<std::string>& existing) {
  std::vector<std::pair<std::string, std::string>> missing;
  for (const Column& column : table.columns) {
    if (!Contains(existing, column.name)) {
      missing.emplace_back(column.name, dialect.TypeOf(column.type));
    }
  }
  if (table.track_deletions && !Contains(existing, kDeletedAtColumn)) {
    missing.emplace_back(kDeletedAtColumn, dialect.timestamp_type);
  }
  return missing;
}

UpsertSql BuildUpsert(const std::vector<std::string>& columns, size_t key_count,
                      bool track_deletions) {
  UpsertSql sql;
  std::string updates;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string quoted = QuoteIdentifier(columns[i]);
    sql.columns += quoted + ", ";
    if (i < key_count) {
      sql.keys += (i == 0 ? "" : ", ") + quoted;
    } else {
      updates.append(quoted).append(" = excluded.").append(quoted).append(", ");
    }
  }
  const std::string extracted_at = QuoteIdentifier(kExtractedAtColumn);
  sql.columns += extracted_at;
  updates += extracted_at + " = excluded." + extracted_at;
  if (track_deletions) {
    updates += ", " + QuoteIdentifier(kDeletedAtColumn) + " = NULL";
  }
  sql.on_conflict = " ON CONFLICT (" + sql.keys + ") DO UPDATE SET " + updates;
  return sql;
}

std::string MarkDeletedSql(std::string_view qualified, std::string_view now,
                           std::string_view before) {
  const std::string deleted_at = QuoteIdentifier(kDeletedAtColumn);
  return "UPDATE " + std::string(qualified) + " SET " + deleted_at + " = " + std::string(now) +
         " WHERE " + deleted_at + " IS NULL AND " + QuoteIdentifier(kExtractedAtColumn) + " < " +
         std::string(before);
}

std::string SaveStateSql(std::string_view state_table, std::string_view stream,
                         std::string_view state, std::string_view updated_at) {
  return "INSERT INTO " + std::string(state_table) + " (stream, state, updated_at) VALUES (" +
         std::string(stream) + ", " + std::string(state) + ", " + std::string(updated_at) +
         ") ON CONFLICT (stream) DO UPDATE SET state = excluded.state, updated_at = "
         "excluded.updated_at";
}

Result<std::vector<size_t>> ColumnMap::Reset(const TableSpec& table,
                                             const std::vector<std::string>& existing,
                                             std::string_view where,
                                             std::string_view table_display) {
  Clear();
  std::vector<size_t> order;
  order.reserve(existing.size());
  for (const std::string& key : table.primary_key) {
    const auto found = std::find(existing.begin(), existing.end(), key);
    if (found == existing.end()) {
      Clear();
      return Status::Io(std::string(where) + ": table " + std::string(table_display) +
                        " has no column for primary-key field " + Quoted(key) +
                        "; drop the table and sync again to rebuild it");
    }
    Add(key);
    order.push_back(static_cast<size_t>(found - existing.begin()));
  }
  for (size_t i = 0; i < existing.size(); ++i) {
    const std::string& name = existing[i];
    if (!IsKey(table, name) && name != kExtractedAtColumn && name != kDeletedAtColumn) {
      Add(name);
      order.push_back(i);
    }
  }
  return order;
}

void ColumnMap::Clear() {
  names_.clear();
  slots_.clear();
  field_slots_.clear();
}

int ColumnMap::Add(const std::string& name) {
  const int slot = static_cast<int>(names_.size());
  slots_.emplace(name, slot);
  names_.push_back(name);
  return slot;
}

bool ColumnMap::IsReserved(std::string_view name) const {
  return name == kExtractedAtColumn || name == kDeletedAtColumn ||
         (!reserved_.empty() && name == reserved_);
}

Result<bool> ColumnMap::MapFields(const Record& record, std::string_view stream) {
  const size_t field_count = record.fields.size();
  if (field_slots_.size() < field_count) {
    field_slots_.resize(field_count, -1);
  }
  bool complete = true;
  for (size_t i = 0; i < field_count; ++i) {
    const std::string& name = record.fields[i].first;
    const int cached = field_slots_[i];
    if (cached >= 0 && names_[static_cast<size_t>(cached)] == name) {
      continue;
    }
    if (const auto found = slots_.find(name); found != slots_.end()) {
      field_slots_[i] = found->second;
      continue;
    }
    if (IsReserved(name)) {
      return Status::Invalid("a record of stream " + std::string(stream) + " has a field named " +
                             name + ", which segsync reserves for its own column");
    }
    field_slots_[i] = -1;
    complete = false;
  }
  return complete;
}

}  // namespace segsync
