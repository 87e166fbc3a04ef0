// SPDX-License-Identifier: Apache-2.0
// Singer discovery from the stream table, and the Meltano SDK's rules for reading a catalog.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "protocol/singer_writer.h"

namespace segsync {

/// Singer discovery: `{"streams": [...]}` with the standard metadata, one line. Streams are not
/// selected by default; keys and replication keys are `automatic`, other fields `available`.
Result<std::string> SingerCatalogJson();

/// What a Singer catalog selects.
struct SingerSelection {
  std::vector<SingerStream> streams;
  std::vector<std::string> warnings;  // entries ignored and why, for the log
};

/// Apply the Meltano SDK's selection rules to a Singer catalog (`--catalog`/`--properties`):
/// no metadata at all selects; `unsupported` never, `automatic` always; then explicit `selected`
/// (also the legacy one on the entry or its schema; booleans or "true"/"false"); then
/// `selected-by-default`; else the parent's value (false for a stream). Top-level fields can be
/// deselected; keys and replication keys never are. Unknown keys and streams are ignored.
Result<SingerSelection> SelectSingerStreams(std::string_view catalog);

/// Every named stream with all of its fields: the selection when no catalog is given.
Result<std::vector<SingerStream>> SingerStreamsNamed(const std::vector<std::string>& names);

}  // namespace segsync
