// SPDX-License-Identifier: Apache-2.0
// `segsync changes`: read the history tables, tell each change, one line per change.
#include "cli/changes_command.h"

#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <map>

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "dest/destination.h"
#include "dest/history.h"
#include "dest/history_reader.h"
#include "dest/sql_common.h"
#include "streams/stream_spec.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

constexpr std::string_view kMetricsStream = "destination_delivery_metrics_summary";

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

/// RFC 3339 with milliseconds in UTC, the form every time is compared in; as it is otherwise.
std::string NormalTime(std::string_view text) {
  const Result<UnixMillis> parsed = ParseRfc3339(text);
  return parsed.ok() ? FormatRfc3339Millis(*parsed) : std::string(text);
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

/// The position of column `name`, if there is one.
std::optional<size_t> ColumnIndex(const std::vector<std::string>& columns, std::string_view name) {
  const auto found = std::find(columns.begin(), columns.end(), name);
  if (found == columns.end()) {
    return std::nullopt;
  }
  return static_cast<size_t>(found - columns.begin());
}

/// A rendered JSON string without its quotes, for the text format; other values as they are.
std::string Plain(const std::optional<std::string>& cell) {
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

struct AuditEntry {
  UnixMillis at = 0;
  std::string at_text;
  std::string actor;
  std::string action;
};

struct Run {
  std::string started_at;
  std::string ended_at;
};

/// One stream's history, read and told.
struct StreamChanges {
  std::string stream;
  std::vector<std::string> columns;  // keys first
  size_t key_count = 0;
  std::vector<HistoryVersion> versions;
  std::vector<DetectedChange> changes;
};

struct Listed {
  const StreamChanges* stream;
  const DetectedChange* change;
};

Result<StreamChanges> ReadStream(HistoryReader& reader, const StreamSpec& spec,
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

Result<std::vector<Run>> ReadRuns(HistoryReader& reader) {
  SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns("_segsync_runs"));
  std::vector<Run> runs;
  if (columns.empty()) {
    return runs;
  }
  SEGSYNC_ASSIGN_OR_RETURN(std::vector<TextRow> rows,
                           reader.Select("SELECT " + reader.Timestamp("started_at") + ", " +
                                         reader.Timestamp("ended_at") + " FROM " +
                                         reader.Qualify("_segsync_runs") + " ORDER BY run_id"));
  for (const TextRow& row : rows) {
    runs.push_back({NormalTime(row[0].value_or("")), NormalTime(row[1].value_or(""))});
  }
  return runs;
}

/// The audit events by resource id, if the audit trail was synced (nullopt otherwise).
Result<std::optional<std::multimap<std::string, AuditEntry>>> ReadAudit(HistoryReader& reader) {
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
    return std::optional<std::multimap<std::string, AuditEntry>>();
  }
  const auto actor_email = type_of("actorEmail");
  const std::string actor =
      actor_email ? "coalesce(\"actorEmail\", \"actor\")" : std::string("\"actor\"");
  SEGSYNC_ASSIGN_OR_RETURN(
      std::vector<TextRow> rows,
      reader.Select("SELECT \"resourceId\", " + reader.Text("\"timestamp\"", *timestamp) + ", " +
                    actor + ", \"type\" FROM " + reader.Qualify("audit_events") +
                    " ORDER BY \"timestamp\", \"id\""));
  std::multimap<std::string, AuditEntry> audit;
  for (const TextRow& row : rows) {
    const Result<UnixMillis> at = ParseRfc3339(row[1].value_or(""));
    if (!row[0] || !at.ok()) {
      continue;
    }
    audit.emplace(*row[0], AuditEntry{*at, FormatRfc3339Millis(*at), row[2].value_or(""),
                                      row[3].value_or("")});
  }
  return std::optional<std::multimap<std::string, AuditEntry>>(std::move(audit));
}

/// The audit events about the changed resource since the run before the one that detected it.
std::vector<const AuditEntry*> AuditFor(const std::multimap<std::string, AuditEntry>& audit,
                                        const std::vector<Run>& runs, const StreamChanges& stream,
                                        const DetectedChange& change) {
  std::vector<const AuditEntry*> found;
  const std::optional<size_t> id = ColumnIndex(stream.columns, "id");
  const Result<UnixMillis> upper = ParseRfc3339(change.detected_at);
  if (!id || !upper.ok()) {
    return found;
  }
  const HistoryVersion& version = stream.versions[change.after ? *change.after : *change.before];
  const std::string resource = Plain(version.cells[*id]);
  // The run before: the latest that had ended when this change was detected.
  std::optional<UnixMillis> lower;
  for (const Run& run : runs) {
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

std::string JsonLine(const StreamChanges& stream, const DetectedChange& change,
                     const std::vector<const AuditEntry*>* audit) {
  const HistoryVersion& current = stream.versions[change.after ? *change.after : *change.before];
  const auto cell = [](const HistoryVersion& version, size_t i) -> std::string {
    return version.cells[i].value_or("null");
  };
  JsonWriter w;
  w.BeginObject().Key("detected_at").String(change.detected_at).Key("stream").String(stream.stream);
  w.Key("key").BeginObject();
  for (size_t k = 0; k < stream.key_count; ++k) {
    w.Key(stream.columns[k]).Raw(cell(current, k));
  }
  w.EndObject().Key("change").String(ChangeKindName(change.kind)).Key("fields").BeginObject();
  for (const size_t f : change.fields) {
    w.Key(stream.columns[f]).BeginObject();
    w.Key("old").Raw(cell(stream.versions[*change.before], f));
    w.Key("new").Raw(cell(stream.versions[*change.after], f)).EndObject();
  }
  w.EndObject();
  if (audit != nullptr) {
    w.Key("audit").BeginArray();
    for (const AuditEntry* entry : *audit) {
      w.BeginObject().Key("at").String(entry->at_text).Key("actor").String(entry->actor);
      w.Key("action").String(entry->action).EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
  return w.Take();
}

std::string TextLine(const StreamChanges& stream, const DetectedChange& change,
                     const std::vector<const AuditEntry*>* audit) {
  const HistoryVersion& current = stream.versions[change.after ? *change.after : *change.before];
  std::string key;
  for (size_t k = 0; k < stream.key_count; ++k) {
    key += (k == 0 ? "" : "/") + Plain(current.cells[k]);
  }
  std::string line = change.detected_at + "  " + stream.stream + "  " +
                     std::string(ChangeKindName(change.kind)) + "  ";
  const std::optional<size_t> name = ColumnIndex(stream.columns, "name");
  if (name && current.cells[*name]) {
    line += Plain(current.cells[*name]) + " (" + key + ")";
  } else {
    line += key;
  }
  for (size_t i = 0; i < change.fields.size(); ++i) {
    const size_t f = change.fields[i];
    line += (i == 0 ? ": " : "; ") + stream.columns[f] + " " +
            stream.versions[*change.before].cells[f].value_or("null") + " \u2192 " +
            stream.versions[*change.after].cells[f].value_or("null");
  }
  if (audit != nullptr) {
    for (const AuditEntry* entry : *audit) {
      line += "\n    audit " + entry->at_text + "  " + entry->actor + "  " + entry->action;
    }
  }
  return line;
}

}  // namespace

CLI::App* AddChangesCommand(CLI::App& app, ChangesArgs& args) {
  CLI::App* cmd =
      app.add_subcommand("changes", "list the changes the runs detected, from the history tables");
  cmd->add_option("--destination", args.destination,
                  "sqlite:PATH or postgresql://... (default sqlite:segment.db)");
  cmd->add_option("--since", args.since,
                  "RFC 3339 time: changes detected after it (default: those of the latest run)");
  cmd->add_option("--stream", args.streams,
                  "only this stream (repeatable); delivery metrics and, in text, catalogs are "
                  "listed only when named");
  cmd->add_option("--format", args.format, "text (default) or json (one object per line)")
      ->check(CLI::IsMember({"text", "json"}));
  return cmd;
}

int RunChanges(const ChangesArgs& args) {
  const bool json = args.format == "json";
  if (args.destination.starts_with("jsonl:")) {
    std::cerr << "segsync changes: destination " << args.destination
              << " keeps no history (a jsonl directory holds the latest rows only); sync into "
                 "sqlite:PATH or postgresql://... to keep every version\n";
    return kExitConfig;
  }
  std::string since;
  if (!args.since.empty()) {
    const Result<UnixMillis> parsed = ParseRfc3339(args.since);
    if (!parsed.ok()) {
      std::cerr << "segsync changes: --since " << args.since
                << " is not an RFC 3339 time; write it like 2024-05-01T00:00:00Z\n";
      return kExitConfig;
    }
    since = FormatRfc3339Millis(*parsed);
  }
  std::vector<const StreamSpec*> streams;
  for (const std::string& name : args.streams) {
    const StreamSpec* spec = FindStream(name);
    if (spec == nullptr || spec->mode != SyncMode::kFullTable) {
      std::string valid;
      for (const StreamSpec& s : AllStreams()) {
        if (s.mode == SyncMode::kFullTable) {
          valid += (valid.empty() ? "" : ", ") + std::string(s.name);
        }
      }
      std::cerr << "segsync changes: --stream " << name
                << " keeps no history; the streams that do: " << valid << "\n";
      return kExitConfig;
    }
    streams.push_back(spec);
  }
  if (streams.empty()) {
    for (const StreamSpec& spec : AllStreams()) {
      const bool catalog = spec.name.starts_with("catalog_");
      if (spec.mode == SyncMode::kFullTable && spec.name != kMetricsStream && (json || !catalog)) {
        streams.push_back(&spec);
      }
    }
  }

  auto reader = HistoryReader::Open(args.destination);
  if (!reader.ok()) {
    std::cerr << "segsync changes: " << reader.status().message() << "\n";
    return reader.status().code() == StatusCode::kConfig ? kExitConfig : kExitStreamFailed;
  }
  auto fail = [](const Status& status) {
    std::cerr << "segsync changes: " << status.message() << "\n";
    return kExitStreamFailed;
  };
  const Result<std::vector<Run>> runs = ReadRuns(**reader);
  if (!runs.ok()) {
    return fail(runs.status());
  }
  if (args.since.empty() && runs->size() >= 2) {
    // The latest run's changes: those detected since the run before it ended (a run killed in
    // between has no row of its own, and its changes count with the latest).
    since = (*runs)[runs->size() - 2].ended_at;
  }
  auto audit = ReadAudit(**reader);
  if (!audit.ok()) {
    return fail(audit.status());
  }

  std::vector<StreamChanges> read;
  read.reserve(streams.size());
  for (const StreamSpec* spec : streams) {
    Result<StreamChanges> one = ReadStream(**reader, *spec, since);
    if (!one.ok()) {
      return fail(one.status());
    }
    read.push_back(std::move(*one));
  }
  std::vector<Listed> listed;
  for (const StreamChanges& stream : read) {
    for (const DetectedChange& change : stream.changes) {
      listed.push_back({&stream, &change});
    }
  }
  std::stable_sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) {
    return a.change->detected_at < b.change->detected_at;
  });
  for (const Listed& item : listed) {
    std::vector<const AuditEntry*> events;
    if (*audit) {
      events = AuditFor(**audit, *runs, *item.stream, *item.change);
    }
    const auto* shown = *audit ? &events : nullptr;
    std::cout << (json ? JsonLine(*item.stream, *item.change, shown)
                       : TextLine(*item.stream, *item.change, shown))
              << "\n";
  }
  if (!json && listed.empty()) {
    std::cout << "no changes detected" << (since.empty() ? "" : " since " + since) << "\n";
  }
  return kExitOk;
}

}  // namespace segsync
