// SPDX-License-Identifier: Apache-2.0
#include "cli/protocol_commands.h"

#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "api/segment_client.h"
#include "cli/commands.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "dest/airbyte_destination.h"
#include "dest/singer_destination.h"
#include "http/curl_http_client.h"
#include "http/pacing.h"
#include "streams/catalog.h"
#include "streams/stream_spec.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

constexpr std::string_view kTapName = "tap-segsync";
constexpr std::string_view kVersion = "0.1.0";
constexpr std::string_view kDescription =
    "Singer tap for the Segment Public API: a workspace's configuration (sources, "
    "destinations, warehouses, catalog, users, ...) and operational metrics (usage, delivery, "
    "audit trail) in 18 streams.";

void AddSingerOptions(CLI::App& cmd, SingerArgs& args) {
  cmd.add_option("-c,--config", args.config, "JSON configuration file (as `segsync sync`)");
  cmd.add_option("-s,--state", args.state, "state file: the value of the last STATE message");
  cmd.add_option("--catalog", args.catalog, "catalog file choosing streams and fields");
  cmd.add_option("-p,--properties", args.properties, "legacy name of --catalog");
  cmd.add_flag("-d,--discover", args.discover, "print the catalog of all streams and exit");
  cmd.add_flag("--about", args.about, "describe the tap: version, capabilities, settings");
  cmd.add_option("--format", args.format, "format of --about: text (default), markdown, json")
      ->check(CLI::IsMember({"text", "markdown", "json"}));
}

Result<std::string> ReadTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Config("cannot read the " + std::string(what) + " file '" + path + "'");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

ConfigFlags FlagsWithConfigFile(const std::optional<std::string>& config_file) {
  ConfigFlags flags;
  flags.config_file = config_file;
  return flags;
}

/// A progress line on stderr for each selected stream as it ends.
void LogStreamDone(const StreamReport& s) {
  if (!s.selected) {
    return;
  }
  std::string line = s.name + ": " + std::string(StreamOutcomeName(s.outcome)) + ", " +
                     std::to_string(s.rows_written) + " records, " +
                     std::to_string(s.requests.requests) + " requests";
  if (!s.message.empty()) {
    line += " (" + s.message + ")";
  }
  if (s.outcome == StreamOutcome::kOk) {
    LogInfo(line);
  } else if (s.outcome == StreamOutcome::kNotEntitled) {
    LogWarn(line);
  } else {
    LogError(line);
  }
}

int PrintAbout(std::string_view format) {
  static constexpr std::string_view kCapabilities[] = {"catalog", "discover", "state", "about",
                                                       "activate-version"};
  const std::string settings = ConfigSettingsSchema(SettingsDialect::kSinger);
  if (format == "json") {
    JsonWriter w;
    w.BeginObject().Key("name").String(kTapName).Key("description").String(kDescription);
    w.Key("version").String(kVersion).Key("capabilities").BeginArray();
    for (auto capability : kCapabilities) {
      w.String(capability);
    }
    w.EndArray().Key("settings").Raw(settings).EndObject();
    std::cout << w.str() << "\n" << std::flush;
    return kExitOk;
  }
  std::string text = "# " + std::string(kTapName) + "\n\n" + std::string(kDescription) +
                     "\n\nVersion: " + std::string(kVersion) + "\n\n## Capabilities\n\n";
  for (auto capability : kCapabilities) {
    text += "- " + std::string(capability) + "\n";
  }
  text += "\n## Settings\n\n";
  simdjson::dom::parser parser;
  simdjson::dom::element schema;
  simdjson::dom::object properties;
  simdjson::dom::array required;
  std::set<std::string_view> required_names;
  if (parser.parse(settings).get(schema) != simdjson::SUCCESS ||
      schema["properties"].get_object().get(properties) != simdjson::SUCCESS) {
    LogError("internal error: the settings schema is not a JSON Schema object");
    return kExitStreamFailed;
  }
  if (schema["required"].get_array().get(required) == simdjson::SUCCESS) {
    for (auto name : required) {
      std::string_view required_name;
      if (name.get_string().get(required_name) == simdjson::SUCCESS) {
        required_names.insert(required_name);
      }
    }
  }
  for (auto [name, property] : properties) {
    std::string_view description;
    if (property["description"].get_string().get(description) != simdjson::SUCCESS) {
      description = "";
    }
    text += "- `" + std::string(name) + "`" +
            (required_names.count(name) != 0 ? " (required)" : "") + ": " +
            std::string(description) + "\n";
  }
  std::cout << text << std::flush;
  return kExitOk;
}

