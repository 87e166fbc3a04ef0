// SPDX-License-Identifier: Apache-2.0
// Generates the data of the newer endpoints (tracking plans, functions, labels, filters, models,
// roles, group members, warehouse syncs, event volume) and derives event counts.
#pragma once

#include <cstdint>
#include <vector>

#include "core/clock.h"
#include "sim/workspace.h"

namespace segsync::sim {

/// Generates the newer data from its own random streams, after the rest of the workspace, so
/// that nothing generated before it changes.
void GenerateExtras(Workspace& ws, const ScaleSpec& scale, const std::vector<SourceBrief>& sources,
                    const std::vector<UserBrief>& users, UnixMillis now);

/// Every warehouse's sources sync `count` more times, starting now (a second after their last
/// start when that is later); their running syncs finish first. Each list keeps its length: as
/// many of the oldest syncs drop off the end as were added.
void AdvanceSyncs(Workspace& ws, int count, UnixMillis now);

/// Events of one series in `[bucket_start, bucket_start + bucket_ms)` where the bucket is a
/// day, an hour or a minute aligned to its own length (UTC). Fixed per series and bucket.
uint64_t VolumeCount(const VolumeSeries& series, UnixMillis bucket_start, int64_t bucket_ms);

}  // namespace segsync::sim
