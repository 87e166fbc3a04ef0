// SPDX-License-Identifier: Apache-2.0
// The stream table seen through the Singer and Airbyte protocols: discovery catalogs, the
// settings schema, and reading back the catalogs that choose what a run syncs.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "dest/airbyte_destination.h"
#include "dest/singer_destination.h"

namespace segsync {

/// Singer marks the token `secret`/`writeOnly` (Meltano SDK); Airbyte `airbyte_secret`.
enum class SettingsDialect { kSinger, kAirbyte };

/// The configuration file (CONTRACT.md §2) as a draft-07 JSON Schema, one line: the `settings`
/// of Singer `--about`, the `connectionSpecification` of Airbyte `spec`.
std::string ConfigSettingsSchema(SettingsDialect dialect);

/// A stream's JSON Schema on one line, without the `excluded` top-level properties.
Result<std::string> CompactStreamSchema(std::string_view stream,
                                        const std::set<std::string, std::less<>>& excluded = {});

/// Singer discovery: `{"streams": [...]}` with the standard metadata, one line. Streams are not
/// selected by default; keys and replication keys are `automatic`, other fields `available`.
Result<std::string> SingerCatalogJson();

/// Airbyte discovery: an AirbyteCatalog `{"streams": [...]}`, one line.
Result<std::string> AirbyteCatalogJson();

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

/// A configured stream that cannot be synced, reported as a TRACE ERROR for that stream.
struct CatalogProblem {
  std::string stream;
  std::string message;
};

/// What an Airbyte configured catalog selects.
struct AirbyteSelection {
  std::vector<AirbyteStreamConfig> streams;
  std::vector<CatalogProblem> problems;  // unknown streams, invalid sync modes
  std::vector<std::string> warnings;     // accepted with a change, for the log
};

/// Read a ConfiguredAirbyteCatalog (`read --catalog`). Only a document that is not a catalog
/// at all is an error; a bad entry becomes a problem of its stream and the others still sync.
Result<AirbyteSelection> ParseConfiguredCatalog(std::string_view catalog);

}  // namespace segsync
