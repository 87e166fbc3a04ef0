// SPDX-License-Identifier: Apache-2.0
// The process-wide stop flag that SIGINT/SIGTERM set and long waits check.
#pragma once

namespace segsync {

/// One process-wide "stop now" flag, set from a SIGINT/SIGTERM handler (async-signal-safe) and
/// checked between pages, inside sleeps and inside transfers, so a stop is prompt even while
/// waiting out a rate limit or a stalled request.
void RequestCancel();
bool CancelRequested();
void ResetCancel();
/// The stop flag, remembering which signal set it (the exit code tells SIGINT from SIGTERM).
void RequestCancelBySignal(int signal);
/// The signal that last requested the stop, or 0 when none did.
int CancelSignal();

}  // namespace segsync
