// SPDX-License-Identifier: Apache-2.0
// The failure table: one row per StatusCode, read by the engine, the run report and the commands.
#include "sync/outcome.h"

#include <array>
#include <csignal>

#include "core/cancel.h"

namespace segsync {
namespace {

using O = StreamOutcome;
using F = FailureType;

// Indexed by StatusCode; the static_assert below keeps it in step with the enum.
constexpr std::array<FailureMeaning, 12> kTable{{
    /* kOk          */ {O::kOk, kExitOk, "ok", F::kSystem, false},
    /* kConfig      */ {O::kFailed, kExitConfig, "error", F::kConfig, true},
    /* kAuth        */ {O::kFailed, kExitAuth, "error", F::kConfig, true},
    // A plan or feature gate skips the stream; it is not a failure of the sync.
    /* kNotEntitled */ {O::kNotEntitled, kExitOk, "not_entitled", F::kSystem, true},
    /* kNotFound    */ {O::kFailed, kExitStreamFailed, "error", F::kSystem, true},
    /* kRateLimited */ {O::kFailed, kExitStreamFailed, "error", F::kTransient, false},
    /* kTransient   */ {O::kFailed, kExitStreamFailed, "error", F::kTransient, false},
    /* kInvalid     */ {O::kFailed, kExitStreamFailed, "error", F::kSystem, true},
    /* kParse       */ {O::kFailed, kExitStreamFailed, "error", F::kSystem, false},
    /* kIo          */ {O::kFailed, kExitStreamFailed, "error", F::kSystem, false},
    /* kInterrupted */ {O::kInterrupted, kExitInterrupted, "error", F::kSystem, false},
    /* kInternal    */ {O::kFailed, kExitStreamFailed, "error", F::kSystem, false},
}};
static_assert(static_cast<size_t>(StatusCode::kInternal) + 1 == kTable.size(),
              "one row per StatusCode");

}  // namespace

std::string_view StreamOutcomeName(StreamOutcome outcome) {
  switch (outcome) {
    case StreamOutcome::kOk:
      return "ok";
    case StreamOutcome::kNotEntitled:
      return "not_entitled";
    case StreamOutcome::kFailed:
      return "failed";
    case StreamOutcome::kInterrupted:
      return "interrupted";
    case StreamOutcome::kNotRun:
      return "not_run";
  }
  return "not_run";
}

int InterruptedExitCode() { return CancelSignal() == SIGTERM ? kExitTerminated : kExitInterrupted; }

const FailureMeaning& MeaningOf(StatusCode code) {
  const auto index = static_cast<size_t>(code);
  return index < kTable.size() ? kTable[index] : kTable.back();
}

}  // namespace segsync
