// SPDX-License-Identifier: Apache-2.0
// The Singer tap writer: a Destination whose output is Singer messages on stdout.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "dest/destination.h"

namespace segsync {

/// What the Singer writer announces of one selected stream; built from the catalog.
struct SingerStream {
  std::string name;
  std::string schema;  // one-line JSON Schema for SCHEMA, deselected fields already removed
  std::vector<std::string> key_properties;
  std::string replication_key;    // empty for full-table streams
  bool versioned = false;         // full table: ACTIVATE_VERSION, and `version` on every RECORD
  bool resume_from_state = true;  // false: the catalog asked for FULL_TABLE on a CDC stream
  std::set<std::string, std::less<>> excluded_fields;  // deselected in the catalog
};

/// Per-stream bookmark objects (JSON text) of a Singer state, keyed by tap_stream_id.
using SingerBookmarks = std::map<std::string, std::string, std::less<>>;

/// Read a Singer state document, `{"bookmarks": {"<stream>": {...}}, ...}`. Streams whose
/// bookmark is not an object are dropped; a document without `bookmarks` has none.
Result<SingerBookmarks> ParseSingerState(std::string_view text);

/// `json` with every non-ASCII character written as a \uXXXX escape (surrogate pairs above the
/// BMP, U+FFFD for invalid UTF-8), as singer-python writes: Meltano reads tap output as ASCII.
std::string EscapeNonAscii(std::string_view json);

/// Write one JSON document as one ASCII line on `out` and flush it.
Status WriteSingerLine(std::ostream& out, std::string_view json);

/// The Singer tap writer: SCHEMA before a stream's first RECORD, RECORDs as the engine reads
/// them, and on commit ACTIVATE_VERSION (full-table streams) then the whole STATE. Nothing can
/// be taken back once written, so an aborted stream simply emits no ACTIVATE_VERSION or STATE:
/// the loader keeps the rows but retires none, and the bookmark stays where it was.
class SingerDestination final : public Destination {
 public:
  SingerDestination(std::ostream& out, Clock& clock, std::vector<SingerStream> streams,
                    SingerBookmarks bookmarks);

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override;
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override;
  Result<int64_t> CommitStream(const StreamCommit& commit) override;
  void AbortStream() override;
  Status RecordRun(const RunRecord& run) override;

  /// The STATE value as it stands: `{"bookmarks": {...}}`.
  std::string StateJson() const;

 private:
  Status Emit(std::string_view json);

  std::ostream& out_;
  Clock& clock_;
  std::vector<SingerStream> streams_;
  SingerBookmarks bookmarks_;
  const SingerStream* open_ = nullptr;
  std::set<std::string, std::less<>> timestamp_fields_;  // of the open stream
  int64_t version_ = 0;                                  // of the open stream, if versioned
};

}  // namespace segsync
