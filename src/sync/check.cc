// SPDX-License-Identifier: Apache-2.0
// `segsync check`: one small request per stream, built from the partitions a sync would read.
#include "sync/check.h"

#include <algorithm>
#include <map>

#include "streams/stream_spec.h"
#include "sync/outcome.h"
#include "sync/partitions.h"

namespace segsync {
namespace {

struct Probe {
  Status status;
  std::map<std::string, std::string> first_item;  // string fields of the first item
};

Probe Request(SegmentClient& client, const StreamSpec& spec, const std::string& path,
              QueryParams query, simdjson::dom::parser& parser) {
  Probe probe;
  RequestStats stats;
  if (spec.paginated) {
    AddPagination(query, 1, "");
  }
  auto data = client.GetData(path, query, parser, stats);
  if (!data.ok()) {
    probe.status = data.status();
    return probe;
  }
  simdjson::dom::element items;
  if ((*data)[spec.list_key].get(items) != simdjson::SUCCESS) {
    return probe;
  }
  simdjson::dom::element first;
  if (items.is_array()) {
    auto array = items.get_array().value_unsafe();
    if (array.size() == 0) {
      return probe;
    }
    first = array.at(0).value_unsafe();
  } else {
    first = items;
  }
  simdjson::dom::object object;
  if (first.get_object().get(object) == simdjson::SUCCESS) {
    for (auto [key, value] : object) {
      std::string_view text;
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        probe.first_item.emplace(std::string(key), std::string(text));
      }
    }
  }
  return probe;
}

}  // namespace

CheckReport CheckStreams(SegmentClient& client, Clock& clock, const CheckOptions& options) {
  CheckReport report;
  simdjson::dom::parser parser;
  std::map<std::string, Probe, std::less<>> probes;
  const UnixMillis now = clock.Now();

  // A probe's request is the first partition the sync itself would read, over a short span:
  // the parent's first record, the current month, the last hour of the audit trail.
  PartitionOptions partition_options;
  partition_options.start_date = now - 3'600'000;
  partition_options.delivery_window_minutes = options.delivery_window_minutes;
  partition_options.delivery_granularity = options.delivery_granularity;

  auto probe_stream = [&](const StreamSpec& spec, auto& self) -> const Probe& {
    if (auto it = probes.find(spec.name); it != probes.end()) {
      return it->second;
    }
    Probe probe;
    std::vector<Record> parent_keys;
    bool done = false;
    if (!spec.parent.empty()) {
      const Probe& parent = self(*FindStream(spec.parent), self);
      if (!parent.status.ok()) {
        probe.status =
            Status(parent.status.code(), "its parent stream " + std::string(spec.parent) +
                                             " could not be read: " + parent.status.message());
        done = true;
      } else if (parent.first_item.empty()) {
        done = true;  // no parent record to probe with: nothing can fail
      } else {
        Record& first = parent_keys.emplace_back();
        for (const auto& [key, text] : parent.first_item) {
          first.Set(key, Value::String(text));
        }
      }
    }
    if (!done) {
      // A usage stream is probed for the current month only: as if its bookmark were now.
      const std::optional<UnixMillis> bookmark =
          spec.partitioning == Partitioning::kMonth ? std::optional<UnixMillis>(now) : std::nullopt;
      auto plan = PlanPartitions(spec, &parent_keys, bookmark, now, partition_options);
      if (!plan.ok()) {
        probe.status = plan.status();
      } else if (plan->partitions.empty()) {
        probe.status = Status::Invalid("the first record of its parent stream " +
                                       std::string(spec.parent) + " lacks the ids it needs");
      } else {
        const Partition& partition = plan->partitions.front();
        probe = Request(client, spec, partition.path, partition.query, parser);
        // The open day window's endTime forms, as the sync sends them (EndTimeRetryQuery);
        // a server that takes none of them today has still answered.
        for (QueryParams sent = partition.query; !probe.status.ok();) {
          std::optional<QueryParams> next = EndTimeRetryQuery(partition, sent, probe.status);
          if (!next) {
            break;
          }
          if (next->empty()) {
            probe = Probe{};
            break;
          }
          sent = std::move(*next);
          probe = Request(client, spec, partition.path, sent, parser);
        }
      }
    }
    return probes.emplace(std::string(spec.name), std::move(probe)).first->second;
  };

  for (const auto& spec : AllStreams()) {
    if (std::find(options.streams.begin(), options.streams.end(), spec.name) ==
        options.streams.end()) {
      continue;
    }
    const Probe& probe = probe_stream(spec, probe_stream);
    if (probe.status.code() == StatusCode::kAuth) {
      report.fatal = probe.status;
      return report;
    }
    StreamCheck check{std::string(spec.name), std::string(MeaningOf(probe.status.code()).check),
                      ""};
    if (probe.status.code() == StatusCode::kNotEntitled) {
      check.detail = "needs " +
                     std::string(spec.entitlement.empty() ? "a plan or feature this workspace lacks"
                                                          : spec.entitlement) +
                     " (" + probe.status.message() + ")";
    } else if (!probe.status.ok()) {
      check.detail = probe.status.message();
    }
    report.streams.push_back(std::move(check));
  }
  return report;
}

}  // namespace segsync
