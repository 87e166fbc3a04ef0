// SPDX-License-Identifier: Apache-2.0
// `--full-refresh [STREAM...]`: streams re-read from the start date, their bookmarks ignored.
#include "cli/full_refresh.h"

#include <algorithm>

#include "core/clock.h"
#include "streams/stream_spec.h"
#include "sync/bookmarks.h"

namespace segsync {

bool RefreshesStream(const FullRefresh& full_refresh, const std::string& stream) {
  return full_refresh &&
         (full_refresh->empty() ||
          std::find(full_refresh->begin(), full_refresh->end(), stream) != full_refresh->end());
}

Result<std::optional<std::string>> FullRefreshDestination::ReadState(std::string_view stream) {
  if (RefreshesStream(full_refresh_, std::string(stream))) {
    return std::optional<std::string>();
  }
  return inner_.ReadState(stream);
}

Result<std::optional<std::string>> StartDateNote(const Config& config, Destination& destination,
                                                 const FullRefresh& full_refresh) {
  if (!config.start_date_given) {
    return std::optional<std::string>();
  }
  std::vector<std::string> later;
  for (const std::string& name : config.streams) {
    const StreamSpec* spec = FindStream(name);
    if (spec == nullptr || spec->mode == SyncMode::kFullTable ||
        RefreshesStream(full_refresh, name)) {
      continue;
    }
    SEGSYNC_ASSIGN_OR_RETURN(std::optional<std::string> bookmark, ReadBookmark(destination, name));
    if (!bookmark) {
      continue;
    }
    auto at = ParseRfc3339(*bookmark);
    if (at.ok() && *at > config.start_date) {
      later.push_back(name + " from " + *bookmark);
    }
  }
  if (later.empty()) {
    return std::optional<std::string>();
  }
  std::string streams;
  for (const auto& s : later) {
    streams += (streams.empty() ? "" : ", ") + s;
  }
  return std::optional<std::string>(
      "start_date " + FormatRfc3339Millis(config.start_date) +
      " is earlier than what this destination already holds, and the bookmark wins: " + streams +
      ". To re-read from the start date, add --full-refresh (all streams) or --full-refresh "
      "STREAM...");
}

}  // namespace segsync
