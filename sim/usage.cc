// SPDX-License-Identifier: Apache-2.0
// Derives the usage endpoints' daily cumulative rows per month on demand.
#include "sim/usage.h"

#include <cstdio>

#include "core/json_writer.h"
#include "sim/random.h"

namespace segsync::sim {
namespace {

constexpr int kKeptMonths = 24;
constexpr int64_t kMillisPerDay = 86'400'000;

constexpr std::array<UsageEndpointInfo, 4> kUsageEndpoints = {{
    {UsageEndpoint::kApiCallsWorkspace, "usage_api_calls_workspace_daily", "/usage/api-calls/daily",
     "dailyWorkspaceAPICallsUsage"},
    {UsageEndpoint::kApiCallsPerSource, "usage_api_calls_per_source_daily",
     "/usage/api-calls/sources/daily", "dailyPerSourceAPICallsUsage"},
    {UsageEndpoint::kMtuWorkspace, "usage_mtu_workspace_daily", "/usage/mtu/daily",
     "dailyWorkspaceMTUUsage"},
    {UsageEndpoint::kMtuPerSource, "usage_mtu_per_source_daily", "/usage/mtu/sources/daily",
     "dailyPerSourceMTUUsage"},
}};

Month NextMonth(Month m) {
  return m.month == 12 ? Month{m.year + 1, 1} : Month{m.year, m.month + 1};
}

UnixMillis StartOf(Month m) {
  return DaysFromCivil(m.year, static_cast<unsigned>(m.month), 1) * kMillisPerDay;
}

int DaysIn(Month m) {
  return static_cast<int>((StartOf(NextMonth(m)) - StartOf(m)) / kMillisPerDay);
}

// One day's counters; rows carry the running sums, so values only grow within a month.
struct Counters {
  uint64_t api_calls = 0;
  uint64_t anonymous = 0;
  uint64_t anonymous_identified = 0;
  uint64_t identified = 0;
  uint64_t never_identified = 0;

  void Add(const Counters& o) {
    api_calls += o.api_calls;
    anonymous += o.anonymous;
    anonymous_identified += o.anonymous_identified;
    identified += o.identified;
    never_identified += o.never_identified;
  }
};

Counters DailyIncrement(const UsageProfile& profile, Month month, int day) {
  const uint64_t h = HashCombine(HashCombine(profile.salt, static_cast<uint64_t>(month.Index())),
                                 static_cast<uint64_t>(day));
  auto scaled = [](uint64_t base, uint64_t hash) {
    // Between half and one and a half times the profile's daily rate.
    return static_cast<uint64_t>(static_cast<double>(base) * (0.5 + HashToUnit(hash)));
  };
  Counters c;
  c.api_calls = scaled(profile.calls_per_day, h);
  // New users get rarer as the month goes on: most people were already counted.
  const uint64_t users = scaled(profile.users_per_day, SplitMix64(h)) / static_cast<uint64_t>(day);
  c.identified = users / 2;
  c.anonymous = users - c.identified;
  c.anonymous_identified = c.anonymous / 4;
  c.never_identified = c.anonymous - c.anonymous_identified;
  return c;
}

void WriteRow(JsonWriter& w, UsageEndpoint endpoint, const std::string* source_id, Month month,
              int day, const Counters& c) {
  const UnixMillis day_start = StartOf(month) + (day - 1) * kMillisPerDay;
  w.BeginObject();
  if (source_id != nullptr) {
    w.Key("sourceId").String(*source_id);
  }
  if (endpoint == UsageEndpoint::kApiCallsWorkspace ||
      endpoint == UsageEndpoint::kApiCallsPerSource) {
    w.Key("apiCalls").String(std::to_string(c.api_calls));
  } else {
    w.Key("periodStart").Int(StartOf(month) / 1000);
    w.Key("periodEnd").Int(StartOf(NextMonth(month)) / 1000);
    w.Key("anonymous").String(std::to_string(c.anonymous));
    w.Key("anonymousIdentified").String(std::to_string(c.anonymous_identified));
    w.Key("identified").String(std::to_string(c.identified));
    w.Key("neverIdentified").String(std::to_string(c.never_identified));
  }
  w.Key("timestamp").String(FormatRfc3339Millis(day_start));
  w.EndObject();
}

// Rows for days 1..last_day of `month`.
void AppendMonthRows(std::vector<std::string>& rows, UsageEndpoint endpoint,
                     const std::vector<UsageProfile>& usage, Month month, int last_day) {
  const bool per_source =
      endpoint == UsageEndpoint::kApiCallsPerSource || endpoint == UsageEndpoint::kMtuPerSource;
  std::vector<Counters> running(usage.size());
  for (int day = 1; day <= last_day; ++day) {
    Counters workspace;
    for (size_t s = 0; s < usage.size(); ++s) {
      running[s].Add(DailyIncrement(usage[s], month, day));
      workspace.Add(running[s]);
      if (per_source) {
        JsonWriter w;
        WriteRow(w, endpoint, &usage[s].source_id, month, day, running[s]);
        rows.push_back(w.Take());
      }
    }
    if (!per_source) {
      JsonWriter w;
      WriteRow(w, endpoint, nullptr, month, day, workspace);
      rows.push_back(w.Take());
    }
  }
}

}  // namespace

const std::array<UsageEndpointInfo, 4>& UsageEndpoints() { return kUsageEndpoints; }

Month MonthOf(UnixMillis t) {
  const std::string date = FormatDate(t);  // YYYY-MM-DD
  return {std::stoi(date.substr(0, 4)), std::stoi(date.substr(5, 2))};
}

std::string PeriodOf(Month month) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-01", month.year, month.month);
  return buf;
}

std::optional<Month> ParsePeriod(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || text.substr(8) != "01") {
    return std::nullopt;
  }
  int values[2] = {0, 0};
  const std::string_view parts[2] = {text.substr(0, 4), text.substr(5, 2)};
  for (size_t i = 0; i < 2; ++i) {
    for (char c : parts[i]) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      values[i] = values[i] * 10 + (c - '0');
    }
  }
  if (values[0] < 1 || values[1] < 1 || values[1] > 12) {
    return std::nullopt;
  }
  return Month{values[0], values[1]};
}

std::vector<Month> KeptMonths(UnixMillis now) {
  const Month current = MonthOf(now);
  std::vector<Month> months;
  for (int back = kKeptMonths - 1; back >= 0; --back) {
    const int index = current.Index() - back;
    months.push_back({index / 12, index % 12 + 1});
  }
  return months;
}

std::vector<std::string> UsageRows(UsageEndpoint endpoint, const std::vector<UsageProfile>& usage,
                                   Month month, UnixMillis now) {
  const Month current = MonthOf(now);
  const int age = current.Index() - month.Index();
  std::vector<std::string> rows;
  if (age < 0 || age >= kKeptMonths) {
    return rows;
  }
  if (age == 0) {
    const int today = static_cast<int>((now - StartOf(current)) / kMillisPerDay) + 1;
    AppendMonthRows(rows, endpoint, usage, month, today);
    return rows;
  }
  AppendMonthRows(rows, endpoint, usage, month, DaysIn(month));
  AppendMonthRows(rows, endpoint, usage, NextMonth(month), 1);
  return rows;
}

}  // namespace segsync::sim
