// SPDX-License-Identifier: Apache-2.0
// OpenDestination: the destination URI forms and which implementation each opens.
#include "dest/destination.h"

#include "dest/jsonl_destination.h"
#include "dest/postgres_destination.h"
#include "dest/sqlite_destination.h"

namespace segsync {
namespace {

constexpr std::string_view kAcceptedForms =
    "accepted forms: sqlite:PATH, postgresql://... (a libpq URI), jsonl:DIR";

}  // namespace

Result<std::unique_ptr<Destination>> OpenDestination(std::string_view uri,
                                                     const DestinationOptions& options) {
  if (uri.starts_with("sqlite:")) {
    const std::string_view path = uri.substr(std::string_view("sqlite:").size());
    if (path.empty()) {
      return Status::Config("destination \"" + std::string(uri) + "\" names no database file; " +
                            std::string(kAcceptedForms));
    }
    return std::unique_ptr<Destination>(std::make_unique<SqliteDestination>(std::string(path)));
  }
  if (uri.starts_with("jsonl:")) {
    const std::string_view directory = uri.substr(std::string_view("jsonl:").size());
    if (directory.empty()) {
      return Status::Config("destination \"" + std::string(uri) + "\" names no directory; " +
                            std::string(kAcceptedForms));
    }
    return std::unique_ptr<Destination>(
        std::make_unique<JsonlDestination>(std::filesystem::path(directory)));
  }
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
    SEGSYNC_ASSIGN_OR_RETURN(std::unique_ptr<PostgresDestination> destination,
                             PostgresDestination::Make(uri, options.timeout_s));
    return std::unique_ptr<Destination>(std::move(destination));
  }
  return Status::Config("destination \"" + std::string(uri) + "\" is not a destination; " +
                        std::string(kAcceptedForms));
}

}  // namespace segsync
