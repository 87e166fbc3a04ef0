// SPDX-License-Identifier: Apache-2.0
// `segsync changes`: the changes the runs detected, read from the history tables.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace segsync {

struct ChangesArgs {
  std::string destination = "sqlite:segment.db";
  std::string since;                 // RFC 3339; empty: the changes of the latest run
  std::vector<std::string> streams;  // empty: every configuration stream
  std::string format = "text";       // text or json
};

/// Add the `changes` subcommand and its flags to `app`.
CLI::App* AddChangesCommand(CLI::App& app, ChangesArgs& args);
/// Print the changes to stdout; returns the exit code (2: bad flags or a destination without
/// history, 1: the destination could not be read).
int RunChanges(const ChangesArgs& args);

}  // namespace segsync
