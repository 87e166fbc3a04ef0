// SPDX-License-Identifier: Apache-2.0
// `--full-refresh [STREAM...]`: streams re-read from the start date, their bookmarks ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "dest/destination.h"

namespace segsync {

/// The streams a sync re-reads from the start date: nullopt when `--full-refresh` was not given,
/// every selected stream when it was given without names, else the names given.
using FullRefresh = std::optional<std::vector<std::string>>;

/// Whether `stream` is re-read from the start date under `full_refresh`.
bool RefreshesStream(const FullRefresh& full_refresh, const std::string& stream);

/// A destination whose ReadState finds no state for the streams being refreshed, so the engine
/// reads them from the start date; everything else goes to `inner`. Their new bookmark is
/// written as usual, so the next run without the flag goes on from there.
class FullRefreshDestination final : public Destination {
 public:
  FullRefreshDestination(Destination& inner, FullRefresh full_refresh)
      : inner_(inner), full_refresh_(std::move(full_refresh)) {}

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override { return inner_.BeginStream(table); }
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override {
    return inner_.Write(records, extracted_at);
  }
  Result<int64_t> CommitStream(const StreamCommit& commit) override {
    return inner_.CommitStream(commit);
  }
  void AbortStream() override { inner_.AbortStream(); }
  Status RecordRun(const RunRecord& run) override { return inner_.RecordRun(run); }
  std::optional<int64_t> LastRunId() const override { return inner_.LastRunId(); }
  std::optional<HistoryCounts> LastHistoryCounts() const override {
    return inner_.LastHistoryCounts();
  }
  Status Verify() override { return inner_.Verify(); }

 private:
  Destination& inner_;
  FullRefresh full_refresh_;
};

/// When the start date was given and is earlier than some selected streams' bookmarks (which
/// win), the one line saying so and how to re-read; nullopt otherwise.
Result<std::optional<std::string>> StartDateNote(const Config& config, Destination& destination,
                                                 const FullRefresh& full_refresh);

}  // namespace segsync
