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

/// Everything one stream's read and write need; built when the stream becomes readable.
struct SyncEngine::StreamRun {
  const StreamSpec& spec;
  StreamReport report;  // the writer's
  TableSpec table;
  RecordBuilder builder;
  bool write = false;
  bool begun = false;
  std::vector<Record> batch;
  std::vector<std::pair<std::string, Value>> injected_constants;
  std::string extracted_at;
  std::optional<UnixMillis> max_cursor;
  std::string max_cursor_text;
  std::string read_started_text;

  StreamRun(const StreamSpec& s, TableSpec t) : spec(s), table(std::move(t)), builder(table) {}
};

/// One needed stream through the run. Fields below `mu_` are guarded by SyncEngine::mu_.
struct SyncEngine::StreamTask {
  const StreamSpec& spec;
  StreamTask* parent = nullptr;
  bool selected = false;
  bool needs_state = false;             // incremental and selected: read from its bookmark
  std::optional<std::string> bookmark;  // set before it is built (states_loaded_)
  Status state_error;
  /// Fields of this stream's records that its children need (ids), if it has children.
  std::vector<std::string_view> parent_key_fields;

  // mu_:
  bool built = false;
  std::unique_ptr<StreamRun> run;
  std::vector<Partition> partitions;
  size_t next_partition = 0;
  std::vector<size_t> paused;
  int active = 0;
  bool read_done = false;  // every partition read, or the read failed (read_status)
  Status read_status;
  std::deque<Slice> queue;
  size_t queued_bytes = 0;
  RequestStats requests;
  /// This stream's records reduced to parent_key_fields; complete once read_done.
  std::vector<Record> keys;
  UnixMillis began = 0;          // partitions built: the read's start, as the API sees it
  UnixMillis first_request = 0;  // a worker first took one of its partitions
  bool reported = false;

  explicit StreamTask(const StreamSpec& s) : spec(s) {}
};

SyncEngine::SyncEngine(std::vector<SegmentClient*> clients, Destination& destination, Clock& clock,
                       EngineOptions options)
    : clients_(std::move(clients)),
      destination_(destination),
      clock_(clock),
      options_(std::move(options)) {}

SyncEngine::~SyncEngine() = default;

namespace {

StreamOutcome OutcomeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return StreamOutcome::kOk;
    case StatusCode::kNotEntitled:
      return StreamOutcome::kNotEntitled;
    case StatusCode::kInterrupted:
      return StreamOutcome::kInterrupted;
    default:
      return StreamOutcome::kFailed;
  }
}