int SingerDiscover(const SingerArgs& args) {
  if (args.config) {
    // Discovery needs no request, but a broken config file is better reported now.
    auto config = ResolveConfig(FlagsWithConfigFile(args.config), /*require_token=*/false);
    if (!config.ok()) {
      LogError(config.status().message());
      return kExitConfig;
    }
  }
  auto catalog = SingerCatalogJson();
  if (!catalog.ok()) {
    LogError(catalog.status().message());
    return kExitStreamFailed;
  }
  return WriteSingerLine(std::cout, *catalog).ok() ? kExitOk : kExitStreamFailed;
}

int SingerSync(const SingerArgs& args) {
  auto config = ResolveConfig(FlagsWithConfigFile(args.config));
  if (!config.ok()) {
    LogError(config.status().message());
    return kExitConfig;
  }
  std::optional<std::string> catalog_path = args.catalog ? args.catalog : args.properties;
  if (args.catalog && args.properties) {
    LogWarn("both --catalog and --properties given; using --catalog");
  }
  std::vector<SingerStream> streams;
  if (catalog_path) {
    auto text = ReadTextFile(*catalog_path, "catalog");
    if (!text.ok()) {
      LogError(text.status().message());
      return kExitConfig;
    }
    auto selection = SelectSingerStreams(*text);
    if (!selection.ok()) {
      LogError(selection.status().message());
      return kExitConfig;
    }
    for (const auto& warning : selection->warnings) {
      LogWarn(warning);
    }
    streams = std::move(selection->streams);
    if (streams.empty()) {
      LogWarn(
          "the catalog selects no stream, so there is nothing to sync; select a stream "
          "with \"selected\": true in its metadata entry whose breadcrumb is []");
    }
  } else {
    auto named = SingerStreamsNamed(config->streams);
    if (!named.ok()) {
      LogError(named.status().message());
      return kExitConfig;
    }
    streams = std::move(*named);
  }
  config->streams.clear();
  for (const auto& stream : streams) {
    config->streams.push_back(stream.name);
  }

  SingerBookmarks bookmarks;
  if (args.state) {
    auto text = ReadTextFile(*args.state, "state");
    if (!text.ok()) {
      LogError(text.status().message());
      return kExitConfig;
    }
    if (!IsBlank(*text)) {
      auto parsed = ParseSingerState(*text);
      if (!parsed.ok()) {
        LogError(parsed.status().message());
        return kExitConfig;
      }
      bookmarks = std::move(*parsed);
    }
  }

  SingerDestination destination(std::cout, SystemClock::Instance(), std::move(streams),
                                std::move(bookmarks));
  SyncHooks hooks;
  hooks.on_stream_done = LogStreamDone;
  // SIGTERM must keep its default action: Meltano's `config test` expects the tap killed by it.
  hooks.handle_signals = false;
  RunReport report;
  Status started = ExecuteSync(*config, destination, hooks, report);
  if (!started.ok()) {
    LogError(started.message());
    return kExitStreamFailed;
  }
  if (!report.fatal.ok()) {
    LogError(report.fatal.message());
  }
  return report.ExitCode();
}

/// One cheap authenticated request: the first warehouse of the public catalog.
Status CheckConnection(const Config& config) {
  CurlOptions curl;
  curl.request_timeout_s = config.request_timeout_s;
  curl.ca_bundle = config.ca_bundle;
  curl.user_agent = "segsync/" + std::string(kVersion);
  SEGSYNC_ASSIGN_OR_RETURN(auto http, CurlHttpClient::Make(curl));
  ClientOptions options;
  options.base_url = config.api_url;
  options.token = config.api_token;
  options.region = config.region;
  options.retry.max_retries = config.max_retries;
  RateLimitPacer pacer(SystemClock::Instance());
  SegmentClient client(*http, pacer, SystemClock::Instance(), options);
  QueryParams query;
  AddPagination(query, 1, "");
  simdjson::dom::parser parser;
  RequestStats stats;
  auto data = client.GetData("/catalog/warehouses", query, parser, stats);
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

AirbyteFailure AirbyteFailureOf(FailureType type) {
  switch (type) {
    case FailureType::kConfig:
      return AirbyteFailure::kConfig;
    case FailureType::kTransient:
      return AirbyteFailure::kTransient;
    case FailureType::kSystem:
      break;
  }
  return AirbyteFailure::kSystem;
}

/// Why a stream failed, in Airbyte's terms: its code's row in the failure table. A stream that
/// never sent a request because its parent failed takes its parent's type.
///
/// Kept from before the table, so that the failure types Airbyte sees do not change: a stream
/// that retried is reported transient even when its last error was not (say, a 422 after a
/// retried page), and a transient error that was never retried (max_retries 0) as a system
/// error. The table alone would say system and transient in those two cases.
AirbyteFailure FailureOf(const StreamReport& stream, const RunReport& run) {
  if (stream.requests.requests == 0) {
    const StreamSpec* spec = FindStream(stream.name);
    for (const auto& parent : run.streams) {
      if (spec != nullptr && parent.name == spec->parent &&
          parent.outcome == StreamOutcome::kFailed) {
        return FailureOf(parent, run);
      }
    }
  }
  FailureType type = MeaningOf(stream.code).failure_type;
  if (type != FailureType::kConfig) {
    type = stream.requests.retries > 0 ? FailureType::kTransient : FailureType::kSystem;
  }
  return AirbyteFailureOf(type);
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
                     AirbyteFailureOf(meaning.failure_type));
  return kExitStreamFailed;
}

