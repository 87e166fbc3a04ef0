// SPDX-License-Identifier: Apache-2.0
// OpenDestination: the destination URI forms and which implementation each opens.
#include "dest/destination.h"

#include <filesystem>

#include "dest/jsonl_destination.h"
#include "dest/pg_uri.h"
#include "dest/postgres_destination.h"
#include "dest/sqlite_destination.h"

namespace segsync {
namespace {

constexpr std::string_view kAcceptedForms =
    "accepted forms: sqlite:PATH, postgresql://... (a libpq URI), jsonl:DIR";

std::string Absolute(std::string_view path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? std::string(path) : absolute.lexically_normal().string();
}

}  // namespace

Result<std::string> SqlitePathOf(std::string_view uri) {
  std::string_view path = uri.substr(std::string_view("sqlite:").size());
  if (path.starts_with("//")) {
    // A URI with an authority: sqlite://HOST/PATH. Only the empty host is meaningful, and then
    // SQLAlchemy's convention holds: sqlite:///x.db is relative, sqlite:////x.db absolute.
    const std::string_view rest = path.substr(2);
    if (!rest.starts_with("/")) {
      const std::string name(rest);
      return Status::Config("destination \"" + std::string(uri) + "\" puts \"" + name +
                            "\" where a URI's host goes; write sqlite:" + name +
                            " (relative to the working directory) or sqlite:" + Absolute(name) +
                            " (absolute)");
    }
    path = rest.substr(1);
  }
  if (path.empty()) {
    return Status::Config("destination \"" + std::string(uri) + "\" names no database file; " +
                          std::string(kAcceptedForms));
  }
  return Absolute(path);
}

std::string DescribeDestination(std::string_view uri) {
  if (uri.starts_with("sqlite:")) {
    auto path = SqlitePathOf(uri);
    return path.ok() ? "SQLite file " + *path : std::string(uri);
  }
  if (uri.starts_with("jsonl:")) {
    return "JSONL directory " + Absolute(uri.substr(std::string_view("jsonl:").size()));
  }
  auto target = ParsePostgresUri(uri);
  return target.ok() ? "PostgreSQL " + target->display + ", schema " + target->schema
                     : std::string(uri);
}

Result<std::unique_ptr<Destination>> OpenDestination(std::string_view uri,
                                                     const DestinationOptions& options) {
  if (uri.starts_with("sqlite:")) {
    SEGSYNC_ASSIGN_OR_RETURN(std::string path, SqlitePathOf(uri));
    return std::unique_ptr<Destination>(std::make_unique<SqliteDestination>(std::move(path)));
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
