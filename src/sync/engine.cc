// SPDX-License-Identifier: Apache-2.0
#include "sync/engine.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "core/cancel.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "sync/record_builder.h"

namespace segsync {
namespace {

constexpr int64_t kAuditRetentionMs = 90LL * 24 * 3600 * 1000;
constexpr int64_t kMillisPerMinute = 60'000;
constexpr int64_t kAuditOverlapMs = 1;
// A page's records go to the writer in slices of about this many bytes, so a page of 24 MB
// (destinations) is never held as records all at once, and the writer starts on it early.
constexpr size_t kSliceBytes = size_t{1} << 20;
// Slices waiting for the writer, per fetching worker: enough that a fetch never waits on a
// write that is about to finish, few enough that memory stays flat.
constexpr size_t kQueuedSlicesPerWorker = 4;

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
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

/// The bookmark stored in _segsync_state: {"bookmark":"<timestamp>"}.
std::optional<std::string> BookmarkFromState(const std::optional<std::string>& state) {
  if (!state) {
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view bookmark;
  if (parser.parse(*state).get(doc) != simdjson::SUCCESS ||
      doc["bookmark"].get_string().get(bookmark) != simdjson::SUCCESS) {
    LogWarn("ignoring an unreadable state: " + *state);
    return std::nullopt;
  }
  return std::string(bookmark);
}

std::string StateWithBookmark(const std::string& bookmark) {
  JsonWriter w;
  w.BeginObject().Key("bookmark").String(bookmark).EndObject();
  return w.Take();
}

int64_t MaxWindowMinutes(std::string_view granularity) {
  if (granularity == "DAY") {
    return int64_t{14} * 24 * 60;
  }
  return granularity == "HOUR" ? 7 * 24 * 60 : 4 * 60;
}

/// Roughly what a record occupies in memory.
size_t ApproxBytes(const Record& record) {
  size_t bytes = sizeof(Record);
  for (const auto& [name, value] : record.fields) {
    bytes += sizeof(std::pair<std::string, Value>) + name.size() + value.text.size();
  }
  return bytes;
}

RequestStats Sum(const std::vector<RequestStats>& all) {
  RequestStats total;
  for (const auto& s : all) {
    total.requests += s.requests;
    total.retries += s.retries;
    total.rate_limited += s.rate_limited;
    total.waited_ms += s.waited_ms;
  }
  return total;
}

/// Skips a partition whose parent disappeared after it was listed (404): nothing of it remains.
Status SkipVanishedParent(const StreamSpec& spec, const Status& status) {
  if (status.code() == StatusCode::kNotFound && spec.partitioning == Partitioning::kParent) {
    LogDebug(std::string(spec.name) + ": " + status.message() + "; parent gone, skipped");
    return Status::Ok();
  }
  return status;
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

/// Everything one stream's read needs while it runs.
struct SyncEngine::StreamRun {
  const StreamSpec& spec;
  StreamReport& report;
  TableSpec table;
  RecordBuilder builder;
  bool write = false;
  bool begun = false;
  bool keep_parent_keys = false;
  std::vector<std::string_view> parent_key_fields;
  std::vector<Record> batch;
  std::vector<Record>* parent_keys = nullptr;
  std::vector<std::pair<std::string, Value>> injected_constants;
  std::string extracted_at;
  std::optional<UnixMillis> max_cursor;
  std::string max_cursor_text;

  StreamRun(const StreamSpec& s, StreamReport& r, TableSpec t)
      : spec(s), report(r), table(std::move(t)), builder(table) {}
};

SyncEngine::SyncEngine(std::vector<SegmentClient*> clients, Destination& destination, Clock& clock,
                       EngineOptions options)
    : clients_(std::move(clients)),
      destination_(destination),
      clock_(clock),
      options_(std::move(options)) {}

RunReport SyncEngine::Run() {
  RunReport run;
  run.started_at = FormatRfc3339Millis(clock_.Now());

  // A parent is read when a selected child needs it, even if it is not selected itself.
  std::vector<std::string> needed = options_.selected;
  for (const auto& spec : AllStreams()) {
    if (Contains(options_.selected, spec.name) && !spec.parent.empty() &&
        !Contains(needed, spec.parent)) {
      needed.emplace_back(spec.parent);
    }
  }

  bool wrote_anything = false;
  for (const auto& spec : AllStreams()) {
    if (!Contains(needed, spec.name)) {
      continue;
    }
    StreamReport report;
    report.name = std::string(spec.name);
    report.selected = Contains(options_.selected, spec.name);
    const UnixMillis began = clock_.Now();
    Status status;
    const StreamReport* parent_report = nullptr;
    for (const auto& done : run.streams) {
      if (done.name == spec.parent) {
        parent_report = &done;
      }
    }
    if (parent_report != nullptr && parent_report->outcome != StreamOutcome::kOk) {
      status = Status(StatusCode::kTransient,
                      "its parent stream " + std::string(spec.parent) + " could not be read (" +
                          std::string(StreamOutcomeName(parent_report->outcome)) + ")");
    } else {
      if (on_stream_start_) {
        on_stream_start_(spec, report.selected);
      }
      status = SyncStream(spec, report);
    }
    report.duration_ms = clock_.Now() - began;
    if (status.ok()) {
      report.outcome = StreamOutcome::kOk;
      wrote_anything = wrote_anything || report.selected;
    } else {
      destination_.AbortStream();
      report.message = status.message();
      report.code = status.code();
      switch (status.code()) {
        case StatusCode::kNotEntitled:
          report.outcome = StreamOutcome::kNotEntitled;
          report.message =
              "this workspace does not have " +
              std::string(spec.entitlement.empty() ? "access to this endpoint" : spec.entitlement) +
              " (" + status.message() + ")";
          break;
        case StatusCode::kInterrupted:
          report.outcome = StreamOutcome::kInterrupted;
          break;
        default:
          report.outcome = StreamOutcome::kFailed;
          break;
      }
      if (status.code() == StatusCode::kAuth || status.code() == StatusCode::kInterrupted) {
        run.fatal = status;
      }
      const bool reached = std::any_of(clients_.begin(), clients_.end(),
                                       [](const SegmentClient* c) { return c->reached_api(); });
      if (status.code() == StatusCode::kTransient && !reached) {
        // Not one answer from the API: every other stream would fail the same way.
        run.fatal = Status(StatusCode::kTransient,
                           "could not reach the API at " + clients_.front()->options().base_url +
                               " (" + status.message() +
                               "). Check the network, DNS, HTTPS_PROXY/NO_PROXY, ca_bundle, and "
                               "the region or api_url; nothing was written");
      }
      report.stopped_run = !run.fatal.ok();
      if (status.code() == StatusCode::kIo) {
        // The destination itself failed: say so with the stream, and go on; the next stream
        // may well fail the same way and say so too.
        report.message = "writing to the destination failed: " + status.message();
      }
    }
    run.streams.push_back(report);
    if (on_stream_done_) {
      on_stream_done_(run.streams.back());
    }
    if (!run.fatal.ok()) {
      break;
    }
  }
  run.ended_at = FormatRfc3339Millis(clock_.Now());
  // A rejected token or an unreachable API writes nothing at all, not even the run row.
  if (wrote_anything || run.fatal.ok() || run.fatal.code() == StatusCode::kInterrupted) {
    Status recorded =
        destination_.RecordRun({run.started_at, run.ended_at, run.StatusName(), run.StreamsJson()});
    if (!recorded.ok()) {
      LogError("could not record the run in _segsync_runs: " + recorded.message());
    }
  }
  return run;
}

Status SyncEngine::SyncStream(const StreamSpec& spec, StreamReport& report) {
  SEGSYNC_ASSIGN_OR_RETURN(TableSpec table, TableSpecFor(spec));
  StreamRun run(spec, report, std::move(table));
  run.write = report.selected;

  // Children of this stream need some of its fields (ids) later in the run.
  for (const auto& child : AllStreams()) {
    if (child.parent != spec.name) {
      continue;
    }
    run.keep_parent_keys = true;
    for (const auto* bindings :
         {&child.path_from_parent, &child.query_from_parent, &child.inject_from_parent}) {
      for (const auto& binding : *bindings) {
        if (std::find(run.parent_key_fields.begin(), run.parent_key_fields.end(),
                      binding.parent_field) == run.parent_key_fields.end()) {
          run.parent_key_fields.push_back(binding.parent_field);
        }
      }
    }
  }
  if (run.keep_parent_keys) {
    run.parent_keys = &parent_keys_[std::string(spec.name)];
    run.parent_keys->clear();
  }

  std::optional<std::string> bookmark;
  if (spec.mode == SyncMode::kIncremental && run.write) {
    SEGSYNC_ASSIGN_OR_RETURN(auto state, destination_.ReadState(spec.name));
    bookmark = BookmarkFromState(state);
    if (bookmark) {
      run.max_cursor_text = *bookmark;
      auto parsed = ParseRfc3339(*bookmark);
      if (parsed.ok()) {
        run.max_cursor = *parsed;
      } else {
        bookmark.reset();
      }
    }
  }

  const UnixMillis read_started = clock_.Now();
  const std::string read_started_text = FormatRfc3339Millis(read_started);
  const std::string path(spec.path);

  // A stream is a list of partitions, each a cursor chain of pages that must be read in order.
  std::vector<Partition> partitions;
  switch (spec.partitioning) {
    case Partitioning::kNone:
      partitions.push_back({path, {}, nullptr, std::nullopt});
      break;
    case Partitioning::kParent: {
      auto parents = parent_keys_.find(spec.parent);
      if (parents == parent_keys_.end()) {
        return Status::Internal("parent " + std::string(spec.parent) + " was not read first");
      }
      QueryParams window;
      if (spec.single_object) {
        // Delivery metrics: one fixed window for the whole read, within the API's rules.
        window = DeliveryWindowQuery(read_started, options_.delivery_window_minutes,
                                     options_.delivery_granularity);
        run.injected_constants = {{"startTime", Value::String(window[0].second)},
                                  {"endTime", Value::String(window[1].second)}};
      }
      for (const Record& parent : parents->second) {
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
        partition.query.insert(partition.query.end(), window.begin(), window.end());
        partitions.push_back(std::move(partition));
      }
      break;
    }
    case Partitioning::kMonth: {
      // From the month holding the bookmark (or the start date) through the current month,
      // which is always re-read because its cumulative figures still change.
      const UnixMillis from = StartOfMonth(run.max_cursor.value_or(options_.start_date));
      const UnixMillis last = StartOfMonth(read_started);
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
      UnixMillis start = run.max_cursor ? *run.max_cursor - kAuditOverlapMs : options_.start_date;
      start = std::max(start, read_started - kAuditRetentionMs);
      partitions.push_back(
          {path,
           {{"startTime", FormatRfc3339Millis(start)}, {"endTime", read_started_text}},
           nullptr,
           std::nullopt});
      break;
    }
  }
  SEGSYNC_RETURN_NOT_OK(ReadPartitions(run, partitions));

  SEGSYNC_RETURN_NOT_OK(Flush(run));
  if (!run.write) {
    return Status::Ok();
  }
  if (!run.begun) {
    // An empty read still commits: it marks deletions and keeps the state.
    SEGSYNC_RETURN_NOT_OK(destination_.BeginStream(run.table));
    run.begun = true;
  }
  StreamCommit commit;
  commit.now = FormatRfc3339Millis(clock_.Now());
  if (spec.mode == SyncMode::kFullTable) {
    commit.mark_deleted_before = read_started_text;
  } else if (!run.max_cursor_text.empty()) {
    commit.state = StateWithBookmark(run.max_cursor_text);
  }
  SEGSYNC_ASSIGN_OR_RETURN(report.rows_deleted, destination_.CommitStream(commit));
  return Status::Ok();
}

Status SyncEngine::FetchPartition(const StreamRun& run, const Partition& partition,
                                  SegmentClient& client, simdjson::dom::parser& parser,
                                  RequestStats& stats, const PageSink& sink) {
  const StreamSpec& spec = run.spec;
  std::string cursor;
  std::set<std::string, std::less<>> seen_cursors;
  // Items of a split page, parsed one at a time.
  std::optional<simdjson::dom::parser> item_parser;
  std::string item_text;
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
    if (next && !page->split) {
      ahead = std::async(std::launch::async, fetch, *next, other, &ahead_stats);
    }
    Slice slice;
    if (page->split) {
      if (!item_parser) {
        item_parser.emplace();
      }
      for (const auto& [begin, end] : page->items) {
        item_text.reserve(end - begin + simdjson::SIMDJSON_PADDING);
        item_text.assign(page->body, begin, end - begin);
        simdjson::dom::element item;
        if (item_parser->parse(item_text.data(), item_text.size(), false).get(item) !=
            simdjson::SUCCESS) {
          return Status(StatusCode::kParse, "GET " + partition.path + ": an item of data." +
                                                std::string(spec.list_key) + " is not valid JSON");
        }
        SEGSYNC_RETURN_NOT_OK(AddRecord(run, item, partition, slice, sink));
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
        SEGSYNC_RETURN_NOT_OK(AddRecord(run, items, partition, slice, sink));
      } else if (items.is_array()) {
        for (simdjson::dom::element item : items.get_array()) {
          SEGSYNC_RETURN_NOT_OK(AddRecord(run, item, partition, slice, sink));
        }
      } else {
        return Status(StatusCode::kParse, "GET " + partition.path + ": data." +
                                              std::string(spec.list_key) + " is not a list");
      }
    }
    SEGSYNC_RETURN_NOT_OK(sink(std::move(slice.records), /*page_done=*/true));
    if (!next) {
      return Status::Ok();
    }
    cursor = std::move(*next);
    if (ahead.valid()) {
      std::swap(current, other);  // the page fetched ahead lives in `other`
    }
  }
}

Status SyncEngine::AddRecord(const StreamRun& run, simdjson::dom::element item,
                             const Partition& partition, Slice& slice, const PageSink& sink) const {
  SEGSYNC_ASSIGN_OR_RETURN(Record record, run.builder.Build(item));
  if (partition.month) {
    // A month's answer may also hold the next month's first snapshot (segment-public-api.md
    // §4); each row belongs to the period of its own month, so a key is read once per run.
    const Value* t = record.Find(run.spec.cursor_field);
    if (t != nullptr && t->kind == Value::Kind::kString) {
      auto parsed = ParseRfc3339(t->text);
      if (parsed.ok() && StartOfMonth(*parsed) != *partition.month) {
        return Status::Ok();
      }
    }
  }
  if (partition.parent != nullptr) {
    for (const auto& binding : run.spec.inject_from_parent) {
      if (const Value* v = partition.parent->Find(binding.parent_field)) {
        record.Set(binding.target, *v);
      }
    }
  }
  for (const auto& [name, value] : run.injected_constants) {
    record.Set(name, value);
  }
  slice.bytes += ApproxBytes(record);
  slice.records.push_back(std::move(record));
  if (slice.bytes >= kSliceBytes) {
    slice.bytes = 0;
    return sink(std::exchange(slice.records, {}), /*page_done=*/false);
  }
  return Status::Ok();
}

Status SyncEngine::Accept(StreamRun& run, std::vector<Record> records, bool page_done) {
  run.extracted_at = FormatRfc3339Millis(clock_.Now());
  for (Record& record : records) {
    if (run.spec.mode == SyncMode::kIncremental) {
      const Value* cursor = record.Find(run.spec.cursor_field);
      if (cursor != nullptr && cursor->kind == Value::Kind::kString) {
        auto t = ParseRfc3339(cursor->text);
        if (t.ok() && (!run.max_cursor || *t > *run.max_cursor)) {
          run.max_cursor = *t;
          run.max_cursor_text = cursor->text;
        }
      }
    }
    if (run.keep_parent_keys) {
      Record keys;
      for (auto field : run.parent_key_fields) {
        if (const Value* v = record.Find(field)) {
          keys.Set(field, *v);
        }
      }
      run.parent_keys->push_back(std::move(keys));
    }
    if (run.write) {
      run.batch.push_back(std::move(record));
    }
  }
  SEGSYNC_RETURN_NOT_OK(Flush(run));
  if (page_done) {
    ++run.report.pages;
    if (on_page_) {
      on_page_(run.report);
    }
  }
  return Status::Ok();
}

Status SyncEngine::ReadPartitions(StreamRun& run, const std::vector<Partition>& partitions) {
  if (partitions.empty()) {
    return Status::Ok();
  }
  // Workers fetch and parse (each with its own connection and parser, dropped with the stream)
  // while this thread alone writes, so the destination sees one stream at a time. Even a
  // single cursor chain gets a worker: it fetches page k+1 while page k is written. The queue
  // is bounded, so memory stays flat however large the stream.
  const size_t workers = std::min(clients_.size(), partitions.size());
  std::mutex mu;
  std::condition_variable changed;
  std::deque<std::pair<std::vector<Record>, bool>> queue;
  const size_t max_queued = workers * kQueuedSlicesPerWorker;
  size_t next_partition = 0;
  size_t running = workers;
  Status first_error;
  std::vector<RequestStats> stats(workers);      // each written by its worker alone
  std::vector<RequestStats> published(workers);  // copies for the progress report, under mu
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      simdjson::dom::parser parser;
      while (true) {
        size_t index = 0;
        {
          std::lock_guard lock(mu);
          if (!first_error.ok() || next_partition == partitions.size()) {
            break;
          }
          index = next_partition++;
        }
        Status status = FetchPartition(
            run, partitions[index], *clients_[w], parser, stats[w],
            [&](std::vector<Record> records, bool page_done) -> Status {
              std::unique_lock lock(mu);
              changed.wait(lock, [&] { return queue.size() < max_queued || !first_error.ok(); });
              if (!first_error.ok()) {
                return Status(StatusCode::kInternal, "stopped: another partition failed");
              }
              queue.emplace_back(std::move(records), page_done);
              published[w] = stats[w];
              changed.notify_all();
              return Status::Ok();
            });
        status = SkipVanishedParent(run.spec, status);
        if (!status.ok()) {
          std::lock_guard lock(mu);
          if (first_error.ok()) {
            first_error = status;
          }
          changed.notify_all();
          break;
        }
      }
      std::lock_guard lock(mu);
      --running;
      changed.notify_all();
    });
  }

  Status write_error;
  while (true) {
    std::pair<std::vector<Record>, bool> slice;
    {
      std::unique_lock lock(mu);
      changed.wait(lock, [&] { return !queue.empty() || running == 0; });
      if (queue.empty()) {
        break;
      }
      slice = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
      run.report.requests = Sum(published);
    }
    if (write_error.ok()) {
      write_error = Accept(run, std::move(slice.first), slice.second);
      if (!write_error.ok()) {
        std::lock_guard lock(mu);
        if (first_error.ok()) {
          first_error = write_error;
        }
        changed.notify_all();
      }
    }
  }
  for (auto& t : threads) {
    t.join();
  }
  run.report.requests = Sum(stats);
  return first_error;
}

Status SyncEngine::Flush(StreamRun& run) {
  if (run.batch.empty()) {
    return Status::Ok();
  }
  if (!run.begun) {
    SEGSYNC_RETURN_NOT_OK(destination_.BeginStream(run.table));
    run.begun = true;
  }
  SEGSYNC_RETURN_NOT_OK(destination_.Write(run.batch, run.extracted_at));
  run.report.rows_written += static_cast<int64_t>(run.batch.size());
  run.batch.clear();
  return Status::Ok();
}

}  // namespace segsync
