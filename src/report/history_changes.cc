// SPDX-License-Identifier: Apache-2.0
// Read the history tables and the audit trail, and tell the changes (for `changes` and `report`).
#include "report/history_changes.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>

#include "core/json_writer.h"
#include "dest/sql_common.h"

namespace segsync {
namespace {

/// How a column's cells are rendered as JSON values.
enum class Render { kString, kInteger, kNumber, kBoolean, kTimestamp, kJson, kMaybeJson };

Render RenderOf(const TableSpec& table, const std::string& name, std::string_view sql_type) {
  for (const Column& column : table.columns) {
    if (column.name == name) {
      switch (column.type) {
        case ColumnType::kInteger:
          return Render::kInteger;
        case ColumnType::kNumber:
          return Render::kNumber;
        case ColumnType::kBoolean:
          return Render::kBoolean;
        case ColumnType::kTimestamp:
          return Render::kTimestamp;
        case ColumnType::kJson:
          return Render::kJson;
        case ColumnType::kString:
          return Render::kString;
      }
    }
  }
  // A column added for a field the schema does not declare: its SQL type says what it holds.
  std::string type(sql_type);
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  if (type.find("int") != std::string::npos) {
    return Render::kInteger;
  }
  if (type == "real" || type.find("double") != std::string::npos) {
    return Render::kNumber;
  }
  if (type.find("bool") != std::string::npos) {
    return Render::kBoolean;
  }
  if (type.find("json") != std::string::npos) {
    return Render::kJson;
  }
  if (type.find("timestamp") != std::string::npos) {
    return Render::kTimestamp;
  }
  return Render::kMaybeJson;
}

bool IsJson(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  return parser.parse(text.data(), text.size()).get(element) == simdjson::SUCCESS;
}

std::string Quote(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::optional<std::string> RenderCell(const std::optional<std::string>& cell, Render render) {
  if (!cell) {
    return std::nullopt;
  }
  const std::string& text = *cell;
  switch (render) {
    case Render::kBoolean:
      return std::string(text == "1" || text == "t" || text == "true" ? "true" : "false");
    case Render::kInteger:
    case Render::kNumber:
    case Render::kJson:
      return IsJson(text) ? text : Quote(text);
    case Render::kTimestamp:
      return Quote(NormalTime(text));
    case Render::kMaybeJson:
      return (text.starts_with('{') || text.starts_with('[')) && IsJson(text) ? text : Quote(text);
    case Render::kString:
      return Quote(text);
  }
  return Quote(text);
}

}  // namespace

std::string NormalTime(std::string_view text) {
  const Result<UnixMillis> parsed = ParseRfc3339(text);
  return parsed.ok() ? FormatRfc3339Millis(*parsed) : std::string(text);
}

std::vector<const StreamSpec*> ChangeStreams(bool with_catalogs) {
  std::vector<const StreamSpec*> streams;
  for (const StreamSpec& spec : AllStreams()) {
    const bool catalog = spec.name.starts_with("catalog_");
    if (spec.mode == SyncMode::kFullTable && spec.name != kDeliveryMetricsStream &&
        (with_catalogs || !catalog)) {
      streams.push_back(&spec);
    }
  }
  return streams;
}

std::optional<size_t> ColumnIndex(const std::vector<std::string>& columns, std::string_view name) {
  const auto found = std::find(columns.begin(), columns.end(), name);
  if (found == columns.end()) {
    return std::nullopt;
  }
  return static_cast<size_t>(found - columns.begin());
}

std::string PlainCell(const std::optional<std::string>& cell) {
  if (!cell) {
    return "null";
  }
  simdjson::dom::parser parser;
  std::string_view text;
  if (cell->starts_with('"') && parser.parse(*cell).get_string().get(text) == simdjson::SUCCESS) {
    return std::string(text);
  }
  return *cell;
}

const HistoryVersion& CurrentVersion(const StreamChanges& stream, const DetectedChange& change) {
  return stream.versions[change.after ? *change.after : *change.before];
}

Result<StreamChanges> ReadStreamChanges(HistoryReader& reader, const StreamSpec& spec,
                                        std::string_view since) {
  SEGSYNC_ASSIGN_OR_RETURN(const TableSpec table, TableSpecFor(spec));
  StreamChanges out;
  out.stream = std::string(spec.name);
  const std::string history = HistoryTableName(spec.name);
  SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns(history));
  if (columns.empty()) {
    return out;
  }
  std::vector<std::pair<std::string, std::string>> ordered;
  for (const std::string& key : table.primary_key) {
    for (const auto& column : columns) {
      if (column.first == key) {
        ordered.push_back(column);
      }
    }
  }
  out.key_count = ordered.size();
  for (const auto& column : columns) {
    const bool bookkeeping = column.first == kExtractedAtColumn ||
                             column.first == kValidFromColumn || column.first == kValidToColumn;
    if (!bookkeeping && std::find(table.primary_key.begin(), table.primary_key.end(),
                                  column.first) == table.primary_key.end()) {
      ordered.push_back(column);
    }
  }
  std::string select = "SELECT ";
  std::string order_by;
  std::vector<Render> renders;
  std::vector<bool> json_columns;
  for (size_t i = 0; i < ordered.size(); ++i) {
    const auto& [name, type] = ordered[i];
    out.columns.push_back(name);
    select += reader.Text(QuoteIdentifier(name), type) + ", ";
    if (i < out.key_count) {
      order_by += QuoteIdentifier(name) + ", ";
    }
    renders.push_back(RenderOf(table, name, type));
    json_columns.push_back(renders.back() == Render::kJson || renders.back() == Render::kMaybeJson);
  }
  const std::string valid_from = QuoteIdentifier(kValidFromColumn);
  select += reader.Timestamp(valid_from) + ", " +
            reader.Timestamp(QuoteIdentifier(kValidToColumn)) + " FROM " + reader.Qualify(history) +
            " ORDER BY " + order_by + valid_from;
  SEGSYNC_ASSIGN_OR_RETURN(std::vector<TextRow> rows, reader.Select(select));
  for (TextRow& row : rows) {
    HistoryVersion version;
    for (size_t i = 0; i < ordered.size(); ++i) {
      version.cells.push_back(RenderCell(row[i], renders[i]));
    }
    version.valid_from = NormalTime(row[ordered.size()].value_or(""));
    if (const auto& to = row[ordered.size() + 1]) {
      version.valid_to = NormalTime(*to);
    }
    out.versions.push_back(std::move(version));
  }
  out.changes = DeriveChanges(out.versions, out.key_count, json_columns, since);
  return out;
}

Result<std::vector<HistoryRun>> ReadHistoryRuns(HistoryReader& reader) {
  SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns("_segsync_runs"));
  std::vector<HistoryRun> runs;
  if (columns.empty()) {
    return runs;
  }
  SEGSYNC_ASSIGN_OR_RETURN(std::vector<TextRow> rows,
                           reader.Select("SELECT " + reader.Timestamp("started_at") + ", " +
                                         reader.Timestamp("ended_at") + ", run_id FROM " +
                                         reader.Qualify("_segsync_runs") + " ORDER BY run_id"));
  for (const TextRow& row : rows) {
    HistoryRun run;
    run.started_at = NormalTime(row[0].value_or(""));
    run.ended_at = NormalTime(row[1].value_or(""));
    run.run_id = std::strtoll(row[2].value_or("0").c_str(), nullptr, 10);
    runs.push_back(std::move(run));
  }
  return runs;
}

