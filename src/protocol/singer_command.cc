// SPDX-License-Identifier: Apache-2.0
// `segsync singer` (also the binary run as tap-segsync): the Singer tap's command line.
#include "protocol/singer_command.h"

#include <simdjson.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <set>

#include "cli/commands.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "core/version.h"
#include "protocol/command_common.h"
#include "protocol/settings_schema.h"
#include "protocol/singer_catalog.h"
#include "protocol/singer_writer.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

constexpr std::string_view kTapName = "tap-segsync";
/// What the tap reads, with the size of the stream table.
std::string Description() {
  return "Singer tap for the Segment Public API: a workspace's configuration (sources, "
         "destinations, warehouses, catalog, users, ...) and operational metrics (usage, "
         "delivery, audit trail) in " +
         std::to_string(AllStreams().size()) + " streams.";
}

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

int PrintAbout(std::string_view format) {
  static constexpr std::string_view kCapabilities[] = {"catalog", "discover", "state", "about",
                                                       "activate-version"};
  const std::string settings = ConfigSettingsSchema(SettingsDialect::kSinger);
  if (format == "json") {
    JsonWriter w;
    w.BeginObject().Key("name").String(kTapName).Key("description").String(Description());
    w.Key("version").String(kVersion).Key("capabilities").BeginArray();
    for (auto capability : kCapabilities) {
      w.String(capability);
    }
    w.EndArray().Key("settings").Raw(settings).EndObject();
    std::cout << w.str() << "\n" << std::flush;
    return kExitOk;
  }
  // Markdown for docs; plain text (the default) for a terminal, where `#` and backticks are noise.
  const bool markdown = format == "markdown";
  std::string text = (markdown ? "# " : "") + std::string(kTapName) + "\n\n" + Description() +
                     "\n\nVersion: " + std::string(kVersion) + "\n\n" +
                     (markdown ? "## Capabilities\n\n" : "Capabilities:\n");
  for (auto capability : kCapabilities) {
    text += (markdown ? "- " : "  ") + std::string(capability) + "\n";
  }
  text += markdown ? "\n## Settings\n\n" : "\nSettings:\n";
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
    const std::string quoted = markdown ? "`" + std::string(name) + "`" : std::string(name);
    text += (markdown ? "- " : "  ") + quoted +
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

}  // namespace

CLI::App* AddSingerCommand(CLI::App& app, SingerArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "singer", "the Singer tap: --config, --state, --catalog, --discover, --about");
  AddSingerOptions(*cmd, args);
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

bool IsTapProgramName(std::string_view argv0) {
  return std::filesystem::path(argv0).filename() == kTapName;
}

int RunTapCommandLine(int argc, char** argv) {
  CLI::App app{Description()};
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
