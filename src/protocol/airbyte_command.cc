// SPDX-License-Identifier: Apache-2.0
// `segsync airbyte spec|check|discover|read`: the Airbyte source's command line.
#include "protocol/airbyte_command.h"

#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <set>

#include "api/segment_client.h"
#include "cli/commands.h"
#include "core/log.h"
#include "protocol/airbyte_catalog.h"
#include "protocol/airbyte_writer.h"
#include "protocol/command_common.h"
#include "protocol/settings_schema.h"
#include "streams/stream_spec.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

/// One cheap authenticated request: the first warehouse of the public catalog.
Status CheckConnection(const Config& config) {
  SEGSYNC_ASSIGN_OR_RETURN(auto session, OpenApiSession(config));
  QueryParams query;
  AddPagination(query, 1, "");
  simdjson::dom::parser parser;
  RequestStats stats;
  auto data = session->client().GetData("/catalog/warehouses", query, parser, stats);
  return data.ok() ? Status::Ok() : data.status();
}

/// Keeps the first failure to write a protocol message, where a hook cannot return it.
class EmitResult {
 public:
  void Keep(Status status) {
    if (first_.ok() && !status.ok()) {
      first_ = std::move(status);
    }
  }
  const Status& first() const { return first_; }

 private:
  Status first_;
};

/// Why a stream failed, in Airbyte's terms: its code's row in the failure table (what failed,
/// not how often it was retried). A stream that never sent a request because its parent failed
/// takes its parent's type.
FailureType FailureOf(const StreamReport& stream, const RunReport& run) {
  if (stream.requests.requests == 0) {
    const StreamSpec* spec = FindStream(stream.name);
    for (const auto& parent : run.streams) {
      if (spec != nullptr && parent.name == spec->parent &&
          parent.outcome == StreamOutcome::kFailed) {
        return FailureOf(parent, run);
      }
    }
  }
  return MeaningOf(stream.code).failure_type;
}

int AirbyteSpec(AirbyteWriter& writer) {
  return writer.Spec(ConfigSettingsSchema(SettingsDialect::kAirbyte)).ok() ? kExitOk
                                                                           : kExitStreamFailed;
}

int AirbyteCheck(const AirbyteArgs& args, AirbyteWriter& writer) {
  auto config = ResolveConfig(FlagsWithConfigFile(args.config));
  if (!config.ok()) {
    return writer.ConnectionStatus(false, config.status().message()).ok() ? kExitOk
                                                                          : kExitStreamFailed;
  }
  const Status status = CheckConnection(*config);
  if (status.ok()) {
    return writer.ConnectionStatus(true, "").ok() ? kExitOk : kExitStreamFailed;
  }
  const FailureMeaning& meaning = MeaningOf(status.code());
  if (meaning.connection_failed) {
    // The configuration is wrong (token, region, URL): a FAILED status, and a clean exit.
    return writer.ConnectionStatus(false, status.message()).ok() ? kExitOk : kExitStreamFailed;
  }
  LogError(status.message());
  (void)writer.Error("segsync could not reach the Segment Public API: " + status.message(),
                     meaning.failure_type);
  return kExitStreamFailed;
}

int AirbyteDiscover(const AirbyteArgs& args, AirbyteWriter& writer) {
  auto config = ResolveConfig(FlagsWithConfigFile(args.config), /*require_token=*/false);
  if (!config.ok()) {
    LogError(config.status().message());
    (void)writer.Error(config.status().message(), FailureType::kConfig);
    return kExitConfig;
  }
  auto catalog = AirbyteCatalogJson();
  if (!catalog.ok()) {
    LogError(catalog.status().message());
    (void)writer.Error(catalog.status().message(), FailureType::kSystem);
    return kExitStreamFailed;
  }
  return writer.Catalog(*catalog).ok() ? kExitOk : kExitStreamFailed;
}

