// SPDX-License-Identifier: Apache-2.0
// The JSONL destination (`jsonl:DIR`).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dest/destination.h"

namespace segsync {

/// The file destination (`jsonl:DIR`): `DIR/<stream>.jsonl` holds one compact JSON record per
/// line with its `_extracted_at`; `DIR/_segsync_state.json` maps each stream to its state;
/// `DIR/_segsync_runs.jsonl` holds one line per run.
///
/// Capability difference: the files are append-only logs, so there is no upsert (a record read
/// again is appended again) and no deletion marking (`mark_deleted_before` marks nothing and
/// CommitStream returns 0). A stream's lines are staged in a temp file and published by one
/// rename, so a killed process never leaves a half-written line or half a stream. The state is
/// replaced after the data: a crash between the two leaves the old state, and the next run
/// appends those records again.
class JsonlDestination final : public Destination {
 public:
  explicit JsonlDestination(std::filesystem::path directory);
  ~JsonlDestination() override;
  JsonlDestination(const JsonlDestination&) = delete;
  JsonlDestination& operator=(const JsonlDestination&) = delete;

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override;
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override;
  Result<int64_t> CommitStream(const StreamCommit& commit) override;
  void AbortStream() override;
  Status RecordRun(const RunRecord& run) override;

 private:
  /// Publish the staged stream file and then the state; CommitStream aborts if this fails.
  Status FinishStream(const StreamCommit& commit);
  Status FlushPending();
  void ClosePending();

  std::filesystem::path directory_;
  std::optional<TableSpec> stream_;
  std::filesystem::path pending_path_;  // DIR/<stream>.jsonl.tmp: the old lines, then the new
  int pending_fd_ = -1;
  std::string buffer_;  // lines not yet written to the pending file
};

}  // namespace segsync
