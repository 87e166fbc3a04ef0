// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/segment_client.h"
#include "core/clock.h"
#include "dest/destination.h"
#include "streams/stream_spec.h"
#include "sync/run_report.h"

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
};

/// startTime, endTime (ending now) and granularity of a delivery-metrics window, within the
/// API's rules for that granularity.
QueryParams DeliveryWindowQuery(UnixMillis now, int64_t window_minutes,
                                std::string_view granularity);

/// Reads every needed stream with one generic reader driven by its StreamSpec, and writes the
/// selected ones, one destination transaction per stream.
class SyncEngine {
 public:
  using StreamDone = std::function<void(const StreamReport&)>;
  using StreamStart = std::function<void(const StreamSpec&, bool selected)>;

  /// `clients` (at least one) are used in parallel for the partitions of a stream; all share
  /// one rate-limit budget through their pacer.
  SyncEngine(std::vector<SegmentClient*> clients, Destination& destination, Clock& clock,
             EngineOptions options);

  /// Called as each stream finishes (progress lines, protocol writers).
  void OnStreamDone(StreamDone callback) { on_stream_done_ = std::move(callback); }
  /// Called after every page a stream reads (live progress).
  void OnPage(StreamDone callback) { on_page_ = std::move(callback); }
  /// Called before a stream's first request.
  void OnStreamStart(StreamStart callback) { on_stream_start_ = std::move(callback); }

  RunReport Run();

 private:
  struct StreamRun;
  /// One cursor chain: a path and query, and the parent record it belongs to.
  struct Partition {
    std::string path;
    QueryParams query;
    const Record* parent = nullptr;
    std::optional<UnixMillis> month;  // usage: the period this partition reads
  };
  /// Takes a slice of a page's records; `page_done` marks the page's last slice.
  using PageSink = std::function<Status(std::vector<Record>, bool page_done)>;

  Status SyncStream(const StreamSpec& spec, StreamReport& report);
  Status ReadPartitions(StreamRun& run, const std::vector<Partition>& partitions);
  /// Read every page of one partition with `client`, handing each page's records to `sink`.
  /// Thread-safe: touches only `run`'s immutable parts.
  Status FetchPartition(const StreamRun& run, const Partition& partition, SegmentClient& client,
                        simdjson::dom::parser& parser, RequestStats& stats, const PageSink& sink);
  /// Records of a page not yet handed to the writer.
  struct Slice {
    std::vector<Record> records;
    size_t bytes = 0;  // roughly, in memory
  };
  /// Builds the record of one item into `slice`, handing the slice to `sink` once it is big.
  Status AddRecord(const StreamRun& run, simdjson::dom::element item, const Partition& partition,
                   Slice& slice, const PageSink& sink) const;
  /// On the writing thread: bookmark, parent ids, batch and write.
  Status Accept(StreamRun& run, std::vector<Record> records, bool page_done);
  Status Flush(StreamRun& run);

  std::vector<SegmentClient*> clients_;
  Destination& destination_;
  Clock& clock_;
  EngineOptions options_;
  StreamDone on_stream_done_;
  StreamStart on_stream_start_;
  StreamDone on_page_;
  /// Parent stream name → the fields of its records that children need (ids), from this run.
  std::map<std::string, std::vector<Record>, std::less<>> parent_keys_;
};

}  // namespace segsync