Result<std::optional<AuditTrail>> ReadAuditTrail(HistoryReader& reader) {
  SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns("audit_events"));
  const auto type_of = [&columns](std::string_view name) -> std::optional<std::string> {
    for (const auto& column : columns) {
      if (column.first == name) {
        return column.second;
      }
    }
    return std::nullopt;
  };
  const auto timestamp = type_of("timestamp");
  const auto resource = type_of("resourceId");
  if (!timestamp || !resource) {
    return std::optional<AuditTrail>();
  }
  const auto actor_email = type_of("actorEmail");
  const std::string actor =
      actor_email ? "coalesce(\"actorEmail\", \"actor\")" : std::string("\"actor\"");
  SEGSYNC_ASSIGN_OR_RETURN(
      std::vector<TextRow> rows,
      reader.Select("SELECT \"resourceId\", " + reader.Text("\"timestamp\"", *timestamp) + ", " +
                    actor + ", \"type\" FROM " + reader.Qualify("audit_events") +
                    " ORDER BY \"timestamp\", \"id\""));
  AuditTrail audit;
  for (const TextRow& row : rows) {
    const Result<UnixMillis> at = ParseRfc3339(row[1].value_or(""));
    if (!row[0] || !at.ok()) {
      continue;
    }
    audit.emplace(*row[0], AuditEntry{*at, FormatRfc3339Millis(*at), row[2].value_or(""),
                                      row[3].value_or("")});
  }
  return std::optional<AuditTrail>(std::move(audit));
}

std::vector<const AuditEntry*> AuditFor(const AuditTrail& audit,
                                        const std::vector<HistoryRun>& runs,
                                        const StreamChanges& stream, const DetectedChange& change) {
  std::vector<const AuditEntry*> found;
  const std::optional<size_t> id = ColumnIndex(stream.columns, "id");
  const Result<UnixMillis> upper = ParseRfc3339(change.detected_at);
  if (!id || !upper.ok()) {
    return found;
  }
  const HistoryVersion& version = stream.versions[change.after ? *change.after : *change.before];
  const std::string resource = PlainCell(version.cells[*id]);
  // The run before: the latest that had ended when this change was detected.
  std::optional<UnixMillis> lower;
  for (const HistoryRun& run : runs) {
    if (!run.ended_at.empty() && run.ended_at < change.detected_at) {
      if (const Result<UnixMillis> started = ParseRfc3339(run.started_at); started.ok()) {
        lower = *started;
      }
    }
  }
  if (!lower) {
    return found;  // the first run: no earlier run brackets the change
  }
  const auto [first, last] = audit.equal_range(resource);
  for (auto it = first; it != last; ++it) {
    if (it->second.at > *lower && it->second.at <= *upper) {
      found.push_back(&it->second);
    }
  }
  return found;
}

Result<bool> HoldsSegsyncTables(HistoryReader& reader) {
  SEGSYNC_ASSIGN_OR_RETURN(const auto runs, reader.Columns("_segsync_runs"));
  if (!runs.empty()) {
    return true;
  }
  for (const StreamSpec& spec : AllStreams()) {
    SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns(spec.name));
    if (!columns.empty()) {
      return true;
    }
  }
  return false;
}

}  // namespace segsync