void AddStats(RequestStats& into, const RequestStats& now, RequestStats& published) {
  into.requests += now.requests - published.requests;
  into.retries += now.retries - published.retries;
  into.rate_limited += now.rate_limited - published.rate_limited;
  into.waited_ms += now.waited_ms - published.waited_ms;
  published = now;
}

}  // namespace

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
  tasks_.clear();
  for (const auto& spec : AllStreams()) {
    if (!Contains(needed, spec.name)) {
      continue;
    }
    auto task = std::make_unique<StreamTask>(spec);
    task->selected = Contains(options_.selected, spec.name);
    for (const auto& earlier : tasks_) {
      if (earlier->spec.name == spec.parent) {
        task->parent = earlier.get();
      }
    }
    for (const auto& child : AllStreams()) {
      if (child.parent != spec.name) {
        continue;
      }
      for (const auto* bindings :
           {&child.path_from_parent, &child.query_from_parent, &child.inject_from_parent}) {
        for (const auto& binding : *bindings) {
          auto& fields = task->parent_key_fields;
          if (std::find(fields.begin(), fields.end(), binding.parent_field) == fields.end()) {
            fields.push_back(binding.parent_field);
          }
        }
      }
    }
    task->needs_state = spec.mode == SyncMode::kIncremental && task->selected;
    tasks_.push_back(std::move(task));
  }
  head_ = nullptr;
  spool_bytes_ = 0;
  stop_ = false;
  fatal_ = Status::Ok();
  fatal_task_ = nullptr;
  states_loaded_ = false;

  std::vector<std::thread> workers;
  workers.reserve(clients_.size());
  for (size_t w = 0; w < clients_.size(); ++w) {
    workers.emplace_back([this, w] { WorkerLoop(w); });
  }

  bool wrote_anything = false;
  while (true) {
    StreamTask* head = nullptr;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] {
        head = ChooseHead();
        return head != nullptr || stop_ ||
               std::all_of(tasks_.begin(), tasks_.end(),
                           [this](const auto& t) { return t->reported || !Ready(*t); });
      });
      if (head == nullptr && !stop_ && !states_loaded_) {
        // Every stream left needs its bookmark first.
        lock.unlock();
        LoadStates();
        continue;
      }
      if (head == nullptr) {
        break;
      }
      head_ = head;
      spool_bytes_ -= head->queued_bytes;
      changed_.notify_all();
    }
    StreamReport report = WriteTask(*head);
    {
      std::lock_guard lock(mu_);
      head->reported = true;
      head_ = nullptr;
      if (report.stopped_run) {
        stop_ = true;
        run.fatal = fatal_;
      }
      changed_.notify_all();
    }
    wrote_anything = wrote_anything || (report.selected && report.outcome == StreamOutcome::kOk);
    run.streams.push_back(std::move(report));
    if (on_stream_done_) {
      on_stream_done_(run.streams.back());
    }
    if (!run.fatal.ok()) {
      break;
    }
  }
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    changed_.notify_all();
  }
  for (auto& t : workers) {
    t.join();
  }
  if (!run.fatal.ok()) {
    // Every selected stream the run stopped before is listed too: nothing of it was written.
    for (const auto& task : tasks_) {
      if (task->selected && !task->reported) {
        StreamReport skipped;
        skipped.name = std::string(task->spec.name);
        skipped.outcome = StreamOutcome::kNotRun;
        skipped.message = "the run stopped before this stream was written";
        run.streams.push_back(std::move(skipped));
      }
    }
  }
  tasks_.clear();
  // Streams are written in the order their reads allow; they are reported in catalog order.
  auto catalog_index = [](const StreamReport& r) {
    const auto& all = AllStreams();
    return std::find_if(all.begin(), all.end(), [&](const auto& s) { return s.name == r.name; }) -
           all.begin();
  };
  std::stable_sort(run.streams.begin(), run.streams.end(),
                   [&](const StreamReport& a, const StreamReport& b) {
                     return catalog_index(a) < catalog_index(b);
                   });

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

bool SyncEngine::Ready(const StreamTask& task) const {
  return (task.parent == nullptr || (task.parent->read_done && task.parent->read_status.ok())) &&
         (!task.needs_state || states_loaded_);
}

void SyncEngine::LoadStates() {
  std::vector<std::pair<std::optional<std::string>, Status>> states;
  for (const auto& task : tasks_) {
    if (!task->needs_state) {
      states.emplace_back();
      continue;
    }
    auto state = destination_.ReadState(task->spec.name);
    states.emplace_back(state.ok() ? BookmarkFromState(*state) : std::nullopt,
                        state.ok() ? Status::Ok() : state.status());
  }
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < tasks_.size(); ++i) {
    tasks_[i]->bookmark = std::move(states[i].first);
    tasks_[i]->state_error = std::move(states[i].second);
  }
  states_loaded_ = true;
  changed_.notify_all();
}

bool SyncEngine::ParentFailed(const StreamTask& task) const {
  return task.parent != nullptr && task.parent->read_done && !task.parent->read_status.ok();
}

bool SyncEngine::Finished(const StreamTask& task) const {
  return task.reported || task.read_done || ParentFailed(task);
}

void SyncEngine::EnsureBuilt(StreamTask& task) {
  if (task.built || !Ready(task)) {
    return;
  }
  task.built = true;
  task.began = clock_.Now();
  Status status = task.state_error.ok() ? BuildPartitions(task) : task.state_error;
  if (!status.ok()) {
    task.read_status = status;
    task.read_done = true;
  } else if (task.partitions.empty()) {
    task.read_done = true;
  }
}

bool SyncEngine::Takeable(const StreamTask& task) const {
  return task.built && !task.read_done && task.read_status.ok() &&
         (!task.paused.empty() || task.next_partition < task.partitions.size());
}

