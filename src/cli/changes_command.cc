// SPDX-License-Identifier: Apache-2.0
// `segsync changes`: read the history tables, tell each change, one line per change.
#include "cli/changes_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>

#include "core/clock.h"
#include "core/json_writer.h"
#include "dest/destination.h"
#include "dest/history.h"
#include "dest/history_reader.h"
#include "report/history_changes.h"
#include "streams/stream_spec.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

struct Listed {
  const StreamChanges* stream;
  const DetectedChange* change;
};

std::string JsonLine(const StreamChanges& stream, const DetectedChange& change,
                     const std::vector<const AuditEntry*>* audit) {
  const HistoryVersion& current = CurrentVersion(stream, change);
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
  const HistoryVersion& current = CurrentVersion(stream, change);
  std::string key;
  for (size_t k = 0; k < stream.key_count; ++k) {
    key += (k == 0 ? "" : "/") + PlainCell(current.cells[k]);
  }
  std::string line = change.detected_at + "  " + stream.stream + "  " +
                     std::string(ChangeKindName(change.kind)) + "  ";
  const std::optional<size_t> name = ColumnIndex(stream.columns, "name");
  if (name && current.cells[*name]) {
    line += PlainCell(current.cells[*name]) + " (" + key + ")";
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
    streams = ChangeStreams(json);
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
  const Result<bool> holds = HoldsSegsyncTables(**reader);
  if (!holds.ok()) {
    return fail(holds.status());
  }
  if (!*holds) {
    std::cerr << "segsync changes: " << DescribeDestination(args.destination)
              << " holds no segsync tables (no _segsync_runs, no stream table); run segsync sync "
                 "into it first, or point --destination at a database a sync wrote\n";
    return kExitConfig;
  }
  const Result<std::vector<HistoryRun>> runs = ReadHistoryRuns(**reader);
  if (!runs.ok()) {
    return fail(runs.status());
  }
  if (args.since.empty() && runs->size() >= 2) {
    // The latest run's changes: those detected since the run before it ended (a run killed in
    // between has no row of its own, and its changes count with the latest).
    since = (*runs)[runs->size() - 2].ended_at;
  }
  auto audit = ReadAuditTrail(**reader);
  if (!audit.ok()) {
    return fail(audit.status());
  }

  std::vector<StreamChanges> read;
  read.reserve(streams.size());
  for (const StreamSpec* spec : streams) {
    Result<StreamChanges> one = ReadStreamChanges(**reader, *spec, since);
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
