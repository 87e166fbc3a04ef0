// SPDX-License-Identifier: Apache-2.0
// What the Singer and Airbyte commands share: their input files and a line per finished stream.
#include "protocol/command_common.h"

#include <fstream>
#include <sstream>

#include "core/log.h"

namespace segsync {

Result<std::string> ReadTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Config("cannot read the " + std::string(what) + " file '" + path + "'");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

ConfigFlags FlagsWithConfigFile(const std::optional<std::string>& config_file) {
  ConfigFlags flags;
  flags.config_file = config_file;
  return flags;
}

void LogStreamDone(const StreamReport& s) {
  if (!s.selected) {
    return;
  }
  std::string line = s.name + ": " + std::string(StreamOutcomeName(s.outcome)) + ", " +
                     std::to_string(s.rows_written) + " records, " +
                     std::to_string(s.requests.requests) + " requests";
  if (!s.message.empty()) {
    line += " (" + s.message + ")";
  }
  if (s.outcome == StreamOutcome::kOk) {
    LogInfo(line);
  } else if (s.outcome == StreamOutcome::kNotEntitled) {
    LogWarn(line);
  } else {
    LogError(line);
  }
}

}  // namespace segsync
