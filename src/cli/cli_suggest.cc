// SPDX-License-Identifier: Apache-2.0
// "Did you mean" for a command line CLI11 rejected: the mistyped command or flag and its nearest.
#include "cli/cli_suggest.h"

#include <string_view>
#include <vector>

#include "core/suggest.h"

namespace segsync {
namespace {

std::vector<std::string> FlagNames(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      names.push_back("--" + name);
    }
  }
  return names;
}

/// The command of `parent` named `name`, or null.
CLI::App* FindCommand(CLI::App& parent, std::string_view name) {
  for (CLI::App* command : parent.get_subcommands({})) {
    if (command->get_name() == name) {
      return command;
    }
  }
  return nullptr;
}

std::string Unknown(std::string_view what, std::string_view typed,
                    const std::vector<std::string>& names) {
  const std::optional<std::string> nearest = NearestName(typed, names);
  return "'" + std::string(typed) + "' is not " + std::string(what) +
         (nearest ? "; did you mean '" + *nearest + "'?" : std::string());
}

}  // namespace

std::optional<std::string> UnknownWordMessage(CLI::App& app, int argc, const char* const* argv) {
  CLI::App* command = &app;
  std::string path = "segsync";
  for (int i = 1; i < argc; ++i) {
    const std::string_view word(argv[i]);
    if (word.starts_with("--")) {
      const std::string name(word.substr(0, word.find('=')));
      if (command->get_option_no_throw(name) == nullptr) {
        return Unknown("a flag of '" + path + "'", name, FlagNames(*command));
      }
      continue;
    }
    if (word.starts_with("-")) {
      continue;  // a short flag
    }
    if (command != &app) {
      if (CLI::App* nested = FindCommand(*command, word)) {
        command = nested;  // airbyte spec, ...
        path += " " + nested->get_name();
      }
      continue;  // else a flag's value
    }
    CLI::App* sub = FindCommand(app, word);
    if (sub == nullptr) {
      std::vector<std::string> names;
      for (const CLI::App* candidate : app.get_subcommands({})) {
        names.push_back(candidate->get_name());
      }
      return Unknown("a segsync command", word, names);
    }
    command = sub;
    path += " " + sub->get_name();
  }
  return std::nullopt;
}

}  // namespace segsync