int AirbyteDiscover(const AirbyteArgs& args, AirbyteWriter& writer) {
  auto config = ResolveConfig(FlagsWithConfigFile(args.config), /*require_token=*/false);
  if (!config.ok()) {
    LogError(config.status().message());
    (void)writer.Error(config.status().message(), AirbyteFailure::kConfig);
    return kExitConfig;
  }
  auto catalog = AirbyteCatalogJson();
  if (!catalog.ok()) {
    LogError(catalog.status().message());
    (void)writer.Error(catalog.status().message(), AirbyteFailure::kSystem);
    return kExitStreamFailed;
  }
  return writer.Catalog(*catalog).ok() ? kExitOk : kExitStreamFailed;
}

int AirbyteRead(const AirbyteArgs& args, AirbyteWriter& writer) {
  auto config_error = [&writer](const Status& status) {
    LogError(status.message());
    (void)writer.Error(status.message(), AirbyteFailure::kConfig);
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
    emitted.Keep(writer.Error(problem.message, AirbyteFailure::kConfig, problem.stream));
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
    if (s.outcome == StreamOutcome::kOk) {
      emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kComplete));
      return;
    }
    emitted.Keep(writer.StreamStatus(s.name, AirbyteStreamStatus::kIncomplete));
    if (s.outcome == StreamOutcome::kNotEntitled) {
      // Not a failure of the sync (CONTRACT.md §1): say why the stream is empty, and go on.
      emitted.Keep(writer.Log("WARN", s.name + " was skipped: " + s.message));
    }
  };
  RunReport report;
  Status started_run = ExecuteSync(*config, destination, hooks, report);
  if (!started_run.ok()) {
    LogError(started_run.message());
    (void)writer.Error(started_run.message(), AirbyteFailure::kSystem);
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
                                AirbyteFailure::kTransient, s.name));
    }
  }
  if (token_rejected) {
    LogError(report.fatal.message());
    emitted.Keep(writer.Error(report.fatal.message(), AirbyteFailure::kConfig));
  }
  if (!emitted.first().ok()) {
    LogError(emitted.first().message());
    return kExitStreamFailed;
  }
  const int code = report.ExitCode();
  return code == kExitOk && !selection->problems.empty() ? kExitStreamFailed : code;
}

}  // namespace

CLI::App* AddSingerCommand(CLI::App& app, SingerArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "singer", "the Singer tap: --config, --state, --catalog, --discover, --about");
  AddSingerOptions(*cmd, args);
  return cmd;
}

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

int RunSinger(const SingerArgs& args) {
  if (args.about) {
    return PrintAbout(args.format);
  }
  if (args.discover) {
    return SingerDiscover(args);
  }
  return SingerSync(args);
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

bool IsTapProgramName(std::string_view argv0) {
  return std::filesystem::path(argv0).filename() == kTapName;
}

int RunTapCommandLine(int argc, char** argv) {
  CLI::App app{std::string(kDescription)};
  app.name(std::string(kTapName));
  app.set_version_flag("--version", std::string(kTapName) + " " + std::string(kVersion));
  SingerArgs args;
  AddSingerOptions(app, args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      return app.exit(e);  // --help, --version
    }
    std::cerr << kTapName << ": error: " << e.what() << "\nRun '" << kTapName
              << " --help' for the accepted options.\n";
    return kExitConfig;
  }
  return RunSinger(args);
}

}  // namespace segsync
