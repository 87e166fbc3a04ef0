// SPDX-License-Identifier: Apache-2.0
// segsync: replicate a Segment workspace's configuration and metrics. All wiring lives here.
#include <sys/prctl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <new>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/changes_command.h"
#include "cli/cli_suggest.h"
#include "cli/commands.h"
#include "cli/demo.h"
#include "cli/report_command.h"
#include "core/log.h"
#include "core/version.h"
#include "http/curl_http_client.h"
#include "protocol/airbyte_command.h"
#include "protocol/singer_command.h"
#include "sim/simulator.h"
#include "streams/stream_spec.h"
#include "sync/outcome.h"

namespace {

using segsync::ConfigFlags;

/// Flags shared by every command that reads configuration: one per setting of the table.
void AddConfigFlags(CLI::App& cmd, ConfigFlags& flags) {
  cmd.add_option("--config", flags.config_file, "JSON configuration file");
  for (const segsync::Setting& setting : segsync::AllSettings()) {
    const std::string name(setting.flag);
    const std::string help = segsync::DescribeSetting(setting, segsync::AllStreams().size());
    if (setting.number != nullptr) {
      cmd.add_option(name, flags.*(setting.number), help);
    } else {
      cmd.add_option(name, flags.*(setting.text), help);
    }
  }
  cmd.add_flag("--allow-insecure-http", flags.allow_insecure_http,
               "allow an http:// api_url to a host other than this machine (sends the token in "
               "clear text)");
}

/// Overwrites the value of every --api-token in argv, so `ps` and /proc/PID/cmdline stop showing
/// it (CLI11 has copied it by then). Returns whether there was one.
bool ScrubTokenArguments(int argc, char** argv) {
  constexpr std::string_view kFlag = "--api-token";
  bool found = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    char* value = nullptr;
    if (arg == kFlag && i + 1 < argc) {
      value = argv[++i];
    } else if (arg.starts_with(kFlag) && arg.size() > kFlag.size() && arg[kFlag.size()] == '=') {
      value = argv[i] + kFlag.size() + 1;
    }
    if (value != nullptr) {
      std::memset(value, '*', std::strlen(value));
      found = true;
    }
  }
  return found;
}

void AddSimulatorFlags(CLI::App& cmd, segsync::sim::SimOptions& sim) {
  // Every flag's help shows its default, the token above all: a client must send exactly it.
  cmd.option_defaults()->always_capture_default();
  cmd.add_option("--port", sim.port, "port to listen on; 0 picks a free one (default)");
  cmd.add_option("--seed", sim.seed, "seed of the generated workspace (default 1)");
  cmd.add_option("--scale", sim.scale, "small (default), large or bench")
      ->check(CLI::IsMember({"small", "large", "bench"}));
  cmd.add_option("--token", sim.token,
                 "the one bearer token the simulator accepts (default " + sim.token +
                     "); give the same to segsync through SEGMENT_API_TOKEN");
  cmd.add_option("--request-log", sim.request_log, "append one JSON line per request to FILE");
  cmd.add_option("--latency-ms", sim.latency_ms, "delay added to every response");
  cmd.add_option("--plan", sim.plan, "business (default) or team (no audit trail)")
      ->check(CLI::IsMember({"business", "team"}));
  cmd.add_flag("!--no-protocols", sim.protocols, "answer /transformations with 403");
  cmd.add_flag("!--no-subscriptions", sim.subscriptions,
               "answer destination subscriptions with 403");
  cmd.add_option("--rate-limit", sim.rate_limit, "requests per window; 0 = unlimited");
  cmd.add_option("--rate-window-ms", sim.rate_window_ms, "length of a rate-limit window");
  cmd.add_option("--rate-limit-mode", sim.rate_limit_mode,
                 "clock-window (default), first-request-window, sliding-window or token-bucket")
      ->check(CLI::IsMember(
          {"clock-window", "first-request-window", "sliding-window", "token-bucket"}));
  cmd.add_option("--rate-burst", sim.rate_burst, "token bucket capacity (default: --rate-limit)");
  cmd.add_flag("!--rate-reset-round-down", sim.rate_reset_round_up,
               "round X-RateLimit-Reset down to its second instead of up");
  cmd.add_option("--endpoint-limit", sim.endpoint_limits,
                 "PATH=N/WINDOW: that endpoint's own limit, e.g. /events/volume=60/60s "
                 "(repeatable; * matches one path segment)");
  cmd.add_option("--faults", sim.faults, "fraction of requests that fail, 0 to 1")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--stall-ms", sim.stall_ms, "how long a stall fault hangs");
  cmd.add_option("--audit-events", sim.audit_events, "number of audit events (overrides scale)");
  cmd.add_option("--audit-old-start", sim.audit_old_start,
                 "what /audit-events does with a startTime older than 90 days: keep-all "
                 "(default, 200 days kept), ignore (90 kept) or reject (422)")
      ->check(CLI::IsMember({"keep-all", "ignore", "reject"}));
  cmd.add_option("--volume-end-time", sim.volume_end_time,
                 "which startTime and endTime /events/volume takes: boundary (default, on the "
                 "granularity's UTC boundary), any (any time), past (any time, no future "
                 "endTime) or boundary-past")
      ->check(CLI::IsMember({"boundary", "any", "past", "boundary-past"}));
}

}  // namespace

