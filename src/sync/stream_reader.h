// SPDX-License-Identifier: Apache-2.0
// Reads one partition page by page into records, handing them on in slices.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "api/segment_client.h"
#include "core/record.h"
#include "core/status.h"
#include "http/response_body.h"
#include "streams/stream_spec.h"
#include "sync/partitions.h"
#include "sync/record_builder.h"

namespace segsync {

/// Records of a page not yet handed on.
struct Slice {
  std::vector<Record> records;
  size_t bytes = 0;  // roughly, in memory
  bool page_done = false;
  int64_t total_entries = -1;  // the page's `pagination.totalEntries`, where it says (progress)
};
/// Takes a slice of a page's records (`page_done` marks the page's last slice).
using PageSink = std::function<Status(Slice)>;
/// Asked between pages: whether the chain should stop here and be resumed later.
using PauseCheck = std::function<bool()>;

/// How far one partition's cursor chain got: a paused chain resumes from here.
struct ChainProgress {
  std::string cursor;  // the next page's cursor, when resumed
  std::set<std::string, std::less<>> seen_cursors;
  /// The query sent in place of the partition's, after the server refused its startTime
  /// (an audit window the server does not keep all of) or its endTime (the day window holding
  /// today, EndTimeRetryQuery); empty: the partition's own.
  QueryParams retried_query;
  /// Said once when the read had to start later than asked; empty if it did not.
  std::string warning;
  /// A split page whose chain paused part-way: its body and the items not yet built. Read ahead
  /// for another stream, a 25 MB page held as text costs half what its records would.
  struct PendingPage {
    ResponseBody body;
    std::vector<std::pair<size_t, size_t>> items;
    size_t next_item = 0;
    bool last = false;  // no page follows (`cursor` is the next page's otherwise)
  };
  std::optional<PendingPage> pending;
};

struct ReaderOptions {
  int page_size = kMaxPageSize;
  /// Pages at least this big are parsed item by item, so memory does not grow with the page
  /// (destinations pages reach 24 MB).
  size_t split_pages_from_bytes = size_t{1} << 20;
  /// A page's records are handed on in slices of about this many bytes, so a page of 24 MB
  /// (destinations) is never held as records all at once, and the writer starts on it early.
  size_t slice_bytes = size_t{1} << 20;
};

/// Roughly what a record occupies in memory.
size_t ApproxBytes(const Record& record);

/// Reads partitions of one stream. Holds only references: the spec, the record builder and the
/// constants every record carries must outlive it. Thread-safe: Read touches only its
/// arguments.
class StreamReader {
 public:
  StreamReader(const StreamSpec& spec, const RecordBuilder& builder,
               const std::vector<std::pair<std::string, Value>>& injected_constants,
               const ReaderOptions& options)
      : spec_(spec),
        builder_(builder),
        injected_constants_(injected_constants),
        options_(options) {}

  /// Reads the pages of `partition` with `client` from `progress`, handing each page's records
  /// to `sink`, until its last page or until `should_pause` says so (then `*paused`, with
  /// `progress` at the next page, or inside a split page after a slice was handed on). A partition
  /// whose parent record disappeared since it was listed (404) has nothing left to read: that is
  /// not an error. An audit window whose startTime the server refuses is read again from the oldest
  /// time it accepts, with a warning (`progress.warning`).
  Status Read(const Partition& partition, ChainProgress& progress, SegmentClient& client,
              simdjson::dom::parser& parser, RequestStats& stats, const PageSink& sink,
              const PauseCheck& should_pause, bool* paused) const;

 private:
  Status ReadPages(const Partition& partition, ChainProgress& progress, SegmentClient& client,
                   simdjson::dom::parser& parser, RequestStats& stats, const PageSink& sink,
                   const PauseCheck& should_pause, bool* paused) const;
  /// A partition whose parent is gone (404) is done, not failed.
  Status Finish(const Partition& partition, Status status) const;
  /// Builds a split page's items from `page.next_item`; stops after a slice when `should_pause`
  /// says so, with `*paused` and `page.next_item` at the first item not built.
  Status BuildItems(ChainProgress::PendingPage& page, const Partition& partition, Slice& slice,
                    const PageSink& sink, const PauseCheck& should_pause, bool* paused) const;
  /// Builds the records of one item (one, or one per element of a flattened series) into
  /// `slice`, handing the slice to `sink` once it is big.
  Status AddRecord(simdjson::dom::element item, const Partition& partition, Slice& slice,
                   const PageSink& sink) const;
  /// Completes one built record (injected fields, empty absent key fields) into `slice`.
  Status AddBuilt(Record record, const Partition& partition, Slice& slice,
                  const PageSink& sink) const;

  const StreamSpec& spec_;
  const RecordBuilder& builder_;
  const std::vector<std::pair<std::string, Value>>& injected_constants_;
  ReaderOptions options_;
};

}  // namespace segsync
