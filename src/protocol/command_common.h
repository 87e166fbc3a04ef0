// SPDX-License-Identifier: Apache-2.0
// What the Singer and Airbyte commands share: their input files and a line per finished stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/status.h"
#include "sync/run_report.h"

namespace segsync {

/// The whole of a protocol input file (catalog, state); a kConfig error names `what` and path.
Result<std::string> ReadTextFile(const std::string& path, std::string_view what);

/// Whether `text` holds only whitespace (an empty state file means no state).
bool IsBlank(std::string_view text);

/// Flags naming only the configuration file: the protocols take no other setting by flag.
ConfigFlags FlagsWithConfigFile(const std::optional<std::string>& config_file);

/// A progress line on stderr for each selected stream as it ends.
void LogStreamDone(const StreamReport& s);

}  // namespace segsync
