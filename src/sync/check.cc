// SPDX-License-Identifier: Apache-2.0
#include "sync/check.h"

#include <algorithm>
#include <map>

#include "streams/stream_spec.h"
#include "sync/engine.h"

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

  auto probe_stream = [&](const StreamSpec& spec, auto& self) -> const Probe& {
    if (auto it = probes.find(spec.name); it != probes.end()) {
      return it->second;
    }
    std::string path(spec.path);
    QueryParams query;
    Probe probe;
    bool done = false;
    if (spec.partitioning == Partitioning::kParent) {
      const Probe& parent = self(*FindStream(spec.parent), self);
      if (!parent.status.ok()) {
        probe.status =
            Status(parent.status.code(), "its parent stream " + std::string(spec.parent) +
                                             " could not be read: " + parent.status.message());
        done = true;
      } else if (parent.first_item.empty()) {
        done = true;  // no parent record to probe with: nothing can fail
      } else {
        for (const auto& b : spec.path_from_parent) {
          auto v = parent.first_item.find(std::string(b.parent_field));
          const size_t at = path.find(b.target);
          if (v != parent.first_item.end() && at != std::string::npos) {
            path.replace(at, b.target.size(), PercentEncode(v->second));
          }
        }
        for (const auto& b : spec.query_from_parent) {
          auto v = parent.first_item.find(std::string(b.parent_field));
          if (v != parent.first_item.end()) {
            query.emplace_back(std::string(b.target), v->second);
          }
        }
        if (spec.single_object) {
          auto window = DeliveryWindowQuery(now, options.delivery_window_minutes,
                                            options.delivery_granularity);
          query.insert(query.end(), window.begin(), window.end());
        }
      }
    } else if (spec.partitioning == Partitioning::kMonth) {
      query.emplace_back("period", FormatDate(StartOfMonth(now)));
    } else if (spec.partitioning == Partitioning::kAuditWindow) {
      query.emplace_back("startTime", FormatRfc3339Millis(now - 3'600'000));
      query.emplace_back("endTime", FormatRfc3339Millis(now));
    }
    if (!done) {
      probe = Request(client, spec, path, query, parser);
    }
    return probes.emplace(std::string(spec.name), std::move(probe)).first->second;
  };

  for (const auto& spec : AllStreams()) {
    if (std::find(options.streams.begin(), options.streams.end(), spec.name) ==
        options.streams.end()) {
      continue;
    }
    const Probe& probe = probe_stream(spec, probe_stream);
    StreamCheck check{std::string(spec.name), "ok", ""};
    if (probe.status.code() == StatusCode::kAuth) {
      report.fatal = probe.status;
      return report;
    }
    if (probe.status.code() == StatusCode::kNotEntitled) {
      check.outcome = "not_entitled";
      check.detail = "needs " +
                     std::string(spec.entitlement.empty() ? "a plan or feature this workspace lacks"
                                                          : spec.entitlement) +
                     " (" + probe.status.message() + ")";
    } else if (!probe.status.ok()) {
      check.outcome = "error";
      check.detail = probe.status.message();
    }
    report.streams.push_back(std::move(check));
  }
  return report;
}

}  // namespace segsync
