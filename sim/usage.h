// SPDX-License-Identifier: Apache-2.0
// The simulated usage endpoints: months, periods and their daily cumulative rows.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "sim/workspace.h"

namespace segsync::sim {

/// The four usage endpoints.
enum class UsageEndpoint { kApiCallsWorkspace, kApiCallsPerSource, kMtuWorkspace, kMtuPerSource };

struct UsageEndpointInfo {
  UsageEndpoint endpoint;
  std::string_view stream;    // stream name, as in src/streams/streams.cc
  std::string_view path;      // API path
  std::string_view list_key;  // key under "data"
};

const std::array<UsageEndpointInfo, 4>& UsageEndpoints();

/// A calendar month (UTC).
struct Month {
  int year = 0;
  int month = 0;  // 1..12
  bool operator==(const Month&) const = default;
  int Index() const { return year * 12 + month - 1; }
};

Month MonthOf(UnixMillis t);
/// "YYYY-MM-01", the form `period` takes.
std::string PeriodOf(Month month);
/// Accepts exactly `YYYY-MM-01` for a real month; anything else is not a period.
std::optional<Month> ParsePeriod(std::string_view text);
/// The months with usage at `now`: the current one and the 23 before it, oldest first.
std::vector<Month> KeptMonths(UnixMillis now);

/// The rows `period=month` returns, each as JSON text: daily cumulative snapshots for the elapsed
/// days of the month (all days of a past month; days 1..today of the current one), per source
/// for the per-source endpoints. A past month's list ends with the next month's first-day
/// snapshot again, identical to the row that month serves (the overlap tap-segment saw).
/// Months outside `KeptMonths(now)` have no rows.
std::vector<std::string> UsageRows(UsageEndpoint endpoint, const std::vector<UsageProfile>& usage,
                                   Month month, UnixMillis now);

}  // namespace segsync::sim
