// SPDX-License-Identifier: Apache-2.0
// The `sync`, `check` and `discover` commands, and the API session they open.
#include "cli/commands.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "api/segment_client.h"
#include "cli/full_refresh.h"
#include "core/cancel.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "core/suggest.h"
#include "core/version.h"
#include "dest/destination.h"
#include "http/curl_http_client.h"
#include "http/pacing.h"
#include "streams/stream_spec.h"
#include "sync/check.h"
#include "sync/engine.h"
#include "sync/outcome.h"

namespace segsync {
namespace {

extern "C" void OnStopSignal(int signal) { RequestCancelBySignal(signal); }

std::vector<std::string> StreamNames() {
  std::vector<std::string> names;
  for (const auto& spec : AllStreams()) {
    names.emplace_back(spec.name);
  }
  return names;
}

/// What a failure before the first request affected: "nothing was read or written (streams:
/// users)", the names when they are few.
std::string NothingDone(const Config& config) {
  constexpr size_t kMaxNamed = 3;
  std::string names;
  if (config.streams.size() <= kMaxNamed) {
    for (const auto& name : config.streams) {
      names += (names.empty() ? "" : ", ") + name;
    }
  } else {
    names = "all " + std::to_string(config.streams.size()) + " selected";
  }
  return ". Nothing was read or written (streams: " + names + ")";
}

/// Streams the workspace is not entitled to still get their (empty) table, so queries written
/// against them run on every plan. Creates only what is missing; a failure is a warning.
void CreateNotEntitledTables(const RunReport& report, Destination& destination) {
  const std::string now = FormatRfc3339Millis(SystemClock::Instance().Now());
  for (const auto& s : report.streams) {
    const StreamSpec* spec = FindStream(s.name);
    if (!s.selected || s.outcome != StreamOutcome::kNotEntitled || spec == nullptr) {
      continue;
    }
    auto table = TableSpecFor(*spec);
    Status status = table.ok() ? destination.BeginStream(*table) : table.status();
    if (status.ok()) {
      StreamCommit commit;
      commit.now = now;
      status = destination.CommitStream(commit).status();
    }
    if (!status.ok()) {
      LogWarn("could not create the empty table of " + s.name + ": " + status.message());
    }
  }
}

}  // namespace

std::string DescribeCommitted(const RunReport& report) {
  std::string kept;
  for (const auto& s : report.streams) {
    if (s.selected && s.outcome == StreamOutcome::kOk) {
      kept +=
          (kept.empty() ? "" : ", ") + s.name + " (" + std::to_string(s.rows_written) + " rows)";
    }
  }
  if (kept.empty()) {
    return "Nothing was written.";
  }
  return "Streams committed before it are kept: " + kept + "; nothing else was written.";
}

Result<Config> ResolveConfig(const ConfigFlags& flags, bool require_token) {
  ConfigSources sources;
  sources.flags = flags;
  const std::string token_env(SettingOf(SettingId::kApiToken).env);
  if (const char* env = std::getenv(token_env.c_str()); env != nullptr && *env != '\0') {
    sources.env_token = std::string(env);
  }
  sources.valid_streams = StreamNames();
  sources.now = SystemClock::Instance().Now();
  sources.require_token = require_token;
  return LoadConfig(sources);
}

Result<std::unique_ptr<ApiSession>> OpenApiSession(const Config& config) {
  CurlOptions curl;
  curl.request_timeout_s = config.request_timeout_s;
  curl.ca_bundle = config.ca_bundle;
  curl.user_agent = "segsync/" + std::string(kVersion);
  ClientOptions client_options;
  client_options.base_url = config.api_url;
  client_options.token = config.api_token;
  client_options.region = config.region;
  client_options.retry.max_retries = config.max_retries;
  auto session = std::make_unique<ApiSession>();
  for (const StreamSpec& spec : AllStreams()) {
    if (spec.own_rate_limit) {
      session->pacer.DeclareOwnBudget(spec.path);
    }
  }
  for (int i = 0; i < config.max_concurrency; ++i) {
    SEGSYNC_ASSIGN_OR_RETURN(auto http, CurlHttpClient::Make(curl));
    session->clients.push_back(std::make_unique<SegmentClient>(
        *http, session->pacer, SystemClock::Instance(), client_options));
    session->http.push_back(std::move(http));
  }
  return session;
}

std::vector<SegmentClient*> ApiSession::ClientPointers() const {
  std::vector<SegmentClient*> out;
  for (const auto& c : clients) {
    out.push_back(c.get());
  }
  return out;
}

Status ExecuteSync(const Config& config, Destination& destination, const SyncHooks& hooks,
                   RunReport& report) {
  SEGSYNC_ASSIGN_OR_RETURN(auto session, OpenApiSession(config));
  EngineOptions options;
  options.selected = config.streams;
  options.start_date = config.start_date;
  options.delivery_window_minutes = config.delivery_window_minutes;
  options.delivery_granularity = config.delivery_granularity;
  SyncEngine engine(session->ClientPointers(), destination, SystemClock::Instance(), options);
  if (hooks.on_stream_start) {
    engine.OnStreamStart(hooks.on_stream_start);
  }
  if (hooks.on_stream_done) {
    engine.OnStreamDone(hooks.on_stream_done);
  }
  if (hooks.on_page) {
    engine.OnPage(hooks.on_page);
  }
  ResetCancel();
  if (hooks.handle_signals) {
    std::signal(SIGINT, OnStopSignal);
    std::signal(SIGTERM, OnStopSignal);
  }
  report = engine.Run();
  if (hooks.handle_signals) {
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  return Status::Ok();
}

int SyncWithConfig(const Config& config, bool quiet, RunReport* report_out,
                   const FullRefresh& full_refresh) {
  DestinationOptions destination_options;
  destination_options.timeout_s = config.destination_timeout_s;
  auto opened = OpenDestination(config.destination, destination_options);
  if (!opened.ok()) {
    LogError(opened.status().message());
    return MeaningOf(opened.status().code()).exit_code;
  }
  // Before the first API request: a destination that cannot be written fails once, here.
  if (Status verified = (*opened)->Verify(); !verified.ok()) {
    LogError(verified.message() + NothingDone(config));
    return MeaningOf(verified.code()).exit_code;
  }
  auto note = StartDateNote(config, **opened, full_refresh);
  if (!note.ok()) {
    LogError(note.status().message() + NothingDone(config));
    return MeaningOf(note.status().code()).exit_code;
  }
  if (*note) {
    LogWarn(**note);
  }
  FullRefreshDestination destination(**opened, full_refresh);
  SyncHooks hooks;
  // On a terminal one line is redrawn in place after every page: the stream being written, how
  // far it is, streams done of selected, elapsed time and an estimate of the time left.
  const bool live = !quiet && isatty(STDERR_FILENO) == 1;
  auto progress = std::make_shared<ProgressView>();
  progress->streams_selected = static_cast<int>(config.streams.size());
  // Lines of live progress on the screen now: each redraw (and each stream's own line) first
  // erases them, from the bottom one up.
  auto drawn = std::make_shared<int>(0);
  auto erase = [drawn] {
    std::string out;
    for (int i = 1; i < *drawn; ++i) {
      out += "\r\033[K\033[A";
    }
    *drawn = 0;
    return out + "\r\033[K";
  };
  const UnixMillis run_started = SystemClock::Instance().Now();
  if (live) {
    hooks.on_page = [progress, run_started, drawn, erase](const StreamReport& s) {
      size_t width = kSummaryWidth;
      winsize size{};
      if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 3) {
        width = size.ws_col - 1;  // never the last column: some terminals wrap there
      }
      progress->elapsed_ms = SystemClock::Instance().Now() - run_started;
      std::string out = erase() + "  " + FormatProgress(s, *progress, width - 2);
      *drawn = 1;
      if (const std::string ahead = FormatReadingAhead(s, width - 4); !ahead.empty()) {
        out += "\n\r\033[K    " + ahead;
        *drawn = 2;
      }
      std::fputs(out.c_str(), stderr);
      std::fflush(stderr);
    };
  }
  hooks.on_stream_done = [quiet, live, progress, erase](const StreamReport& s) {
    if (live) {
      std::fputs(erase().c_str(), stderr);
    }
    if (s.selected) {
      ++progress->streams_done;
    }
    if (!s.selected || s.stopped_run) {
      return;  // a failure that ends the run is said once, by the run
    }
    if (quiet && s.outcome != StreamOutcome::kFailed) {
      return;  // quiet is "errors only"
    }
    std::string line = s.name + ": " + std::string(StreamOutcomeName(s.outcome)) + ", " +
                       std::to_string(s.rows_written) + " rows, " +
                       std::to_string(s.requests.requests) + " requests";
    if (s.outcome == StreamOutcome::kNotEntitled) {
      // The reason is the plan, said once in the summary; the line names what is missing.
      const StreamSpec* spec = FindStream(s.name);
      if (spec != nullptr && !spec->entitlement.empty()) {
        line += " (needs " + std::string(spec->entitlement) + ")";
      }
    } else if (!s.message.empty()) {
      line += " (" + s.message + ")";
    }
    LogFields fields = {{"event", std::string("stream_done")},
                        {"stream", s.name},
                        {"outcome", std::string(StreamOutcomeName(s.outcome))},
                        {"rows", s.rows_written},
                        {"rows_deleted", s.rows_deleted},
                        {"pages", s.pages},
                        {"requests", s.requests.requests},
                        {"retries", s.requests.retries},
                        {"duration_ms", s.duration_ms}};
    if (s.rows_added >= 0) {
      fields.push_back({"rows_added", s.rows_added});
      fields.push_back({"rows_updated", s.rows_updated});
    }
    if (!s.message.empty()) {
      fields.push_back({"reason", s.message});
    }
    Log(s.outcome == StreamOutcome::kFailed ? LogLevel::kError : LogLevel::kInfo, line, fields);
  };
  RunReport report;
  Status started = ExecuteSync(config, destination, hooks, report);
  if (!started.ok()) {
    LogError(started.message());
    return kExitStreamFailed;
  }
  if (report.fatal.ok()) {
    CreateNotEntitledTables(report, destination);
  }
  if (report.fatal.code() == StatusCode::kAuth) {
    LogError(report.fatal.message() + ". " + DescribeCommitted(report));
  } else if (report.fatal.code() == StatusCode::kTransient) {
    LogError(report.fatal.message());
  } else if (report.fatal.code() == StatusCode::kInterrupted) {
    LogError(
        "interrupted: the open stream was rolled back; every stream committed before it is "
        "kept. Run the same command again to finish.");
  }
  if (GetLogFormat() == LogFormat::kJson) {
    // The run as one log line a log reader can act on; the text format has the summary for it.
    LogFields fields = {{"event", std::string("run_done")},
                        {"outcome", report.StatusName()},
                        {"exit_code", static_cast<int64_t>(report.ExitCode())},
                        {"destination", DescribeDestination(config.destination)}};
    if (report.run_id) {
      fields.push_back({"run_id", *report.run_id});
    }
    int64_t rows = 0;
    int64_t requests = 0;
    for (const auto& s : report.streams) {
      rows += s.selected ? s.rows_written : 0;
      requests += s.selected ? s.requests.requests : 0;
    }
    fields.push_back({"rows", rows});
    fields.push_back({"requests", requests});
    fields.push_back({"wall_ms", report.WallMs()});
    Log(report.ExitCode() == kExitOk ? LogLevel::kInfo : LogLevel::kError,
        "run " + report.StatusName(), fields);
  }
  if (!quiet && (report.fatal.ok() || report.fatal.code() == StatusCode::kInterrupted)) {
    std::cout << FormatSummary(report) << "destination: " << DescribeDestination(config.destination)
              << "\n"
              << std::flush;
  }
  const int code = report.ExitCode();
  if (report_out != nullptr) {
    *report_out = std::move(report);
  }
  return code;
}

int RunSync(const ConfigFlags& flags, bool quiet, const FullRefresh& full_refresh) {
  auto config = ResolveConfig(flags);
  if (!config.ok()) {
    LogError(config.status().message());
    return kExitConfig;
  }
  for (const std::string& name : full_refresh.value_or(std::vector<std::string>{})) {
    if (std::find(config->streams.begin(), config->streams.end(), name) == config->streams.end()) {
      LogError("configuration error: --full-refresh names '" + name +
               "', which is not a selected stream" + DidYouMean(name, config->streams) +
               " (selected: " + std::to_string(config->streams.size()) + " streams)");
      return kExitConfig;
    }
  }
  return SyncWithConfig(*config, quiet, nullptr, full_refresh);
}

int RunCheck(const ConfigFlags& flags) {
  auto config = ResolveConfig(flags);
  if (!config.ok()) {
    LogError(config.status().message());
    return kExitConfig;
  }
  auto session = OpenApiSession(*config);
  if (!session.ok()) {
    LogError(session.status().message());
    return kExitStreamFailed;
  }
  // The destination is checked as a sync would use it, before the API; it creates nothing.
  DestinationOptions destination_options;
  destination_options.timeout_s = config->destination_timeout_s;
  auto destination = OpenDestination(config->destination, destination_options);
  if (!destination.ok()) {
    LogError(destination.status().message());
    return MeaningOf(destination.status().code()).exit_code;
  }
  const Status writable = (*destination)->Verify();
  const std::string& token = config->api_token;
  const std::string masked_token =
      token.size() >= 16 ? "****" + token.substr(token.size() - 4) : std::string("****");
  const std::string dest_verdict =
      writable.ok() ? std::string("ok") : "error: " + MaskSecrets(writable.message());
  // With --log-format json every verdict is one JSON object a line, its facts as keys.
  const bool json = GetLogFormat() == LogFormat::kJson;
  auto json_line = [](LogLevel level, std::string_view message, const LogFields& fields) {
    std::cout << FormatJsonLogLine(FormatRfc3339Millis(SystemClock::Instance().Now()), level,
                                   MaskSecrets(message), fields)
              << "\n";
  };
  if (json) {
    json_line(LogLevel::kInfo, "connection",
              {{"event", std::string("check")},
               {"token", masked_token},
               {"region", config->region},
               {"host", config->api_url}});
    json_line(writable.ok() ? LogLevel::kInfo : LogLevel::kError, "destination: " + dest_verdict,
              {{"event", std::string("check")},
               {"destination", DescribeDestination(config->destination)},
               {"outcome", std::string(writable.ok() ? "ok" : "error")},
               {"detail", writable.ok() ? std::string() : MaskSecrets(writable.message())}});
    std::cout << std::flush;
  } else {
    std::cout << "token:  " << masked_token << "\nregion: " << config->region
              << "\nhost:   " << config->api_url
              << "\ndest:   " << DescribeDestination(config->destination) << ": " << dest_verdict
              << "\n\n"
              << std::flush;
  }
  CheckOptions options;
  options.streams = config->streams;
  options.delivery_window_minutes = config->delivery_window_minutes;
  options.delivery_granularity = config->delivery_granularity;
  CheckReport report = CheckStreams((*session)->client(), SystemClock::Instance(), options);
  if (report.fatal.code() == StatusCode::kAuth) {
    LogError(report.fatal.message());
    return kExitAuth;
  }
  int code = writable.ok() ? kExitOk : MeaningOf(writable.code()).exit_code;
  if (!json) {
    std::cout << PadColumn("stream", 38) << "status\n";
  }
  for (const auto& s : report.streams) {
    if (s.outcome == "error") {
      code = kExitStreamFailed;
    }
    if (json) {
      json_line(s.outcome == "error" ? LogLevel::kError : LogLevel::kInfo,
                s.name + ": " + s.outcome,
                {{"event", std::string("check")},
                 {"stream", s.name},
                 {"outcome", s.outcome},
                 {"detail", MaskSecrets(s.detail)}});
      continue;
    }
    std::cout << PadColumn(s.name, 38) << s.outcome;
    if (!s.detail.empty()) {
      std::cout << ": " << MaskSecrets(s.detail);
    }
    std::cout << "\n";
  }
  std::cout << std::flush;
  return code;
}

int RunDiscover() {
  JsonWriter w;
  w.BeginObject().Key("streams").BeginArray();
  for (const auto& spec : AllStreams()) {
    w.BeginObject().Key("stream").String(spec.name).Key("key_properties").BeginArray();
    for (auto key : spec.primary_key) {
      w.String(key);
    }
    w.EndArray()
        .Key("replication_method")
        .String(spec.mode == SyncMode::kFullTable ? "FULL_TABLE" : "INCREMENTAL");
    if (!spec.cursor_field.empty()) {
      w.Key("replication_key").String(spec.cursor_field);
    }
    if (!spec.parent.empty()) {
      w.Key("parent_stream").String(spec.parent);
    }
    w.Key("endpoint").String(std::string(spec.method) + " " + std::string(spec.path));
    w.Key("schema").Raw(StreamSchema(spec.name));
    w.EndObject();
  }
  w.EndArray().EndObject();
  std::cout << w.str() << "\n" << std::flush;
  return kExitOk;
}

}  // namespace segsync
