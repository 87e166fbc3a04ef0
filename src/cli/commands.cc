// SPDX-License-Identifier: Apache-2.0
// The `sync`, `check` and `discover` commands, and the API session they open.
#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

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

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) {
    s.append(width - s.size(), ' ');
  }
  return s;
}

std::string FormatSeconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(ms) / 1000.0);
  return buf;
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

std::string FormatSummary(const RunReport& report) {
  std::string out;
  out += Pad("stream", 38) + Pad("rows", 9) + Pad("deleted", 9) + Pad("requests", 10) +
         Pad("retries", 9) + Pad("time", 8) + "outcome\n";
  for (const auto& s : report.streams) {
    if (!s.selected) {
      continue;
    }
    out += Pad(s.name, 38) + Pad(std::to_string(s.rows_written), 9) +
           Pad(std::to_string(s.rows_deleted), 9) + Pad(std::to_string(s.requests.requests), 10) +
           Pad(std::to_string(s.requests.retries), 9) + Pad(FormatSeconds(s.duration_ms), 8) +
           std::string(StreamOutcomeName(s.outcome));
    if (!s.message.empty()) {
      out += ": " + MaskSecrets(s.message);
    }
    out += "\n";
  }
  // The totals: rows and requests of the selected streams, the run's wall time (streams overlap,
  // so it is not the sum of theirs), and how many streams ended each way.
  int64_t rows = 0;
  int64_t deleted = 0;
  int64_t requests = 0;
  int64_t retries = 0;
  std::map<std::string_view, int> outcomes;
  for (const auto& s : report.streams) {
    if (s.selected) {
      rows += s.rows_written;
      deleted += s.rows_deleted;
      requests += s.requests.requests;
      retries += s.requests.retries;
      ++outcomes[StreamOutcomeName(s.outcome)];
    }
  }
  const auto started = ParseRfc3339(report.started_at);
  const auto ended = ParseRfc3339(report.ended_at);
  const int64_t wall = started.ok() && ended.ok() ? *ended - *started : 0;
  std::string counts;
  for (const auto& [outcome, count] : outcomes) {
    counts += (counts.empty() ? "" : ", ") + std::to_string(count) + " " + std::string(outcome);
  }
  out += Pad("total", 38) + Pad(std::to_string(rows), 9) + Pad(std::to_string(deleted), 9) +
         Pad(std::to_string(requests), 10) + Pad(std::to_string(retries), 9) +
         Pad(FormatSeconds(wall), 8) + counts + "\n";
  return out;
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
  // On a terminal the current stream's line is redrawn in place after every page.
  const bool live = !quiet && isatty(STDERR_FILENO) == 1;
  if (live) {
    hooks.on_page = [](const StreamReport& s) {
      std::string line = "\r\033[K  " + s.name + ": " + std::to_string(s.rows_written) + " rows, " +
                         std::to_string(s.pages) + " pages, " +
                         std::to_string(s.requests.requests) + " requests";
      if (s.requests.retries > 0) {
        line += ", " + std::to_string(s.requests.retries) + " retries";
      }
      if (s.requests.waited_ms > 0) {
        line += ", " + FormatSeconds(s.requests.waited_ms) + " waiting on the rate limit";
      }
      std::fputs(line.c_str(), stderr);
      std::fflush(stderr);
    };
  }
  hooks.on_stream_done = [quiet, live](const StreamReport& s) {
    if (live) {
      std::fputs("\r\033[K", stderr);
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
    if (!s.message.empty()) {
      line += " (" + s.message + ")";
    }
    if (s.outcome == StreamOutcome::kFailed) {
      LogError(line);
    } else {
      LogInfo(line);
    }
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
  std::cout << "token:  "
            << (token.size() >= 16 ? "****" + token.substr(token.size() - 4) : std::string("****"))
            << "\nregion: " << config->region << "\nhost:   " << config->api_url
            << "\ndest:   " << DescribeDestination(config->destination) << ": "
            << (writable.ok() ? std::string("ok") : "error: " + MaskSecrets(writable.message()))
            << "\n\n"
            << std::flush;
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
  std::cout << Pad("stream", 38) << "status\n";
  for (const auto& s : report.streams) {
    std::cout << Pad(s.name, 38) << s.outcome;
    if (!s.detail.empty()) {
      std::cout << ": " << MaskSecrets(s.detail);
    }
    std::cout << "\n";
    if (s.outcome == "error") {
      code = kExitStreamFailed;
    }
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
