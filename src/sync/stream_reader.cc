// SPDX-License-Identifier: Apache-2.0
// The stream reader: one partition's pages fetched (one ahead), split, and built into records.
#include "sync/stream_reader.h"

#include <algorithm>
#include <future>
#include <optional>
#include <utility>

#include "api/json_faults.h"
#include "core/cancel.h"
#include "core/log.h"

namespace segsync {

size_t ApproxBytes(const Record& record) {
  size_t bytes = sizeof(Record);
  for (const auto& [name, value] : record.fields) {
    bytes += sizeof(std::pair<std::string, Value>) + name.size() + value.text.size();
  }
  return bytes;
}

Status StreamReader::Read(const Partition& partition, ChainProgress& progress,
                          SegmentClient& client, simdjson::dom::parser& parser, RequestStats& stats,
                          const PageSink& sink, const PauseCheck& should_pause,
                          bool* paused) const {
  if (progress.retried_query.empty()) {
    Status status =
        ReadPages(partition, progress, client, parser, stats, sink, should_pause, paused);
    // Only a refusal of the first page is retried: nothing of the window was handed on yet.
    std::optional<QueryParams> retry;
    if (spec_.partitioning == Partitioning::kAuditWindow && progress.cursor.empty()) {
      retry = AuditRetryQuery(partition.query, status);
    }
    // A refused endTime of the open day window: its next form (EndTimeRetryQuery), each form
    // once. Silent unless today is left to a later run: nothing is lost.
    for (QueryParams refused = partition.query; !retry && progress.cursor.empty();) {
      std::optional<QueryParams> next = EndTimeRetryQuery(partition, refused, status);
      if (!next) {
        break;
      }
      if (next->empty()) {
        LogInfo(std::string(spec_.name) + ": the API refused every endTime of the window that " +
                "holds today (" + status.message() + "); today is read on a later run");
        return Status::Ok();
      }
      const std::string* end_time = FindParam(*next, "endTime");
      if (end_time != nullptr &&
          *end_time == FormatRfc3339Millis(partition.end_time_fallbacks.back())) {
        LogInfo(std::string(spec_.name) + ": the API refused a later endTime (" + status.message() +
                "); today is read on a later run");
      }
      refused = progress.retried_query = std::move(*next);
      Partition retried = partition;
      retried.query = progress.retried_query;
      status = ReadPages(retried, progress, client, parser, stats, sink, should_pause, paused);
    }
    if (!retry) {
      return Finish(partition, std::move(status));
    }
    progress.retried_query = std::move(*retry);
    const auto asked = std::find_if(partition.query.begin(), partition.query.end(),
                                    [](const auto& p) { return p.first == "startTime"; });
    const auto from = std::find_if(progress.retried_query.begin(), progress.retried_query.end(),
                                   [](const auto& p) { return p.first == "startTime"; });
    progress.warning = "the API refused startTime " + asked->second + " (" + status.message() +
                       "); read from " + from->second +
                       " instead: older events, if the API has any, were not read";
    LogWarn(std::string(spec_.name) + ": " + progress.warning);
  }
  Partition retried = partition;
  retried.query = progress.retried_query;
  return Finish(partition,
                ReadPages(retried, progress, client, parser, stats, sink, should_pause, paused));
}

Status StreamReader::Finish(const Partition& partition, Status status) const {
  if (status.code() == StatusCode::kNotFound && partition.parent != nullptr) {
    LogDebug(std::string(spec_.name) + ": " + status.message() + "; parent gone, skipped");
    return Status::Ok();
  }
  return status;
}

Status StreamReader::ReadPages(const Partition& partition, ChainProgress& progress,
                               SegmentClient& client, simdjson::dom::parser& parser,
                               RequestStats& stats, const PageSink& sink,
                               const PauseCheck& should_pause, bool* paused) const {
  const StreamSpec& spec = spec_;
  std::string& cursor = progress.cursor;
  std::set<std::string, std::less<>>& seen_cursors = progress.seen_cursors;
  const SplitOptions split{spec.single_object ? std::string_view() : spec.list_key,
                           options_.split_pages_from_bytes};
  // While a page's records are built and handed on, the next page is already being fetched
  // into the other parser (only one request is ever in flight per chain, so the request budget
  // is unchanged). Split pages are not fetched ahead: two of them would double the memory.
  simdjson::dom::parser spare;
  simdjson::dom::parser* current = &parser;
  simdjson::dom::parser* other = &spare;
  // The fetch ahead counts into its own stats, added to `stats` once it is collected, so that
  // `stats` has one writer at a time (the caller publishes copies of it).
  RequestStats ahead_stats;
  auto fetch = [&](const std::string& at, simdjson::dom::parser* into, RequestStats* counts) {
    QueryParams params = partition.query;
    if (spec.paginated) {
      AddPagination(params, options_.page_size, at);
    }
    return client.GetPage(partition.path, params, *into, *counts, split);
  };
  std::future<Result<ApiPage>> ahead;
  auto collect = [&] {
    Result<ApiPage> page = ahead.get();
    stats.requests += std::exchange(ahead_stats.requests, 0);
    stats.retries += std::exchange(ahead_stats.retries, 0);
    stats.rate_limited += std::exchange(ahead_stats.rate_limited, 0);
    stats.waited_ms += std::exchange(ahead_stats.waited_ms, 0);
    return page;
  };
  while (true) {
    if (CancelRequested()) {
      return Status(StatusCode::kInterrupted, "interrupted by a signal; nothing of " +
                                                  std::string(spec.name) +
                                                  " from this run was committed");
    }
    if (progress.pending) {
      // The rest of a page this chain paused in.
      Slice slice;
      SEGSYNC_RETURN_NOT_OK(
          BuildItems(*progress.pending, partition, slice, sink, should_pause, paused));
      if (*paused) {
        return Status::Ok();
      }
      const bool last = progress.pending->last;
      progress.pending.reset();
      slice.page_done = true;
      SEGSYNC_RETURN_NOT_OK(sink(std::move(slice)));
      if (last) {
        return Status::Ok();
      }
      if (should_pause()) {
        *paused = true;
        return Status::Ok();
      }
      continue;
    }
    auto page = ahead.valid() ? collect() : fetch(cursor, current, &stats);
    if (!page.ok()) {
      return page.status();
    }
    const simdjson::dom::element data = page->data;
    std::optional<std::string> next;
    if (spec.paginated) {
      SEGSYNC_ASSIGN_OR_RETURN(next, NextCursor(data));
    }
    if (next && (*next == cursor || !seen_cursors.insert(*next).second)) {
      return Status(StatusCode::kInvalid,
                    "GET " + partition.path + " returned the cursor '" + *next +
                        "' a second time; stopping instead of looping (the API repeated a page)");
    }
    if (const auto total = TotalEntries(data);
        next && total && PagesFarExceed(seen_cursors.size(), *total, options_.page_size)) {
      return Status(StatusCode::kInvalid,
                    "GET " + partition.path + ": " + std::to_string(seen_cursors.size()) +
                        " pages read, though the API said it holds " + std::to_string(*total) +
                        " entries; stopping instead of following new cursors without end");
    }
    // A chain read ahead for another stream stops at this page while the spool is full.
    const bool pause = next.has_value() && should_pause();
    if (next && !pause && !page->split) {
      ahead = std::async(std::launch::async, fetch, *next, other, &ahead_stats);
    }
    Slice slice;
    slice.total_entries = TotalEntries(data).value_or(-1);
    if (page->split) {
      ChainProgress::PendingPage split_page{std::move(page->body), std::move(page->items), 0,
                                            !next.has_value()};
      SEGSYNC_RETURN_NOT_OK(BuildItems(split_page, partition, slice, sink, should_pause, paused));
      if (*paused) {
        if (next) {
          cursor = std::move(*next);
        }
        progress.pending = std::move(split_page);
        return Status::Ok();
      }
    } else {
      simdjson::dom::element items;
      // Hardest case the API allows: an empty result may omit the list entirely. (A default
      // simdjson element has no tape behind it, so absence is tracked apart, never inspected.)
      const bool has_items = data[spec.list_key].get(items) == simdjson::SUCCESS;
      if (!has_items || items.is_null()) {
        // Nothing to read: a missing or null list (or summary object) means no records.
      } else if (spec.single_object) {
        if (!items.is_object()) {
          return Status(StatusCode::kParse, "GET " + partition.path + ": data." +
                                                std::string(spec.list_key) + " is not an object");
        }
        SEGSYNC_RETURN_NOT_OK(AddRecord(items, partition, slice, sink));
      } else if (items.is_array()) {
        for (simdjson::dom::element item : items.get_array()) {
          SEGSYNC_RETURN_NOT_OK(AddRecord(item, partition, slice, sink));
        }
      } else {
        return Status(StatusCode::kParse, "GET " + partition.path + ": data." +
                                              std::string(spec.list_key) + " is not a list");
      }
    }
    slice.page_done = true;
    SEGSYNC_RETURN_NOT_OK(sink(std::move(slice)));
    if (!next) {
      return Status::Ok();
    }
    cursor = std::move(*next);
    if (pause) {
      *paused = true;
      return Status::Ok();
    }
    if (ahead.valid()) {
      std::swap(current, other);  // the page fetched ahead lives in `other`
    }
  }
}

Status StreamReader::BuildItems(ChainProgress::PendingPage& page, const Partition& partition,
                                Slice& slice, const PageSink& sink, const PauseCheck& should_pause,
                                bool* paused) const {
  simdjson::dom::parser item_parser;
  std::string item_text;
  for (; page.next_item < page.items.size(); ++page.next_item) {
    const auto [begin, end] = page.items[page.next_item];
    item_text.reserve(end - begin + simdjson::SIMDJSON_PADDING);
    item_text.assign(page.body.data() + begin, end - begin);
    simdjson::dom::element item;
    if (ParseKeepingNumbers(item_parser, item_text, item) != simdjson::SUCCESS) {
      const std::string fault = DescribeTextFault(item_text);
      return Status(StatusCode::kParse, "GET " + partition.path + ": an item of data." +
                                            std::string(spec_.list_key) + " is not valid JSON" +
                                            (fault.empty() ? "" : " (it holds " + fault + ")"));
    }
    SEGSYNC_RETURN_NOT_OK(AddRecord(item, partition, slice, sink));
    if (slice.records.empty()) {
      page.body.ReleaseBefore(end);  // handed on as records: the text is not read again
    }
    // A chain read ahead stops mid-page too once the spool is full: the rest of the page waits
    // as text, half the size of its records, until this stream is written.
    if (slice.records.empty() && page.next_item + 1 < page.items.size() && should_pause()) {
      ++page.next_item;
      *paused = true;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status StreamReader::AddRecord(simdjson::dom::element item, const Partition& partition,
                               Slice& slice, const PageSink& sink) const {
  SEGSYNC_ASSIGN_OR_RETURN(Record base, builder_.Build(item));
  // Nested fields lifted to the top (source.id → sourceId), read before the item is flattened.
  for (const auto& lifted : spec_.lifted) {
    simdjson::dom::element value;
    if (item[lifted.object][lifted.field].get(value) == simdjson::SUCCESS) {
      base.Set(lifted.target, ValueFromJson(value));
    }
  }
  if (spec_.flatten.field.empty()) {
    return AddBuilt(std::move(base), partition, slice, sink);
  }
  simdjson::dom::array series;
  const bool has_series = item[spec_.flatten.field].get_array().get(series) == simdjson::SUCCESS;
  std::erase_if(base.fields, [&](const auto& field) {
    return field.first == spec_.flatten.field ||
           std::find(spec_.flatten.dropped.begin(), spec_.flatten.dropped.end(), field.first) !=
               spec_.flatten.dropped.end();
  });
  if (!has_series) {
    return Status::Ok();  // no series (or a null one): no rows
  }
  for (simdjson::dom::element point : series) {
    SEGSYNC_ASSIGN_OR_RETURN(Record values, builder_.Build(point));
    Record record = base;
    for (auto& [name, value] : values.fields) {
      std::string_view target = name;
      for (const auto& [from, to] : spec_.flatten.renamed) {
        if (from == name) {
          target = to;
        }
      }
      record.Set(target, std::move(value));
    }
    SEGSYNC_RETURN_NOT_OK(AddBuilt(std::move(record), partition, slice, sink));
  }
  return Status::Ok();
}

Status StreamReader::AddBuilt(Record record, const Partition& partition, Slice& slice,
                              const PageSink& sink) const {
  if (partition.month) {
    // A month's answer may also hold the next month's first snapshot (the simulator does so,
    // see sim/README.md); each row belongs to the period of its own month, so a key is read
    // once per run.
    const Value* t = record.Find(spec_.cursor_field);
    if (t != nullptr && t->kind == Value::Kind::kString) {
      auto parsed = ParseRfc3339(t->text);
      if (parsed.ok() && StartOfMonth(*parsed) != *partition.month) {
        return Status::Ok();
      }
    }
  }
  if (partition.parent != nullptr) {
    for (const auto& binding : spec_.inject_from_parent) {
      if (const Value* v = partition.parent->Find(binding.parent_field)) {
        record.Set(binding.target, *v);
      }
    }
  }
  for (const auto& [name, value] : injected_constants_) {
    record.Set(name, value);
  }
  for (const auto field : spec_.empty_when_absent) {
    const Value* v = record.Find(field);
    if (v == nullptr || v->is_null()) {
      record.Set(field, Value::String(""));
    }
  }
  slice.bytes += ApproxBytes(record);
  slice.records.push_back(std::move(record));
  if (slice.bytes >= options_.slice_bytes) {
    return sink(std::exchange(slice, {}));
  }
  return Status::Ok();
}

}  // namespace segsync