bool SyncEngine::Take(StreamTask*& task, size_t& partition) {
  auto take_from = [&](StreamTask& t) {
    task = &t;
    if (!t.paused.empty()) {
      partition = t.paused.back();
      t.paused.pop_back();
    } else {
      partition = t.next_partition++;
    }
    ++t.active;
    if (t.first_request == 0) {
      t.first_request = clock_.Now();
    }
    return true;
  };
  if (stop_) {
    return false;
  }
  if (head_ != nullptr && Takeable(*head_)) {
    return take_from(*head_);
  }
  // Nothing left to hand out for the head: read ahead for other streams, within the spool.
  if (spool_bytes_ >= options_.spool_bytes) {
    return false;
  }
  for (auto& t : tasks_) {
    // Top-level lists are few requests but the biggest pages (destinations: 25 MB): reading
    // one ahead would hold its body beside the head's. They are read when written.
    if (t.get() == head_ || t->reported || t->spec.partitioning == Partitioning::kNone) {
      continue;
    }
    EnsureBuilt(*t);
    if (Takeable(*t)) {
      return take_from(*t);
    }
  }
  return false;
}

SyncEngine::StreamTask* SyncEngine::ChooseHead() {
  if (stop_) {
    // The stream that found a fatal error is reported, even if another was being written.
    return fatal_task_ != nullptr && !fatal_task_->reported ? fatal_task_ : nullptr;
  }
  StreamTask* fullest = nullptr;
  for (auto& t : tasks_) {
    if (t->reported) {
      continue;
    }
    EnsureBuilt(*t);
    // First a stream that is read (or can no longer be): writing it frees the spool at once.
    if (t->read_done || ParentFailed(*t)) {
      return t.get();
    }
    if (t->built && (fullest == nullptr || t->queued_bytes > fullest->queued_bytes)) {
      fullest = t.get();
    }
  }
  // Then the stream holding the most records read ahead; else the first that can be read.
  return fullest;
}

void SyncEngine::FinishPartition(StreamTask& task, size_t partition, const Status& status,
                                 bool paused) {
  --task.active;
  if (paused && status.ok()) {
    task.paused.push_back(partition);
  } else if (!status.ok() && task.read_status.ok()) {
    task.read_status = status;
    // What was read ahead for a failed stream is of no use.
    if (&task != head_) {
      spool_bytes_ -= task.queued_bytes;
    }
    task.queue.clear();
    task.queued_bytes = 0;
    const bool reached = std::any_of(clients_.begin(), clients_.end(),
                                     [](const SegmentClient* c) { return c->reached_api(); });
    Status fatal;
    if (status.code() == StatusCode::kAuth || status.code() == StatusCode::kInterrupted) {
      fatal = status;
    } else if (status.code() == StatusCode::kTransient && !reached) {
      // Not one answer from the API: every other stream would fail the same way.
      fatal = Status(StatusCode::kTransient,
                     "could not reach the API at " + clients_.front()->options().base_url + " (" +
                         status.message() +
                         "). Check the network, DNS, HTTPS_PROXY/NO_PROXY, ca_bundle, and the "
                         "region or api_url; nothing was written");
    }
    if (!fatal.ok() && fatal_.ok()) {
      fatal_ = fatal;
      fatal_task_ = &task;
      stop_ = true;
    }
  }
  if (task.active == 0 &&
      (!task.read_status.ok() ||
       (task.paused.empty() && task.next_partition == task.partitions.size()))) {
    task.read_done = true;
  }
  changed_.notify_all();
}

