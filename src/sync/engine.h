// SPDX-License-Identifier: Apache-2.0
// The sync engine: schedules every needed stream's reads on workers and writes them in turn.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/segment_client.h"
#include "core/clock.h"
#include "dest/destination.h"
#include "streams/stream_spec.h"
#include "sync/partitions.h"
#include "sync/run_report.h"
#include "sync/stream_reader.h"

namespace segsync {

struct EngineOptions {
  std::vector<std::string> selected;  // stream names to write
  UnixMillis start_date = 0;
  int64_t delivery_window_minutes = int64_t{24} * 60;
  std::string delivery_granularity = "HOUR";
  int page_size = kMaxPageSize;
  /// Pages at least this big are parsed item by item, so memory does not grow with the page
  /// (destinations pages reach 24 MB).
  size_t split_pages_from_bytes = size_t{1} << 20;
  /// Records read ahead for streams other than the one being written, roughly in bytes. Past
  /// it, their cursor chains pause at a page boundary until the writer takes them up.
  size_t spool_bytes = size_t{4} << 20;
};

/// Reads every needed stream with one generic reader driven by its StreamSpec, and writes the
/// selected ones, one destination transaction per stream.
///
/// Streams are read in parallel: a pool of workers (one per client) fetches partitions of any
/// stream whose parent has been read, while this thread writes one stream at a time (the
/// "head"). Workers serve the head first; when it has nothing left to hand out (a cursor chain,
/// or the tail of a wide stream) they read ahead for other streams into a bounded spool, so the
/// request budget never idles while a chain runs. Each stream is still one transaction.
class SyncEngine {
 public:
  using StreamDone = std::function<void(const StreamReport&)>;
  using StreamStart = std::function<void(const StreamSpec&, bool selected)>;

  /// `clients` (at least one) are used in parallel, one per worker; all share one rate-limit
  /// budget through their pacer.
  SyncEngine(std::vector<SegmentClient*> clients, Destination& destination, Clock& clock,
             EngineOptions options);
  ~SyncEngine();
  SyncEngine(const SyncEngine&) = delete;
  SyncEngine& operator=(const SyncEngine&) = delete;

  /// Called as each stream finishes (progress lines, protocol writers), on the calling thread.
  void OnStreamDone(StreamDone callback) { on_stream_done_ = std::move(callback); }
  /// Called after every page of the stream being written (live progress).
  void OnPage(StreamDone callback) { on_page_ = std::move(callback); }
  /// Called when a stream's records start to be written (its requests may have begun earlier).
  void OnStreamStart(StreamStart callback) { on_stream_start_ = std::move(callback); }

  RunReport Run();

 private:
  struct StreamRun;
  struct StreamTask;

  // Scheduling, all under mu_.
  /// Its parent is read and its bookmark known: its partitions can be built.
  bool Ready(const StreamTask& task) const;
  /// Its parent could not be read, so it will not be either.
  bool ParentFailed(const StreamTask& task) const;
  /// Nothing more will be read for it.
  bool Finished(const StreamTask& task) const;
  void EnsureBuilt(StreamTask& task);
  bool Takeable(const StreamTask& task) const;
  /// A worker's next partition: the head's, else one read ahead while the spool has room.
  bool Take(StreamTask*& task, size_t& partition);
  /// The next stream to write: one fully read, else the one holding the most spooled records.
  StreamTask* ChooseHead();
  void FinishPartition(StreamTask& task, size_t partition, const Status& status, bool paused);

  /// Reads the bookmarks of the selected incremental streams (on the writing thread).
  void LoadStates();
  /// Sets up the stream's run and its partitions (PlanPartitions, from its parent's keys and
  /// its bookmark).
  Status BuildPartitions(StreamTask& task);
  void WorkerLoop(size_t worker);
  /// Writes `task` (the head) to the destination and says how it ended.
  StreamReport WriteTask(StreamTask& task);
  Status Commit(StreamRun& run, const std::string& read_started_text);

  /// On the writing thread: bookmark, batch and write.
  Status Accept(StreamRun& run, Slice slice);
  Status Flush(StreamRun& run);

  std::vector<SegmentClient*> clients_;
  Destination& destination_;
  Clock& clock_;
  EngineOptions options_;
  StreamDone on_stream_done_;
  StreamStart on_stream_start_;
  StreamDone on_page_;

  std::vector<std::unique_ptr<StreamTask>> tasks_;  // needed streams, in catalog order
  std::mutex mu_;
  std::condition_variable changed_;
  StreamTask* head_ = nullptr;        // the stream being written
  size_t spool_bytes_ = 0;            // records queued for streams other than the head
  bool stop_ = false;                 // the run is over (fatal error, or written)
  Status fatal_;                      // what stopped the run early
  StreamTask* fatal_task_ = nullptr;  // the stream that found it
  /// Bookmarks are read once the API has answered (a rejected token never touches the
  /// destination), or at once when nothing can be read without them.
  bool states_loaded_ = false;
};

}  // namespace segsync
