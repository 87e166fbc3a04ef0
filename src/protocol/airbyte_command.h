// SPDX-License-Identifier: Apache-2.0
// `segsync singer ...` (also the binary run as tap-segsync) and `segsync airbyte ...`: thin
// command lines over the same configuration, engine and streams as `segsync sync`, writing
// protocol messages through the Singer and Airbyte destinations.
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

/// The Airbyte source command line.
struct AirbyteArgs {
  std::string command;  // spec, check, discover or read
  std::optional<std::string> config;
  std::optional<std::string> catalog;
  std::optional<std::string> state;
  bool debug = false;
};

/// Register `singer` on `app`, binding its options to `args`.
CLI::App* AddSingerCommand(CLI::App& app, SingerArgs& args);
/// Register `airbyte spec|check|discover|read` on `app`, binding their options to `args`.
CLI::App* AddAirbyteCommand(CLI::App& app, AirbyteArgs& args);

/// Run the Singer tap; returns the exit code.
int RunSinger(const SingerArgs& args);
/// Run one Airbyte command; returns the exit code.
int RunAirbyte(const AirbyteArgs& args);

/// Whether `argv0` names the program tap-segsync (a symlink or copy of segsync).
bool IsTapProgramName(std::string_view argv0);
/// Parse the whole command line as the Singer tap's and run it; returns the exit code.
int RunTapCommandLine(int argc, char** argv);

}  // namespace segsync
