// SPDX-License-Identifier: Apache-2.0
// Airbyte discovery from the stream table, and reading a configured catalog back.
#include "protocol/airbyte_catalog.h"

#include <simdjson.h>

#include "core/json_writer.h"
#include "protocol/catalog_common.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

using FieldSet = std::set<std::string, std::less<>>;

}  // namespace

Result<std::string> AirbyteCatalogJson() {
  JsonWriter w;
  w.BeginObject().Key("streams").BeginArray();
  for (const auto& spec : AllStreams()) {
    SEGSYNC_ASSIGN_OR_RETURN(std::string schema, CompactStreamSchema(spec.name));
    w.BeginObject().Key("name").String(spec.name).Key("json_schema").Raw(schema);
    w.Key("supported_sync_modes").BeginArray().String("full_refresh");
    if (IsIncremental(spec)) {
      w.String("incremental");
    }
    w.EndArray();
    // The cursor is ours to pick: the API filters and orders by it on the server.
    w.Key("source_defined_cursor").Bool(IsIncremental(spec));
    if (IsIncremental(spec)) {
      w.Key("default_cursor_field").BeginArray().String(spec.cursor_field).EndArray();
    }
    w.Key("source_defined_primary_key").BeginArray();
    for (auto key : spec.primary_key) {
      w.BeginArray().String(key).EndArray();
    }
    w.EndArray();
    w.Key("is_resumable").Bool(IsIncremental(spec));
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<AirbyteSelection> ParseConfiguredCatalog(std::string_view catalog) {
  simdjson::dom::parser parser;
  SEGSYNC_ASSIGN_OR_RETURN(simdjson::dom::array entries,
                           CatalogEntries(parser, catalog, "the configured catalog", ""));
  AirbyteSelection selection;
  FieldSet seen;
  for (simdjson::dom::element entry : entries) {
    std::string_view name;
    if (entry["stream"]["name"].get_string().get(name) != simdjson::SUCCESS) {
      return Status::Config("the configured catalog has an entry without stream.name");
    }
    const StreamSpec* spec = FindStream(name);
    if (spec == nullptr) {
      selection.problems.push_back(
          {std::string(name), "The stream " + std::string(name) +
                                  " in the configured catalog is not one of segsync's streams. "
                                  "Refresh the source schema and remove it from the connection."});
      continue;
    }
    if (!seen.insert(std::string(name)).second) {
      selection.warnings.push_back("configured catalog: stream " + std::string(name) +
                                   " is listed twice; the first entry is used");
      continue;
    }
    std::string_view sync_mode = StringOf(entry, "sync_mode");
    if (sync_mode.empty()) {
      sync_mode = "full_refresh";  // the protocol's default
    }
    if (sync_mode != "full_refresh" && sync_mode != "incremental") {
      selection.problems.push_back(
          {std::string(name), "The stream " + std::string(name) + " has sync_mode '" +
                                  std::string(sync_mode) +
                                  "'; it must be full_refresh or incremental."});
      continue;
    }
    AirbyteStreamConfig stream;
    stream.name = std::string(name);
    stream.has_cursor = IsIncremental(*spec);
    stream.incremental = sync_mode == "incremental" && IsIncremental(*spec);
    if (sync_mode == "incremental" && !IsIncremental(*spec)) {
      selection.warnings.push_back("configured catalog: " + std::string(name) +
                                   " supports only full_refresh; reading it in full");
    }
    selection.streams.push_back(std::move(stream));
  }
  return selection;
}

}  // namespace segsync
