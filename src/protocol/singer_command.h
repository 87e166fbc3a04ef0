// SPDX-License-Identifier: Apache-2.0
// `segsync singer` (also the binary run as tap-segsync): the Singer tap's command line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class App;
}  // namespace CLI

namespace segsync {

/// The Singer tap command line.
struct SingerArgs {
  std::optional<std::string> config;
  std::optional<std::string> state;
  std::optional<std::string> catalog;
  std::optional<std::string> properties;  // legacy name of --catalog
  bool discover = false;
  bool about = false;
  std::string format = "text";  // of --about: text, markdown or json
};

/// Register `singer` on `app`, binding its options to `args`.
CLI::App* AddSingerCommand(CLI::App& app, SingerArgs& args);
/// Run the Singer tap; returns the exit code.
int RunSinger(const SingerArgs& args);
/// Whether `argv0` names the program tap-segsync (a symlink or copy of segsync).
bool IsTapProgramName(std::string_view argv0);
/// Parse the whole command line as the Singer tap's and run it; returns the exit code.
int RunTapCommandLine(int argc, char** argv);

}  // namespace segsync