int AirbyteRead(const AirbyteArgs& args, AirbyteWriter& writer) {
  auto config_error = [&writer](const Status& status) {
    LogError(status.message());
    (void)writer.Error(status.message(), FailureType::kConfig);
    return kExitConfig;
  };
  auto config = ResolveConfig(FlagsWithConfigFile(args.config));
  if (!config.ok()) {
    return config_error(config.status());
  }
  auto catalog_text = ReadTextFile(args.catalog.value_or(""), "configured catalog");
  if (!catalog_text.ok()) {
    return config_error(catalog_text.status());
  }
  auto selection = ParseConfiguredCatalog(*catalog_text);
  if (!selection.ok()) {
    return config_error(selection.status());
  }
  AirbyteStreamStates states;
  if (args.state) {
    auto text = ReadTextFile(*args.state, "state");
    if (!text.ok()) {
      return config_error(text.status());
    }
    if (!IsBlank(*text)) {
      auto parsed = ParseAirbyteState(*text);
      if (!parsed.ok()) {
        return config_error(parsed.status());
      }
      states = std::move(*parsed);
    }
  }
  for (const auto& warning : selection->warnings) {
    LogWarn(warning);
  }
  EmitResult emitted;
  for (const auto& problem : selection->problems) {
    LogError(problem.message);
    emitted.Keep(writer.StreamStatus(problem.stream, AirbyteStreamStatus::kIncomplete));
    emitted.Keep(writer.Error(problem.message, FailureType::kConfig, problem.stream));
  }
  config->streams.clear();
  for (const auto& stream : selection->streams) {
    config->streams.push_back(stream.name);
  }

  AirbyteDestination destination(writer, std::move(selection->streams), std::move(states));
  std::set<std::string, std::less<>> started;
  SyncHooks hooks;
  hooks.handle_signals = false;  // a cancelled sync is simply killed; nothing to roll back here
  hooks.on_stream_start = [&](const StreamSpec& spec, bool selected) {
    if (selected) {
      started.emplace(spec.name);
      emitted.Keep(writer.StreamStatus(spec.name, AirbyteStreamStatus::kStarted));
    }
  };
  hooks.on_stream_done = [&](const StreamReport& s) {
    LogStreamDone(s);
    if (!s.selected) {
      return;
    }
    if (started.insert(s.name).second) {
      // A child whose parent failed is never started; its status still goes in order.
      emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kStarted));
    }
    if (s.outcome == StreamOutcome::kNotEntitled) {
      // The stream read everything the workspace allows (nothing): COMPLETE, as Airbyte's own
      // sources end a stream whose 403 they are told to skip, so a Team-plan sync that did all
      // it could does not look failed. The WARN says why it is empty.
      emitted.Keep(writer.Log("WARN", s.name + " was skipped: " + s.message));
      emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kComplete));
      return;
    }
    if (s.outcome == StreamOutcome::kOk) {
      emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kComplete));
      return;
    }
    emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kIncomplete));
  };
  RunReport report;
  Status started_run = ExecuteSync(*config, destination, hooks, report);
  if (!started_run.ok()) {
    LogError(started_run.message());
    (void)writer.Error(started_run.message(), FailureType::kSystem);
    return kExitStreamFailed;
  }
  // Errors go out once the run is over, when a rejected token is known to be the cause.
  const bool token_rejected = report.fatal.code() == StatusCode::kAuth;
  for (const StreamReport& s : report.streams) {
    const bool failed =
        s.outcome == StreamOutcome::kFailed || s.outcome == StreamOutcome::kInterrupted;
    if (!s.selected || !failed || (token_rejected && s.stopped_run)) {
      continue;
    }
    emitted.Keep(writer.Error(s.name + " failed: " + s.message, FailureOf(s, report), s.name));
  }
  if (report.fatal.code() == StatusCode::kTransient) {
    // The API could not be reached: the streams the run never reached (not_run) were never
    // started, yet each of them failed for the same passing reason and is reported so.
    for (const StreamReport& s : report.streams) {
      if (s.outcome != StreamOutcome::kNotRun) {
        continue;
      }
      emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kStarted));
      emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kIncomplete));
      emitted.Keep(writer.Error(s.name + " was not read: " + report.fatal.message(),
                                FailureType::kTransient, s.name));
    }
  }
  if (token_rejected) {
    LogError(report.fatal.message());
    emitted.Keep(writer.Error(report.fatal.message(), FailureType::kConfig));
  }
  if (!emitted.first().ok()) {
    LogError(emitted.first().message());
    return kExitStreamFailed;
  }
  const int code = report.ExitCode();
  return code == kExitOk && !selection->problems.empty() ? kExitStreamFailed : code;
}

}  // namespace

CLI::App* AddAirbyteCommand(CLI::App& app, AirbyteArgs& args) {
  CLI::App* cmd = app.add_subcommand("airbyte", "the Airbyte source: spec, check, discover, read");
  cmd->require_subcommand(1);
  auto add = [&](const char* name, const char* description) {
    CLI::App* sub = cmd->add_subcommand(name, description);
    sub->add_flag("--debug", args.debug, "log every request to stderr");
    sub->callback([&args, name] { args.command = name; });
    return sub;
  };
  add("spec", "print the connector specification");
  CLI::App* check = add("check", "verify the token with one request; print CONNECTION_STATUS");
  check->add_option("--config", args.config, "JSON configuration file")->required();
  CLI::App* discover = add("discover", "print the CATALOG of all streams");
  discover->add_option("--config", args.config, "JSON configuration file")->required();
  CLI::App* read = add("read", "sync the streams of a configured catalog");
  read->add_option("--config", args.config, "JSON configuration file")->required();
  read->add_option("--catalog", args.catalog, "configured catalog file")->required();
  read->add_option("--state", args.state, "state file: a list of state messages");
  return cmd;
}

int RunAirbyte(const AirbyteArgs& args) {
  if (args.debug) {
    SetLogLevel(LogLevel::kDebug);
  }
  AirbyteWriter writer(std::cout, SystemClock::Instance());
  if (args.command == "spec") {
    return AirbyteSpec(writer);
  }
  if (args.command == "check") {
    return AirbyteCheck(args, writer);
  }
  if (args.command == "discover") {
    return AirbyteDiscover(args, writer);
  }
  return AirbyteRead(args, writer);
}

}  // namespace segsync
