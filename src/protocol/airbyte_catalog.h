// SPDX-License-Identifier: Apache-2.0
// Airbyte discovery from the stream table, and reading a configured catalog back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "protocol/airbyte_writer.h"

namespace segsync {

/// Airbyte discovery: an AirbyteCatalog `{"streams": [...]}`, one line.
Result<std::string> AirbyteCatalogJson();

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
