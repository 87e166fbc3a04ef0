// SPDX-License-Identifier: Apache-2.0
// Builds a stream's partitions from its spec, its parent's keys, its bookmark and the time.
#include "sync/partitions.h"

#include <algorithm>

#include "core/config.h"
#include "core/log.h"

namespace segsync {
namespace {

// The in-app audit trail's retention (https://segment.com/docs/segment-app/iam/audit-trail/):
// where to start again when a server refuses an older startTime without saying what it keeps.
constexpr int64_t kAuditRetentionMs = 90LL * 24 * 3600 * 1000;
// Added to the oldest startTime a server accepts: its limit moves on with its clock, and later
// pages send the same startTime, so the retried read has this long before it is refused again.
constexpr int64_t kAuditRetryMarginMs = 10LL * 60 * 1000;
constexpr int64_t kMillisPerMinute = 60'000;
constexpr int64_t kAuditOverlapMs = 1;
constexpr int64_t kMillisPerDay = 86'400'000;
UnixMillis StartOfDay(UnixMillis t) {
  const UnixMillis into = t % kMillisPerDay;
  return t - (into < 0 ? into + kMillisPerDay : into);
}

std::string ValueAsText(const Value& value) {
  switch (value.kind) {
    case Value::Kind::kString:
      return value.text;
    case Value::Kind::kInt:
      return std::to_string(value.integer);
    default:
      return {};
  }
}

/// The longest window the API accepts at this granularity (the settings table's rule); an unknown
/// granularity gets the narrowest, MINUTE's.
int64_t MaxWindowMinutes(std::string_view granularity) {
  const DeliveryGranularity* rule = FindDeliveryGranularity(granularity);
  return (rule != nullptr ? rule : &DeliveryGranularities().front())->max_minutes;
}

/// One partition per parent record, its ids bound into the path and query, then `extra_query`.
void PerParent(const StreamSpec& spec, const std::vector<Record>& parents,
               const QueryParams& extra_query, std::vector<Partition>& partitions) {
  const std::string path(spec.path);
  for (const Record& parent : parents) {
    Partition partition{path, {}, &parent, std::nullopt, {}};
    bool usable = true;
    for (const auto& binding : spec.path_from_parent) {
      const Value* v = parent.Find(binding.parent_field);
      const std::string text = v == nullptr ? std::string() : ValueAsText(*v);
      const size_t at = partition.path.find(binding.target);
      if (text.empty() || at == std::string::npos) {
        usable = false;
        break;
      }
      partition.path.replace(at, binding.target.size(), PercentEncode(text));
    }
    for (const auto& binding : spec.query_from_parent) {
      const Value* v = parent.Find(binding.parent_field);
      const std::string text = v == nullptr ? std::string() : ValueAsText(*v);
      if (text.empty()) {
        usable = false;
        break;
      }
      partition.query.emplace_back(std::string(binding.target), text);
    }
    if (!usable) {
      LogWarn(std::string(spec.name) + ": skipping a parent record without the ids it needs");
      continue;
    }
    partition.query.insert(partition.query.end(), extra_query.begin(), extra_query.end());
    partitions.push_back(std::move(partition));
  }
}

/// One request series over [start, end) by startTime and endTime.
Partition TimeWindow(const std::string& path, UnixMillis start, UnixMillis end) {
  return {path,
          {{"startTime", FormatRfc3339Millis(start)}, {"endTime", FormatRfc3339Millis(end)}},
          nullptr,
          std::nullopt,
          {}};
}

/// The earliest RFC 3339 time in `text` later than `after`, if any.
std::optional<UnixMillis> EarliestTimeAfter(std::string_view text, UnixMillis after) {
  std::optional<UnixMillis> earliest;
  auto digit = [&](size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  for (size_t i = 0; i + 10 < text.size(); ++i) {
    if (!(digit(i) && digit(i + 1) && digit(i + 2) && digit(i + 3) && text[i + 4] == '-' &&
          text[i + 10] == 'T') ||
        (i > 0 && digit(i - 1))) {
      continue;
    }
    size_t end = i;
    while (end < text.size() &&
           (digit(end) || std::string_view("-:.+TZ").find(text[end]) != std::string_view::npos)) {
      ++end;
    }
    std::string_view candidate = text.substr(i, end - i);
    while (!candidate.empty() && candidate.back() == '.') {
      candidate.remove_suffix(1);  // the end of a sentence
    }
    auto parsed = ParseRfc3339(candidate);
    if (parsed.ok() && *parsed > after && (!earliest || *parsed < *earliest)) {
      earliest = *parsed;
    }
  }
  return earliest;
}

}  // namespace

const std::string* FindParam(const QueryParams& query, std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

bool RefusesStartTime(const Status& status) {
  return status.code() == StatusCode::kInvalid &&
         (status.http_status() == 422 || status.http_status() == 400) &&
         status.message().find("startTime") != std::string::npos;
}

bool RefusesEndTime(const Status& status) {
  return status.code() == StatusCode::kInvalid &&
         (status.http_status() == 422 || status.http_status() == 400) &&
         status.message().find("endTime") != std::string::npos;
}

std::optional<QueryParams> EndTimeRetryQuery(const Partition& partition, const QueryParams& sent,
                                             const Status& refusal) {
  const std::string* start_text = FindParam(sent, "startTime");
  const std::string* end_text = FindParam(sent, "endTime");
  if (partition.end_time_fallbacks.empty() || !RefusesEndTime(refusal) || start_text == nullptr ||
      end_text == nullptr) {
    return std::nullopt;
  }
  auto start = ParseRfc3339(*start_text);
  auto end = ParseRfc3339(*end_text);
  if (!start.ok() || !end.ok()) {
    return std::nullopt;
  }
  // The form after the one refused; the partition's own endTime is the form before the first.
  const std::vector<UnixMillis>& forms = partition.end_time_fallbacks;
  const std::string* first = FindParam(partition.query, "endTime");
  auto next = forms.begin();
  if (first == nullptr || *first != *end_text) {
    next = std::find(forms.begin(), forms.end(), *end);
    if (next == forms.end()) {
      return std::nullopt;  // not a form of this window
    }
    ++next;
  }
  if (next == forms.end()) {
    return std::nullopt;
  }
  if (*next <= *start) {
    return QueryParams{};
  }
  QueryParams retried = sent;
  for (auto& [key, value] : retried) {
    if (key == "endTime") {
      value = FormatRfc3339Millis(*next);
    }
  }
  return retried;
}

std::optional<QueryParams> AuditRetryQuery(const QueryParams& query, const Status& refusal) {
  const std::string* start_text = FindParam(query, "startTime");
  const std::string* end_text = FindParam(query, "endTime");
  if (!RefusesStartTime(refusal) || start_text == nullptr || end_text == nullptr) {
    return std::nullopt;
  }
  auto start = ParseRfc3339(*start_text);
  auto end = ParseRfc3339(*end_text);
  if (!start.ok() || !end.ok()) {
    return std::nullopt;
  }
  // A time the refusal names after the one refused is the oldest the server accepts (the
  // refused one may be echoed too); without one, the retention the app documents.
  const UnixMillis oldest =
      EarliestTimeAfter(refusal.message(), *start).value_or(*end - kAuditRetentionMs);
  const UnixMillis retry = oldest + kAuditRetryMarginMs;
  if (retry <= *start || retry >= *end) {
    return std::nullopt;  // not refused for its age, or nothing left to ask for
  }
  QueryParams retried = query;
  for (auto& [key, value] : retried) {
    if (key == "startTime") {
      value = FormatRfc3339Millis(retry);
    }
  }
  return retried;
}

QueryParams DeliveryWindowQuery(UnixMillis now, int64_t window_minutes,
                                std::string_view granularity) {
  const UnixMillis end = now / 1000 * 1000;
  // The API requires start >= now - the granularity's longest span; keep a minute of margin
  // at that limit, since the server's "now" is later than ours.
  const UnixMillis earliest = end - MaxWindowMinutes(granularity) * kMillisPerMinute + 60'000;
  const UnixMillis start = std::max(end - window_minutes * kMillisPerMinute, earliest);
  return {{"startTime", FormatRfc3339Millis(start)},
          {"endTime", FormatRfc3339Millis(end)},
          {"granularity", std::string(granularity)}};
}

Result<PartitionPlan> PlanPartitions(const StreamSpec& spec, const std::vector<Record>* parent_keys,
                                     std::optional<UnixMillis> bookmark, UnixMillis now,
                                     const PartitionOptions& options) {
  PartitionPlan plan;
  std::vector<Partition>& partitions = plan.partitions;
  const std::string path(spec.path);
  switch (spec.partitioning) {
    case Partitioning::kNone:
      partitions.push_back({path, {}, nullptr, std::nullopt, {}});
      break;
    case Partitioning::kQueryValues:
      for (const auto value : spec.fan_out.values) {
        partitions.push_back({path,
                              {{std::string(spec.fan_out.param), std::string(value)}},
                              nullptr,
                              std::nullopt,
                              {}});
      }
      break;
    case Partitioning::kDayWindows: {
      const auto windows =
          DayWindows(bookmark.value_or(options.start_date), now, spec.day_window_days);
      for (const auto& [start, end] : windows) {
        partitions.push_back(TimeWindow(path, start, end));
      }
      if (!windows.empty()) {
        // Past windows end on a midnight already gone, which every server takes. The last one
        // ends in the future: first the endTime the spec documents, then, while refused, the
        // next midnight, then today's (today is then read on a later run).
        const auto [start, end] = windows.back();
        const UnixMillis today = end - kMillisPerDay;
        const UnixMillis first = OpenDayWindowEnd(start, end, now);
        Partition& open = partitions.back();
        open.query = TimeWindow(path, start, first).query;
        // Each form once, so that a server refusing them all ends the retries.
        for (const UnixMillis form : {end, today}) {
          if (form != first) {
            open.end_time_fallbacks.push_back(form);
          }
        }
      }
      break;
    }
    case Partitioning::kParent:
    case Partitioning::kDeliveryWindow: {
      if (parent_keys == nullptr) {
        return Status::Internal("parent " + std::string(spec.parent) + " was not read first");
      }
      QueryParams window;
      if (spec.partitioning == Partitioning::kDeliveryWindow) {
        // One fixed window for the whole read, within the API's rules; every record says which.
        window =
            DeliveryWindowQuery(now, options.delivery_window_minutes, options.delivery_granularity);
        plan.injected_constants = {{"startTime", Value::String(window[0].second)},
                                   {"endTime", Value::String(window[1].second)}};
      }
      PerParent(spec, *parent_keys, window, partitions);
      break;
    }
    case Partitioning::kMonth: {
      // From the month holding the bookmark (or the start date) through the current month,
      // which is always re-read because its cumulative figures still change.
      const UnixMillis from = StartOfMonth(bookmark.value_or(options.start_date));
      const UnixMillis last = StartOfMonth(now);
      for (UnixMillis month = from; month <= last; month = StartOfNextMonth(month)) {
        partitions.push_back({path, {{"period", FormatDate(month)}}, nullptr, month, {}});
      }
      break;
    }
    case Partitioning::kAuditWindow: {
      // One pinned endTime for the whole read; startTime at the bookmark, else the start date.
      // How long the API keeps events is undocumented (the app shows 90 days), so nothing is
      // assumed here: only a server that refuses the startTime makes the read start later
      // (AuditRetryQuery). The server's startTime is exclusive and events share a second, so
      // start 1 ms before the bookmark: events stamped in the bookmark's instant but unseen last
      // run are read (and upserted), and nothing older is asked for.
      const UnixMillis start = bookmark ? *bookmark - kAuditOverlapMs : options.start_date;
      partitions.push_back(TimeWindow(path, start, now));
      break;
    }
  }
  for (Partition& partition : partitions) {
    for (const auto& [name, value] : spec.fixed_query) {
      partition.query.emplace_back(std::string(name), std::string(value));
    }
  }
  return plan;
}

UnixMillis OpenDayWindowEnd(UnixMillis start, UnixMillis end, UnixMillis now) {
  // "Segment recommends that you lag queries 1 minute behind clock time"
  // (https://docs.segmentapis.com/tag/Events, getEventsVolumeFromWorkspace).
  const UnixMillis lagged = now - kMillisPerMinute;
  const UnixMillis documented = lagged - lagged % kMillisPerMinute;
  return documented > start && documented < end ? documented : end;
}

std::vector<std::pair<UnixMillis, UnixMillis>> DayWindows(UnixMillis from, UnixMillis now,
                                                          int max_days) {
  std::vector<std::pair<UnixMillis, UnixMillis>> windows;
  // Through the end of today: bucket boundaries are midnights, and today's bucket, still
  // growing, is read whole (its count so far) and again next run.
  const UnixMillis end = StartOfDay(now) + kMillisPerDay;
  const int64_t width = int64_t{std::max(max_days, 1)} * kMillisPerDay;
  for (UnixMillis start = StartOfDay(from); start < end; start += width) {
    windows.emplace_back(start, std::min(start + width, end));
  }
  return windows;
}

}  // namespace segsync