// CLI11's exceptions are caught below and library errors are Status values; anything else that
// escapes is a bug, and std::terminate's abort is the loud end it deserves.
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  // The token lives in this process's memory: no core file or ptrace by another user may carry
  // it away.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#if defined(__GLIBC__)
  // Page bodies of up to 24 MB come and go. A fixed mmap threshold keeps every big buffer in its
  // own mapping, returned when freed (glibc otherwise raises the threshold after the first free
  // and keeps them in the heap: 98 -> 74 MB peak for destinations); two arenas instead of one per
  // worker thread (83 -> 63 MB for a usage stream, at the same speed).
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_ARENA_MAX, 2);
#endif
  segsync::GlobalHttpInit();
  if (argc > 0 && segsync::IsTapProgramName(argv[0])) {
    const int tap_code = segsync::RunTapCommandLine(argc, argv);
    segsync::GlobalHttpCleanup();
    return tap_code;
  }
  CLI::App app{
      "segsync: replicate a Segment workspace's configuration and metrics into SQLite "
      "or PostgreSQL"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "segsync " + std::string(segsync::kVersion));

  ConfigFlags flags;
  bool quiet = false;
  bool verbose = false;
  std::string log_format = "text";
  auto add_output_flags = [&](CLI::App& cmd) {
    cmd.add_flag("--quiet,-q", quiet, "print only errors");
    cmd.add_flag("--verbose,-v", verbose, "log every request");
    cmd.add_option("--log-format", log_format, "text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
  };

  CLI::App* sync =
      app.add_subcommand("sync", "replicate the selected streams into the destination");
  AddConfigFlags(*sync, flags);
  add_output_flags(*sync);
  std::vector<std::string> full_refresh_streams;
  sync->add_option("--full-refresh", full_refresh_streams,
                   "re-read these streams (all selected, if none is named) from the start date, "
                   "ignoring their bookmarks")
      ->expected(0, -1)
      ->delimiter(',')
      ->type_name("[STREAM...]");

  ConfigFlags check_flags;
  CLI::App* check = app.add_subcommand(
      "check",
      "verify the token, the region and that the destination can be written, then report per "
      "stream: ok, not_entitled or error");
  AddConfigFlags(*check, check_flags);
  add_output_flags(*check);

  CLI::App* discover =
      app.add_subcommand("discover", "print every stream with its keys, method and JSON Schema");

  std::string demo_db = "segsync-demo.db";
  CLI::App* demo = app.add_subcommand(
      "demo",
      "start the built-in simulator, sync all streams into segsync-demo.db and write its report, "
      "segsync-demo.html");
  demo->add_option("--db", demo_db,
                   "SQLite file to write (default segsync-demo.db); an existing file is replaced "
                   "only if an earlier demo created it");
  add_output_flags(*demo);

  segsync::sim::SimOptions sim_options;
  CLI::App* simulate =
      app.add_subcommand("simulate",
                         "serve a simulated Segment Public API until stopped; it accepts only the "
                         "token given by --token (default " +
                             sim_options.token + ")");
  AddSimulatorFlags(*simulate, sim_options);

  segsync::ChangesArgs changes_args;
  CLI::App* changes = segsync::AddChangesCommand(app, changes_args);
  segsync::ReportArgs report_args;
  CLI::App* report = segsync::AddReportCommand(app, report_args);

  segsync::SingerArgs singer_args;
  CLI::App* singer = segsync::AddSingerCommand(app, singer_args);
  segsync::AirbyteArgs airbyte_args;
  CLI::App* airbyte = segsync::AddAirbyteCommand(app, airbyte_args);

  int code = 0;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    code = app.exit(e);
    segsync::GlobalHttpCleanup();
    return code;
  } catch (const CLI::CallForAllHelp& e) {
    code = app.exit(e);
    segsync::GlobalHttpCleanup();
    return code;
  } catch (const CLI::CallForVersion& e) {
    code = app.exit(e);
    segsync::GlobalHttpCleanup();
    return code;
  } catch (const CLI::ParseError& e) {
    std::cerr << "segsync: error: "
              << segsync::UnknownWordMessage(app, argc, argv).value_or(e.what())
              << "\nRun 'segsync --help' or 'segsync <command> --help' for the accepted options.\n";
    segsync::GlobalHttpCleanup();
    return segsync::kExitConfig;
  }

  segsync::SetLogLevel(quiet     ? segsync::LogLevel::kQuiet
                       : verbose ? segsync::LogLevel::kDebug
                                 : segsync::LogLevel::kInfo);
  segsync::SetLogFormat(log_format == "json" ? segsync::LogFormat::kJson
                                             : segsync::LogFormat::kText);
  if (ScrubTokenArguments(argc, argv)) {
    segsync::LogWarn(
        "--api-token on the command line is readable by every user of this machine (ps); it was "
        "erased from this process's arguments, but use SEGMENT_API_TOKEN or the --config file "
        "instead");
  }
  try {
    if (sync->parsed()) {
      segsync::FullRefresh full_refresh;
      if (sync->count("--full-refresh") > 0) {
        full_refresh = full_refresh_streams;
      }
      code = segsync::RunSync(flags, quiet, full_refresh);
    } else if (check->parsed()) {
      code = segsync::RunCheck(check_flags);
    } else if (discover->parsed()) {
      code = segsync::RunDiscover();
    } else if (demo->parsed()) {
      code = segsync::RunDemo(demo_db, quiet);
    } else if (simulate->parsed()) {
      code = segsync::sim::ServeUntilSignal(sim_options);
    } else if (changes->parsed()) {
      code = segsync::RunChanges(changes_args);
    } else if (report->parsed()) {
      code = segsync::RunReportCommand(report_args);
    } else if (singer->parsed()) {
      code = segsync::RunSinger(singer_args);
    } else if (airbyte->parsed()) {
      code = segsync::RunAirbyte(airbyte_args);
    }
  } catch (const std::bad_alloc&) {
    // Response bodies are bounded (src/http/curl_http_client.cc); what still runs out of memory
    // ends like any other failure, with one line instead of an abort.
    segsync::LogError(
        "out of memory; raise the memory limit of this process or lower max_concurrency, then "
        "run again");
    code = segsync::kExitStreamFailed;
  }
  segsync::GlobalHttpCleanup();
  return code;
}
