// SPDX-License-Identifier: Apache-2.0
// The Airbyte source writer: protocol messages on stdout, and a Destination built on it.
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
#include "sync/outcome.h"

namespace segsync {

/// Airbyte's stream status of a TRACE STREAM_STATUS.
enum class AirbyteStreamStatus { kStarted, kRunning, kComplete, kIncomplete };

/// Writes Airbyte protocol messages, one JSON object per line, flushed; the only writer of
/// stdout in `segsync airbyte`. Messages meant for people have registered secrets masked.
class AirbyteWriter {
 public:
  AirbyteWriter(std::ostream& out, Clock& clock) : out_(out), clock_(clock) {}

  Status Spec(std::string_view connection_specification);
  Status ConnectionStatus(bool succeeded, std::string_view message);
  /// `catalog`: an AirbyteCatalog object, `{"streams": [...]}`.
  Status Catalog(std::string_view catalog);
  Status StreamStatus(std::string_view stream, AirbyteStreamStatus status);
  /// A TRACE ERROR; `stream` empty when the error concerns the whole run.
  Status Error(std::string_view message, FailureType failure, std::string_view stream = {});
  /// A LOG message; `level` is one of FATAL, ERROR, WARN, INFO, DEBUG, TRACE.
  Status Log(std::string_view level, std::string_view message);
  /// A RECORD, `emitted_at` the current time in epoch milliseconds.
  Status RecordMessage(std::string_view stream, const Record& record);
  /// A per-stream STATE with the number of records emitted since the stream's previous STATE.
  Status StateMessage(std::string_view stream, std::string_view stream_state, int64_t record_count);

 private:
  Status Emit(std::string_view json);

  std::ostream& out_;
  Clock& clock_;
};

/// One stream of the configured catalog, as the writer needs it.
struct AirbyteStreamConfig {
  std::string name;
  bool has_cursor = false;   // a CDC stream: its state carries the engine's bookmark
  bool incremental = false;  // configured `incremental`: resume from the input state
};

/// Per-stream `stream_state` objects (JSON text) keyed by stream name.
using AirbyteStreamStates = std::map<std::string, std::string, std::less<>>;

/// Read a `--state` file: a list of STREAM (or GLOBAL) state messages, or the legacy object
/// (`{"<stream>": {...}}`, possibly wrapped as a LEGACY message's `data`). A null
/// `stream_state` means the stream was reset and has no state.
Result<AirbyteStreamStates> ParseAirbyteState(std::string_view text);

/// `Destination` for `segsync airbyte read`: RECORD per record (TRACE RUNNING before a stream's
/// first one) and one STREAM state per committed stream. Records already emitted cannot be taken
/// back, so an aborted stream emits no STATE and its input state stays the latest.
class AirbyteDestination final : public Destination {
 public:
  AirbyteDestination(AirbyteWriter& writer, std::vector<AirbyteStreamConfig> streams,
                     AirbyteStreamStates states);

  Result<std::optional<std::string>> ReadState(std::string_view stream) override;
  Status BeginStream(const TableSpec& table) override;
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override;
  Result<int64_t> CommitStream(const StreamCommit& commit) override;
  void AbortStream() override;
  Status RecordRun(const RunRecord& run) override;

 private:
  AirbyteWriter& writer_;
  std::vector<AirbyteStreamConfig> streams_;
  AirbyteStreamStates states_;
  const AirbyteStreamConfig* open_ = nullptr;
  int64_t records_since_state_ = 0;
  bool running_ = false;  // RUNNING sent for the open stream
};

}  // namespace segsync
