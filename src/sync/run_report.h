// SPDX-License-Identifier: Apache-2.0
// What a run did, per stream: outcome, rows, pages, requests, time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/segment_client.h"
#include "core/status.h"
#include "sync/outcome.h"

namespace segsync {

struct StreamReport {
  std::string name;
  bool selected = true;  // false: read only because a selected child needs its ids
  StreamOutcome outcome = StreamOutcome::kNotRun;
  std::string message;                // why it failed or was skipped
  std::string warning;                // what it could not read as asked, though it did not fail
  StatusCode code = StatusCode::kOk;  // why: its row in the failure table (sync/outcome.h)
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
  /// 0 all ok or not_entitled; 1 a stream failed; else the fatal failure's (3 token rejected,
  /// 130 interrupted, 143 when by SIGTERM), from the failure table.
  int ExitCode() const;
  /// Per-stream JSON for _segsync_runs.streams.
  std::string StreamsJson() const;
};

}  // namespace segsync
