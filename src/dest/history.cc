// SPDX-License-Identifier: Apache-2.0
// The history tables' SQL, JSON compared by value, and the changes a table of versions tells.
#include "dest/history.h"

#include <simdjson.h>

#include <algorithm>

#include "core/log.h"
#include "dest/destination.h"
#include "dest/sql_common.h"

namespace segsync {
namespace {

bool SameElement(simdjson::dom::element a, simdjson::dom::element b) {
  using simdjson::dom::element_type;
  const element_type ta = a.type();
  const element_type tb = b.type();
  const auto is_number = [](element_type t) {
    return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
  };
  if (is_number(ta) && is_number(tb)) {
    if (ta == tb && ta != element_type::DOUBLE) {
      return ta == element_type::INT64 ? int64_t(a) == int64_t(b) : uint64_t(a) == uint64_t(b);
    }
    return double(a) == double(b);
  }
  if (ta != tb) {
    return false;
  }
  switch (ta) {
    case element_type::OBJECT: {
      const simdjson::dom::object oa = a;
      const simdjson::dom::object ob = b;
      if (oa.size() != ob.size()) {
        return false;
      }
      for (const auto field : oa) {
        simdjson::dom::element other;
        if (ob.at_key(field.key).get(other) != simdjson::SUCCESS ||
            !SameElement(field.value, other)) {
          return false;
        }
      }
      return true;
    }
    case element_type::ARRAY: {
      const simdjson::dom::array aa = a;
      const simdjson::dom::array ab = b;
      if (aa.size() != ab.size()) {
        return false;
      }
      auto ib = ab.begin();
      for (const auto item : aa) {
        if (!SameElement(item, *ib)) {
          return false;
        }
        ++ib;
      }
      return true;
    }
    case element_type::STRING:
      return std::string_view(a) == std::string_view(b);
    case element_type::BOOL:
      return bool(a) == bool(b);
    case element_type::NULL_VALUE:
      return true;
    default:
      return false;
  }
}

/// The cells of two versions agree on column `i`.
bool SameCell(const HistoryVersion& a, const HistoryVersion& b, size_t i, bool json) {
  const auto& ca = a.cells[i];
  const auto& cb = b.cells[i];
  if (!ca.has_value() || !cb.has_value()) {
    return ca.has_value() == cb.has_value();
  }
  return *ca == *cb || (json && JsonEqualByValue(*ca, *cb));
}

bool SameKey(const HistoryVersion& a, const HistoryVersion& b, size_t key_count) {
  for (size_t k = 0; k < key_count; ++k) {
    if (a.cells[k] != b.cells[k]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string HistoryTableName(std::string_view stream) { return std::string(stream) + "_history"; }

std::vector<HistoryColumn> HistoryColumnsOf(
    const TableSpec& table, const std::vector<std::string>& names,
    const std::vector<std::pair<std::string, std::string>>& types) {
  std::vector<HistoryColumn> columns;
  columns.reserve(names.size());
  for (const std::string& name : names) {
    HistoryColumn column{name, "TEXT", true};
    for (const auto& [typed, type] : types) {
      if (typed == name) {
        column.type = type;
      }
    }
    for (const Column& declared : table.columns) {
      if (declared.name == name) {
        column.json_value = declared.type == ColumnType::kJson;
      }
    }
    columns.push_back(std::move(column));
  }
  return columns;
}

std::string CreateHistoryTableSql(std::string_view history,
                                  const std::vector<HistoryColumn>& columns,
                                  std::string_view timestamp_type) {
  std::string sql = "CREATE TABLE " + std::string(history) + " (";
  for (const HistoryColumn& column : columns) {
    sql += QuoteIdentifier(column.name) + " " + column.type + ", ";
  }
  const std::string timestamp(timestamp_type);
  sql += QuoteIdentifier(kExtractedAtColumn) + " " + timestamp + ", ";
  sql += QuoteIdentifier(kValidFromColumn) + " " + timestamp + " NOT NULL, ";
  sql += QuoteIdentifier(kValidToColumn) + " " + timestamp + ")";
  return sql;
}

std::string CreateOpenVersionIndexSql(std::string_view index_name, std::string_view history,
                                      const std::vector<HistoryColumn>& columns, size_t key_count) {
  std::string sql = "CREATE UNIQUE INDEX IF NOT EXISTS " + QuoteIdentifier(index_name) + " ON " +
                    std::string(history) + " (";
  for (size_t k = 0; k < key_count; ++k) {
    sql += (k == 0 ? "" : ", ") + QuoteIdentifier(columns[k].name);
  }
  sql += ") WHERE " + QuoteIdentifier(kValidToColumn) + " IS NULL";
  return sql;
}

HistorySql BuildHistorySql(const HistoryTarget& target, const std::vector<HistoryColumn>& columns,
                           size_t key_count) {
  const std::string valid_to = QuoteIdentifier(kValidToColumn);
  const std::string deleted_at = QuoteIdentifier(kDeletedAtColumn);
  const std::string& h = target.history_ref;
  std::string keys_match;  // t's key is the history row's
  std::string same;        // and so is every other field
  std::string names;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string column = QuoteIdentifier(columns[i].name);
    names.append(column).append(", ");
    const std::string ours = "t." + column;
    std::string theirs = h;
    theirs.append(".").append(column);
    if (i < key_count) {
      keys_match.append(" AND ").append(ours).append(" = ").append(theirs);
    } else if (target.json_same_function.empty()) {
      same.append(" AND ").append(ours).append(" IS NOT DISTINCT FROM ").append(theirs);
    } else if (columns[i].json_value) {
      // The byte comparison first: equal text needs no parse.
      same.append(" AND (").append(ours).append(" IS ").append(theirs).append(" OR ");
      same.append(target.json_same_function).append("(").append(ours).append(", ");
      same.append(theirs).append("))");
    } else {
      same.append(" AND ").append(ours).append(" IS ").append(theirs);
    }
  }
  HistorySql sql;
  sql.close_changed = "UPDATE " + target.history + " SET " + valid_to + " = " + target.now +
                      " WHERE " + valid_to + " IS NULL AND NOT EXISTS (SELECT 1 FROM " +
                      target.table + " AS t WHERE t." + deleted_at + " IS NULL" + keys_match +
                      same + ")";
  const std::string extracted_at = QuoteIdentifier(kExtractedAtColumn);
  std::string selected;
  for (const HistoryColumn& column : columns) {
    selected.append("t.").append(QuoteIdentifier(column.name)).append(", ");
  }
  // `o` is the history table inside the subquery.
  std::string open_match;
  for (size_t k = 0; k < key_count; ++k) {
    const std::string column = QuoteIdentifier(columns[k].name);
    open_match.append(" AND o.").append(column).append(" = t.").append(column);
  }
  sql.open_new = "INSERT INTO " + target.history + " (" + names + extracted_at + ", " +
                 QuoteIdentifier(kValidFromColumn) + ", " + valid_to + ") SELECT " + selected +
                 "t." + extracted_at + ", " + target.now + ", NULL FROM " + target.table +
                 " AS t WHERE t." + deleted_at + " IS NULL AND NOT EXISTS (SELECT 1 FROM " +
                 target.history + " AS o WHERE o." + valid_to + " IS NULL" + open_match + ")";
  return sql;
}

void LogHistory(std::string_view stream, int64_t closed, int64_t opened,
                std::chrono::steady_clock::time_point began) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - began)
                          .count();
  LogDebug("history of table " + std::string(stream) + ": " + std::to_string(closed) +
           " version(s) closed, " + std::to_string(opened) + " opened in " +
           std::to_string(micros) + " us");
}

bool JsonEqualByValue(std::string_view a, std::string_view b) {
  if (a == b) {
    return true;
  }
  // One parser per thread: the comparison runs inside SQLite's statements, row after row.
  thread_local simdjson::dom::parser parser_a;
  thread_local simdjson::dom::parser parser_b;
  simdjson::dom::element ea;
  simdjson::dom::element eb;
  if (parser_a.parse(a.data(), a.size()).get(ea) != simdjson::SUCCESS ||
      parser_b.parse(b.data(), b.size()).get(eb) != simdjson::SUCCESS) {
    return false;
  }
  return SameElement(ea, eb);
}

std::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kUpdated:
      return "updated";
    case ChangeKind::kDeleted:
      return "deleted";
    case ChangeKind::kRestored:
      return "restored";
  }
  return "added";
}

