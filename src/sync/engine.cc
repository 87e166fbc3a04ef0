// SPDX-License-Identifier: Apache-2.0
// The scheduler: workers read partitions, the head stream is written, the rest wait in a spool.
#include "sync/engine.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "core/log.h"
#include "sync/bookmarks.h"
#include "sync/outcome.h"
#include "sync/partitions.h"
#include "sync/record_builder.h"
#include "sync/stream_reader.h"

namespace segsync {
namespace {

// Slices waiting for the writer, per fetching worker: enough that a fetch never waits on a
// write that is about to finish, few enough that memory stays flat.
constexpr size_t kQueuedSlicesPerWorker = 2;

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

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
  Bookmark bookmark;  // incremental: the newest cursor written
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
  std::vector<ChainProgress> progress;  // one per partition
  size_t next_partition = 0;
  std::vector<size_t> paused;
  int active = 0;
  bool read_done = false;  // every partition read, or the read failed (read_status)
  Status read_status;
  std::deque<Slice> queue;
  size_t queued_bytes = 0;
  RequestStats requests;
  std::string warning;  // a partition's read started later than asked (ChainProgress::warning)
  /// This stream's records reduced to parent_key_fields; complete once read_done.
  std::vector<Record> keys;
  UnixMillis began = 0;          // partitions built: the read's start, as the API sees it
  UnixMillis first_request = 0;  // a worker first took one of its partitions
  int64_t partitions_read = 0;   // for progress
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
    run.run_id = recorded.ok() ? destination_.LastRunId() : std::nullopt;
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
    auto bookmark = ReadBookmark(destination_, task->spec.name);
    states.emplace_back(bookmark.ok() ? *bookmark : std::nullopt,
                        bookmark.ok() ? Status::Ok() : bookmark.status());
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
         (!task.paused.empty() || task.next_partition < task.partitions.size()) &&
         (task.spec.max_parallel_partitions == 0 ||
          task.active < task.spec.max_parallel_partitions ||
          !clients_.front()->pacer().OwnBudgetBinds(task.spec.path));
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
  } else if (status.ok()) {
    ++task.partitions_read;
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
  ReaderOptions reader_options;
  reader_options.page_size = options_.page_size;
  reader_options.split_pages_from_bytes = options_.split_pages_from_bytes;
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
    const StreamReader reader(run.spec, run.builder, run.injected_constants, reader_options);
    Status status;
    try {
      status = reader.Read(task->partitions[index], task->progress[index], client, parser, stats,
                           sink, should_pause, &paused);
    } catch (const std::bad_alloc&) {
      // Out of memory in a worker fails its stream like any other failure (an exception leaving
      // a thread would abort the process, with no summary and no run record).
      status = Status(StatusCode::kInternal,
                      "out of memory reading " + std::string(run.spec.name) +
                          "; raise the memory limit of this process or lower max_concurrency");
    }
    std::lock_guard lock(mu_);
    AddStats(task->requests, stats, published);
    if (!task->progress[index].warning.empty()) {
      task->warning = task->progress[index].warning;
    }
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
    // A parent the plan does not include (tracking plans without Protocols) gates its children
    // the same way: skipped, not failed.
    const bool gated = task.parent->read_status.code() == StatusCode::kNotEntitled;
    status = Status(
        gated ? StatusCode::kNotEntitled : StatusCode::kTransient,
        "its parent stream " + std::string(spec.parent) + " could not be read (" +
            std::string(StreamOutcomeName(MeaningOf(task.parent->read_status.code()).outcome)) +
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
        run.report.partitions = static_cast<int64_t>(task.partitions.size());
        run.report.partitions_read = task.partitions_read;
        run.report.reading_ahead.clear();
        for (const auto& other : tasks_) {
          if (other.get() != &task && other->active > 0 && other->selected) {
            run.report.reading_ahead.push_back({std::string(other->spec.name),
                                                other->partitions_read,
                                                static_cast<int64_t>(other->partitions.size())});
          }
        }
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
    report.reading_ahead.clear();
  }
  {
    std::lock_guard lock(mu_);
    report.duration_ms = task.first_request == 0 ? 0 : clock_.Now() - task.first_request;
    report.warning = task.warning;
  }
  if (status.ok()) {
    report.outcome = StreamOutcome::kOk;
    return report;
  }
  destination_.AbortStream();
  // Rolled back: none of the rows written so far was kept.
  report.rows_written = 0;
  {
    // A fatal error found by any worker stops the run on the stream being written; so does a
    // signal that stopped the destination itself (every read may be done by then).
    std::lock_guard lock(mu_);
    if (fatal_.ok() && status.code() == StatusCode::kInterrupted) {
      fatal_ = status;
      fatal_task_ = &task;
      stop_ = true;
    }
    if (!fatal_.ok()) {
      status = fatal_;
      report.stopped_run = true;
    }
  }
  report.message = status.message();
  report.code = status.code();
  report.outcome = MeaningOf(status.code()).outcome;
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
  if (run.table.track_deletions) {
    commit.mark_deleted_before = read_started_text;
  } else if (!run.bookmark.text().empty()) {
    commit.state = StateWithBookmark(run.bookmark.text());
  }
  SEGSYNC_ASSIGN_OR_RETURN(run.report.rows_deleted, destination_.CommitStream(commit));
  if (const auto history = destination_.LastHistoryCounts()) {
    // A version is closed for each row changed or gone, opened for each row new, changed or back.
    run.report.rows_updated = std::max<int64_t>(0, history->closed - run.report.rows_deleted);
    run.report.rows_added = std::max<int64_t>(0, history->opened - run.report.rows_updated);
  }
  return Status::Ok();
}

Status SyncEngine::BuildPartitions(StreamTask& task) {
  const StreamSpec& spec = task.spec;
  SEGSYNC_ASSIGN_OR_RETURN(TableSpec table, TableSpecFor(spec));
  task.run = std::make_unique<StreamRun>(spec, std::move(table));
  StreamRun& run = *task.run;
  run.write = task.selected;
  run.bookmark = Bookmark(task.bookmark);
  run.read_started_text = FormatRfc3339Millis(task.began);
  PartitionOptions options;
  options.start_date = options_.start_date;
  options.delivery_window_minutes = options_.delivery_window_minutes;
  options.delivery_granularity = options_.delivery_granularity;
  SEGSYNC_ASSIGN_OR_RETURN(
      PartitionPlan plan,
      PlanPartitions(spec, task.parent == nullptr ? nullptr : &task.parent->keys, run.bookmark.at(),
                     task.began, options));
  task.partitions = std::move(plan.partitions);
  task.progress.resize(task.partitions.size());
  run.injected_constants = std::move(plan.injected_constants);
  return Status::Ok();
}

Status SyncEngine::Accept(StreamRun& run, Slice slice) {
  run.extracted_at = FormatRfc3339Millis(clock_.Now());
  if (slice.total_entries >= 0 && run.report.partitions == 1) {
    run.report.total_entries = slice.total_entries;
  }
  for (Record& record : slice.records) {
    if (run.spec.mode == SyncMode::kIncremental) {
      run.bookmark.Advance(record, run.spec.cursor_field);
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