void SyncEngine::WorkerLoop(size_t worker) {
  SegmentClient& client = *clients_[worker];
  simdjson::dom::parser parser;
  while (true) {
    StreamTask* task = nullptr;
    size_t index = 0;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] {
        return Take(task, index) || stop_ ||
               std::all_of(tasks_.begin(), tasks_.end(),
                           [this](const auto& t) { return Finished(*t); });
      });
      if (task == nullptr) {
        return;
      }
    }
    const StreamRun& run = *task->run;
    RequestStats stats;
    RequestStats published;
    std::vector<Record> keys;
    PageSink sink = [&](Slice slice) -> Status {
      if (!task->parent_key_fields.empty()) {
        for (const Record& record : slice.records) {
          Record ids;
          for (auto field : task->parent_key_fields) {
            if (const Value* v = record.Find(field)) {
              ids.Set(field, *v);
            }
          }
          keys.push_back(std::move(ids));
        }
      }
      if (!run.write) {
        slice.records.clear();
        slice.bytes = 0;
      }
      std::unique_lock lock(mu_);
      const size_t max_queued = clients_.size() * kQueuedSlicesPerWorker;
      // Only the head's queue is bounded here. A page read ahead for another stream is never
      // held up mid-page (its worker might be the one the next head needs); its chain stops at
      // the page's end once the spool is full, so the spool overshoots by a page per worker.
      changed_.wait(lock, [&] {
        return stop_ || !task->read_status.ok() || task != head_ || task->queue.size() < max_queued;
      });
      if (stop_ || !task->read_status.ok()) {
        return Status(StatusCode::kInternal, "stopped: the run or this stream ended");
      }
      if (task != head_) {
        spool_bytes_ += slice.bytes;
      }
      task->queued_bytes += slice.bytes;
      task->queue.push_back(std::move(slice));
      task->keys.insert(task->keys.end(), std::make_move_iterator(keys.begin()),
                        std::make_move_iterator(keys.end()));
      keys.clear();
      AddStats(task->requests, stats, published);
      changed_.notify_all();
      return Status::Ok();
    };
    PauseCheck should_pause = [&] {
      std::lock_guard lock(mu_);
      return stop_ || (task != head_ && spool_bytes_ >= options_.spool_bytes);
    };
    bool paused = false;
    Status status = FetchPartition(run, task->partitions[index], client, parser, stats, sink,
                                   should_pause, &paused);
    status = SkipVanishedParent(run.spec, status);
    std::lock_guard lock(mu_);
    AddStats(task->requests, stats, published);
    FinishPartition(*task, index, status, paused);
  }
}

StreamReport SyncEngine::WriteTask(StreamTask& task) {
  const StreamSpec& spec = task.spec;
  StreamReport report;
  report.name = std::string(spec.name);
  report.selected = task.selected;
  Status status;
  if (ParentFailed(task)) {
    status = Status(StatusCode::kTransient,
                    "its parent stream " + std::string(spec.parent) + " could not be read (" +
                        std::string(StreamOutcomeName(OutcomeOf(task.parent->read_status.code()))) +
                        ")");
  } else if (task.run == nullptr) {
    status = task.read_status;  // its table or partitions could not be set up
  } else {
    StreamRun& run = *task.run;
    run.report.name = report.name;
    run.report.selected = report.selected;
    if (on_stream_start_) {
      on_stream_start_(spec, task.selected);
    }
    bool read_all = false;
    while (status.ok() && !read_all) {
      Slice slice;
      {
        std::unique_lock lock(mu_);
        changed_.wait(lock, [&] { return !task.queue.empty() || task.read_done || stop_; });
        run.report.requests = task.requests;
        if (!task.queue.empty()) {
          slice = std::move(task.queue.front());
          task.queue.pop_front();
          task.queued_bytes -= slice.bytes;
          changed_.notify_all();
        } else if (!task.read_status.ok()) {
          status = task.read_status;
          break;
        } else if (task.read_done) {
          read_all = true;
          break;
        } else {
          status = fatal_.ok() ? Status(StatusCode::kInternal,
                                        "stopped before " + report.name + " was read")
                               : fatal_;
          break;
        }
      }
      if (!states_loaded_) {
        LoadStates();  // the API has answered, so bookmarks may now be read
      }
      status = Accept(run, std::move(slice));
      if (!status.ok()) {
        std::lock_guard lock(mu_);
        if (task.read_status.ok()) {
          task.read_status = status;  // its workers stop
          changed_.notify_all();
        }
      }
    }
    if (status.ok()) {
      status = Commit(run, run.read_started_text);
    }
    report = run.report;  // its name and selection were set above
  }
  {
    std::lock_guard lock(mu_);
    report.duration_ms = task.first_request == 0 ? 0 : clock_.Now() - task.first_request;
  }
  if (status.ok()) {
    report.outcome = StreamOutcome::kOk;
    return report;
  }
  destination_.AbortStream();
  {
    // A fatal error found by any worker stops the run on the stream being written.
    std::lock_guard lock(mu_);
    if (!fatal_.ok()) {
      status = fatal_;
      report.stopped_run = true;
    }
  }
  report.message = status.message();
  report.code = status.code();
  report.outcome = OutcomeOf(status.code());
  if (report.outcome == StreamOutcome::kNotEntitled) {
    report.message =
        "this workspace does not have " +
        std::string(spec.entitlement.empty() ? "access to this endpoint" : spec.entitlement) +
        " (" + status.message() + ")";
  }
  if (status.code() == StatusCode::kIo) {
    // The destination itself failed: say so with the stream, and go on; the next stream
    // may well fail the same way and say so too.
    report.message = "writing to the destination failed: " + status.message();
  }
  return report;
}