std::vector<DetectedChange> DeriveChanges(const std::vector<HistoryVersion>& versions,
                                          size_t key_count, const std::vector<bool>& json_columns,
                                          std::string_view since) {
  std::vector<DetectedChange> changes;
  const auto after_since = [since](std::string_view at) { return since.empty() || at > since; };
  for (size_t i = 0; i < versions.size(); ++i) {
    const HistoryVersion& version = versions[i];
    const bool has_before = i > 0 && SameKey(versions[i - 1], version, key_count);
    const bool has_after = i + 1 < versions.size() && SameKey(versions[i + 1], version, key_count);
    if (after_since(version.valid_from)) {
      DetectedChange change;
      change.detected_at = version.valid_from;
      change.after = i;
      if (has_before) {
        const HistoryVersion& before = versions[i - 1];
        change.before = i - 1;
        change.kind =
            before.valid_to == version.valid_from ? ChangeKind::kUpdated : ChangeKind::kRestored;
        for (size_t c = key_count; c < version.cells.size(); ++c) {
          const bool json = c < json_columns.size() && json_columns[c];
          if (!SameCell(before, version, c, json)) {
            change.fields.push_back(c);
          }
        }
      }
      changes.push_back(std::move(change));
    }
    // A closed version with no successor opened at the same moment: the row was gone.
    if (version.valid_to && after_since(*version.valid_to) &&
        !(has_after && versions[i + 1].valid_from == *version.valid_to)) {
      DetectedChange change;
      change.detected_at = *version.valid_to;
      change.kind = ChangeKind::kDeleted;
      change.before = i;
      changes.push_back(std::move(change));
    }
  }
  std::stable_sort(changes.begin(), changes.end(),
                   [](const DetectedChange& a, const DetectedChange& b) {
                     return a.detected_at < b.detected_at;
                   });
  return changes;
}

}  // namespace segsync
