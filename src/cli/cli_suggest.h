// SPDX-License-Identifier: Apache-2.0
// "Did you mean" for a command line CLI11 rejected: the mistyped command or flag and its nearest.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace segsync {

/// For the first word of `argv` that is neither a command of `app` nor a flag of the command
/// it follows, the message saying so, with the nearest name when one is close ("'--strat-date'
/// is not a flag of 'segsync sync'; did you mean '--start-date'?"); nullopt when every word is
/// known (CLI11's own message then says what is wrong).
std::optional<std::string> UnknownWordMessage(CLI::App& app, int argc, const char* const* argv);

}  // namespace segsync
