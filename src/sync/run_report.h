// SPDX-License-Identifier: Apache-2.0
// What a run did, per stream: outcome, rows, pages, requests, time; and how a person sees it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/segment_client.h"
#include "core/status.h"
#include "sync/outcome.h"

namespace segsync {

/// A stream read ahead while another is written: its partitions read of all of them.
struct ReadAhead {
  std::string name;
  int64_t partitions_read = 0;
  int64_t partitions = 0;
};

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
  /// What the rows written changed, where the destination keeps history (-1: it does not):
  /// rows new (or back after a deletion) and rows whose values changed.
  int64_t rows_added = -1;
  int64_t rows_updated = -1;
  int64_t pages = 0;
  /// For live progress: the list's `pagination.totalEntries` when the API says it and the stream
  /// is one list (-1: unknown); its partitions (one per parent id or window) and how many are read.
  int64_t total_entries = -1;
  int64_t partitions = 0;
  int64_t partitions_read = 0;
  /// While it is written (live progress only): the selected streams being read ahead.
  std::vector<ReadAhead> reading_ahead;
  RequestStats requests;
  int64_t duration_ms = 0;
};

struct RunReport {
  std::string started_at;
  std::string ended_at;
  std::vector<StreamReport> streams;
  Status fatal;                   // a 401 or an interruption that stopped the whole run
  std::optional<int64_t> run_id;  // its `_segsync_runs.run_id`, where the destination keeps one

  /// "ok", "partial" (some stream failed), "failed", "interrupted".
  std::string StatusName() const;
  /// 0 all ok or not_entitled; 1 a stream failed; else the fatal failure's (3 token rejected,
  /// 130 interrupted, 143 when by SIGTERM), from the failure table.
  int ExitCode() const;
  /// The run's wall time (streams overlap, so not the sum of theirs); 0 if unknown.
  int64_t WallMs() const;
  /// Per-stream JSON for _segsync_runs.streams.
  std::string StreamsJson() const;
};

/// The summary and the progress line keep within this many columns.
inline constexpr size_t kSummaryWidth = 100;

/// `s` padded to `width`, and always followed by at least one space so columns stay apart.
std::string PadColumn(std::string s, size_t width);
/// "12.3s".
std::string FormatSeconds(int64_t ms);
/// The summary printed after a sync: the per-stream table and its total row (within 100
/// columns), why streams failed, the not-entitled streams in one line, the changes the rows
/// made, and the run line (run id, outcome, wall time, streams by outcome).
std::string FormatSummary(const RunReport& report);

/// What the live progress line knows besides the stream being written.
struct ProgressView {
  int streams_done = 0;      // selected streams finished, however they ended
  int streams_selected = 0;  // selected streams in all
  int64_t elapsed_ms = 0;    // since the run started
};
/// The live progress line for the stream being written: `sources: 731/1100 rows, 2 pages, 2
/// requests | 3/18 streams done, 12s, about 41s left`, cut to `width` columns.
std::string FormatProgress(const StreamReport& stream, const ProgressView& view, size_t width);
/// The second live line, the streams read ahead while `stream` is written (`reading ahead:
/// destination_subscriptions 12/60, usage_mtu_per_source_daily 3/13`), cut to `width`; empty
/// when there are none.
std::string FormatReadingAhead(const StreamReport& stream, size_t width);
/// "8s", "2m05s", "1h03m".
std::string FormatDuration(int64_t ms);
/// `text` folded at spaces into lines of at most `width` columns; later lines are indented.
std::string WrapText(std::string_view text, size_t width, size_t indent);

}  // namespace segsync
