// SPDX-License-Identifier: Apache-2.0
// `segsync airbyte spec|check|discover|read`: the Airbyte source's command line.
#pragma once

#include <optional>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace segsync {

/// The Airbyte source command line.
struct AirbyteArgs {
  std::string command;  // spec, check, discover or read
  std::optional<std::string> config;
  std::optional<std::string> catalog;
  std::optional<std::string> state;
  bool debug = false;
};

/// Register `airbyte spec|check|discover|read` on `app`, binding their options to `args`.
CLI::App* AddAirbyteCommand(CLI::App& app, AirbyteArgs& args);

/// Run one Airbyte command; returns the exit code.
int RunAirbyte(const AirbyteArgs& args);

}  // namespace segsync
