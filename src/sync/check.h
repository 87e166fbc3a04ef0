// SPDX-License-Identifier: Apache-2.0
// `segsync check`: one small request per stream, writing nothing.
#pragma once

#include <string>
#include <vector>

#include "api/segment_client.h"
#include "core/clock.h"
#include "core/status.h"

namespace segsync {

/// What `segsync check` found for one stream.
struct StreamCheck {
  std::string name;
  std::string outcome;  // "ok", "not_entitled", "error"
  std::string detail;   // what it needs, or why it failed
};

struct CheckReport {
  Status fatal;  // kAuth when the token was rejected: nothing else was checked
  std::vector<StreamCheck> streams;
};

struct CheckOptions {
  std::vector<std::string> streams;
  int64_t delivery_window_minutes = int64_t{24} * 60;
  std::string delivery_granularity = "HOUR";
};

/// One small request per selected stream (a page of one item; children probe their parent's
/// first record), writing nothing.
CheckReport CheckStreams(SegmentClient& client, Clock& clock, const CheckOptions& options);

}  // namespace segsync
