// SPDX-License-Identifier: Apache-2.0
// Builds a stream's partitions from its spec, its parent's keys, its bookmark and the time.
#include "sync/partitions.h"

#include <algorithm>

#include "core/config.h"
#include "core/log.h"

namespace segsync {
namespace {

constexpr int64_t kAuditRetentionMs = 90LL * 24 * 3600 * 1000;
constexpr int64_t kMillisPerMinute = 60'000;
constexpr int64_t kAuditOverlapMs = 1;

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
    Partition partition{path, {}, &parent, std::nullopt};
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

}  // namespace

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
      partitions.push_back({path, {}, nullptr, std::nullopt});
      break;
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
        partitions.push_back({path, {{"period", FormatDate(month)}}, nullptr, month});
      }
      break;
    }
    case Partitioning::kAuditWindow: {
      // One pinned endTime for the whole read; startTime at the bookmark (the audit trail
      // keeps 90 days, so nothing older exists). The server's startTime is exclusive and events
      // share a second, so start 1 ms before the bookmark: events stamped in the bookmark's
      // instant but unseen last run are read (and upserted), and nothing older is asked for.
      UnixMillis start = bookmark ? *bookmark - kAuditOverlapMs : options.start_date;
      start = std::max(start, now - kAuditRetentionMs);
      partitions.push_back(
          {path,
           {{"startTime", FormatRfc3339Millis(start)}, {"endTime", FormatRfc3339Millis(now)}},
           nullptr,
           std::nullopt});
      break;
    }
  }
  return plan;
}

}  // namespace segsync
