// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/segment_client.h"
#include "core/status.h"

namespace segsync {

/// How one stream ended (CONTRACT.md §4: `_segsync_runs`).
enum class StreamOutcome { kOk, kNotEntitled, kFailed, kInterrupted, kNotRun };

std::string_view StreamOutcomeName(StreamOutcome outcome);

struct StreamReport {
  std::string name;
  bool selected = true;  // false: read only because a selected child needs its ids
  StreamOutcome outcome = StreamOutcome::kNotRun;
  std::string message;                // why it failed or was skipped
  StatusCode code = StatusCode::kOk;  // why, for protocol failure types
  bool stopped_run = false;           // its failure ended the whole run (401, unreachable, signal)
  int64_t rows_written = 0;
  int64_t rows_deleted = 0;
  int64_t pages = 0;
  RequestStats requests;
  int64_t duration_ms = 0;
};

struct RunReport {
  std::string started_at;
  std::string ended_at;
  std::vector<StreamReport> streams;
  Status fatal;  // a 401 or an interruption that stopped the whole run

  /// "ok", "partial" (some stream failed), "failed", "interrupted".
  std::string StatusName() const;
  /// CONTRACT.md §1: 0 all ok or not_entitled; 1 a stream failed; 3 token rejected.
  int ExitCode() const;
  /// Per-stream JSON for _segsync_runs.streams.
  std::string StreamsJson() const;
};

}  // namespace segsync