Status SyncEngine::Commit(StreamRun& run, const std::string& read_started_text) {
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
  if (run.spec.mode == SyncMode::kFullTable) {
    commit.mark_deleted_before = read_started_text;
  } else if (!run.max_cursor_text.empty()) {
    commit.state = StateWithBookmark(run.max_cursor_text);
  }
  SEGSYNC_ASSIGN_OR_RETURN(run.report.rows_deleted, destination_.CommitStream(commit));
  return Status::Ok();
}

Status SyncEngine::BuildPartitions(StreamTask& task) {
  const StreamSpec& spec = task.spec;
  SEGSYNC_ASSIGN_OR_RETURN(TableSpec table, TableSpecFor(spec));
  task.run = std::make_unique<StreamRun>(spec, std::move(table));
  StreamRun& run = *task.run;
  run.write = task.selected;
  if (task.bookmark) {
    auto parsed = ParseRfc3339(*task.bookmark);
    if (parsed.ok()) {
      run.max_cursor_text = *task.bookmark;
      run.max_cursor = *parsed;
    }
  }

  const UnixMillis read_started = task.began;
  run.read_started_text = FormatRfc3339Millis(read_started);
  const std::string path(spec.path);
  std::vector<Partition>& partitions = task.partitions;
  switch (spec.partitioning) {
    case Partitioning::kNone:
      partitions.push_back({path, {}, nullptr, std::nullopt, {}, {}});
      break;
    case Partitioning::kParent: {
      if (task.parent == nullptr) {
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
      for (const Record& parent : task.parent->keys) {
        Partition partition{path, {}, &parent, std::nullopt, {}, {}};
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
        partitions.push_back({path, {{"period", FormatDate(month)}}, nullptr, month, {}, {}});
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
           {{"startTime", FormatRfc3339Millis(start)}, {"endTime", run.read_started_text}},
           nullptr,
           std::nullopt,
           {},
           {}});
      break;
    }
  }
  return Status::Ok();
}

Status SyncEngine::FetchPartition(const StreamRun& run, Partition& partition, SegmentClient& client,
                                  simdjson::dom::parser& parser, RequestStats& stats,
                                  const PageSink& sink, const PauseCheck& should_pause,
                                  bool* paused) {
  const StreamSpec& spec = run.spec;
  std::string& cursor = partition.cursor;
  std::set<std::string, std::less<>>& seen_cursors = partition.seen_cursors;
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
    // A chain read ahead for another stream stops at this page while the spool is full.
    const bool pause = next.has_value() && should_pause();
    if (next && !pause && !page->split) {
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
    return sink(std::exchange(slice, {}));
  }
  return Status::Ok();
}

Status SyncEngine::Accept(StreamRun& run, Slice slice) {
  run.extracted_at = FormatRfc3339Millis(clock_.Now());
  for (Record& record : slice.records) {
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
    run.batch.push_back(std::move(record));
  }
  SEGSYNC_RETURN_NOT_OK(Flush(run));
  if (slice.page_done) {
    ++run.report.pages;
    if (on_page_) {
      on_page_(run.report);
    }
  }
  return Status::Ok();
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
