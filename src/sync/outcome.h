// SPDX-License-Identifier: Apache-2.0
// The one table from a failure (StatusCode) to what every command makes of it.
#pragma once

#include <string_view>

#include "core/status.h"

namespace segsync {

/// How one stream ended (the `outcome` of each stream in `_segsync_runs.streams`).
enum class StreamOutcome { kOk, kNotEntitled, kFailed, kInterrupted, kNotRun };

std::string_view StreamOutcomeName(StreamOutcome outcome);

/// Process exit codes (the command line's contract, see README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitStreamFailed = 1;
inline constexpr int kExitConfig = 2;
inline constexpr int kExitAuth = 3;
inline constexpr int kExitInterrupted = 130;  // 128 + SIGINT, as shells report it
inline constexpr int kExitTerminated = 143;   // 128 + SIGTERM: the same stop, by SIGTERM

/// kExitInterrupted, or kExitTerminated when SIGTERM asked for the stop.
int InterruptedExitCode();

/// Who is to act on a failure; Airbyte's `failure_type`
/// (https://docs.airbyte.com/understanding-airbyte/airbyte-protocol#airbyteerrortracemessage).
enum class FailureType {
  kSystem,     // system_error: the connector or the API misbehaved
  kConfig,     // config_error: the user must change the configuration
  kTransient,  // transient_error: the same run may succeed later
};

/// What a failure of one kind means, wherever it is reported.
struct FailureMeaning {
  StreamOutcome outcome;     // of the stream that met it
  int exit_code;             // when it ends the command
  std::string_view check;    // `segsync check`'s word for a stream: ok, not_entitled, error
  FailureType failure_type;  // in an Airbyte read's error trace
  /// An Airbyte `check` answers it with a FAILED connection status (the configuration, token,
  /// region or URL is wrong) rather than an error trace.
  bool connection_failed;
};

/// The row of `code` in the table (src/sync/outcome.cc).
const FailureMeaning& MeaningOf(StatusCode code);

}  // namespace segsync
