// SPDX-License-Identifier: Apache-2.0
// The run report's status, exit code and per-stream JSON.
#include "sync/run_report.h"

#include "core/clock.h"
#include "core/json_writer.h"

namespace segsync {

std::string RunReport::StatusName() const {
  if (fatal.code() == StatusCode::kInterrupted) {
    return "interrupted";
  }
  if (!fatal.ok()) {
    return "failed";
  }
  for (const auto& s : streams) {
    if (s.selected && s.outcome != StreamOutcome::kOk && s.outcome != StreamOutcome::kNotEntitled) {
      return "partial";
    }
  }
  return "ok";
}

int RunReport::ExitCode() const {
  if (fatal.code() == StatusCode::kInterrupted) {
    return InterruptedExitCode();
  }
  if (!fatal.ok()) {
    return MeaningOf(fatal.code()).exit_code;
  }
  return StatusName() == "ok" ? kExitOk : kExitStreamFailed;
}

int64_t RunReport::WallMs() const {
  const auto started = ParseRfc3339(started_at);
  const auto ended = ParseRfc3339(ended_at);
  return started.ok() && ended.ok() ? *ended - *started : 0;
}

std::string RunReport::StreamsJson() const {
  JsonWriter w;
  w.BeginArray();
  for (const auto& s : streams) {
    if (!s.selected) {
      continue;
    }
    w.BeginObject()
        .Key("stream")
        .String(s.name)
        .Key("outcome")
        .String(StreamOutcomeName(s.outcome))
        .Key("rows_written")
        .Int(s.rows_written)
        .Key("rows_deleted")
        .Int(s.rows_deleted)
        .Key("pages")
        .Int(s.pages)
        .Key("requests")
        .Int(s.requests.requests)
        .Key("retries")
        .Int(s.requests.retries)
        .Key("rate_limited")
        .Int(s.requests.rate_limited)
        .Key("duration_ms")
        .Int(s.duration_ms);
    if (!s.message.empty()) {
      w.Key("message").String(s.message);
    }
    if (!s.warning.empty()) {
      w.Key("warning").String(s.warning);
    }
    w.EndObject();
  }
  w.EndArray();
  return w.Take();
}

}  // namespace segsync
