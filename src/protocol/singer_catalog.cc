// SPDX-License-Identifier: Apache-2.0
// Singer discovery from the stream table, and the Meltano SDK's rules for reading a catalog.
#include "protocol/singer_catalog.h"

#include <simdjson.h>

#include <map>
#include <optional>

#include "core/json_writer.h"
#include "protocol/catalog_common.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

using FieldSet = std::set<std::string, std::less<>>;

/// Fields that every record must carry: the primary key and the replication key.
FieldSet AutomaticFields(const StreamSpec& spec) {
  FieldSet fields(spec.primary_key.begin(), spec.primary_key.end());
  if (IsIncremental(spec)) {
    fields.emplace(spec.cursor_field);
  }
  return fields;
}

Result<simdjson::dom::object> SchemaProperties(simdjson::dom::parser& parser,
                                               std::string_view stream) {
  const std::string_view schema = StreamSchema(stream);
  simdjson::dom::object properties;
  if (schema.empty() || parser.parse(schema.data(), schema.size())["properties"].get_object().get(
                            properties) != simdjson::SUCCESS) {
    return Status::Internal("no usable JSON Schema compiled in for stream " + std::string(stream));
  }
  return properties;
}

/// A boolean metadata value; the Singer spec's own example writes "true" as a string.
std::optional<bool> BoolOf(simdjson::dom::element parent, std::string_view key) {
  simdjson::dom::element value;
  if (!parent.is_object() || parent[key].get(value) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  bool b = false;
  if (value.get_bool().get(b) == simdjson::SUCCESS) {
    return b;
  }
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    if (text == "true" || text == "True") {
      return true;
    }
    if (text == "false" || text == "False") {
      return false;
    }
  }
  return std::nullopt;
}

/// The Singer metadata of one catalog entry, by breadcrumb.
struct EntryMetadata {
  bool any = false;  // the entry has at least one metadata entry
  std::optional<simdjson::dom::element> stream;
  std::map<std::string, simdjson::dom::element, std::less<>> fields;
};

EntryMetadata ReadMetadata(simdjson::dom::element entry) {
  EntryMetadata md;
  simdjson::dom::array list;
  if (entry["metadata"].get_array().get(list) != simdjson::SUCCESS) {
    return md;
  }
  for (simdjson::dom::element item : list) {
    simdjson::dom::array breadcrumb;
    simdjson::dom::element values;
    if (item["breadcrumb"].get_array().get(breadcrumb) != simdjson::SUCCESS ||
        item["metadata"].get(values) != simdjson::SUCCESS || !values.is_object()) {
      continue;
    }
    md.any = true;
    std::vector<std::string_view> path;
    for (simdjson::dom::element part : breadcrumb) {
      std::string_view text;
      if (part.get_string().get(text) == simdjson::SUCCESS) {
        path.push_back(text);
      }
    }
    if (path.empty()) {
      md.stream = values;
    } else if (path.size() == 2 && path[0] == "properties") {
      md.fields.emplace(std::string(path[1]), values);
    }
  }
  return md;
}

/// The SDK rule for one node once its parent is known to be selected: `unsupported` never,
/// `automatic` always, then `selected` (or the legacy one), then `selected-by-default`, else
/// `inherited`.
bool NodeSelected(const std::optional<simdjson::dom::element>& values,
                  std::optional<bool> legacy_selected, bool inherited) {
  if (values) {
    const std::string_view inclusion = StringOf(*values, "inclusion");
    if (inclusion == "unsupported") {
      return false;
    }
    if (inclusion == "automatic") {
      return true;
    }
    if (auto selected = BoolOf(*values, "selected")) {
      return *selected;
    }
  }
  if (legacy_selected) {
    return *legacy_selected;
  }
  if (values) {
    if (auto by_default = BoolOf(*values, "selected-by-default")) {
      return *by_default;
    }
  }
  return inherited;
}

Result<SingerStream> MakeSingerStream(const StreamSpec& spec, FieldSet excluded,
                                      bool resume_from_state) {
  SingerStream stream;
  stream.name = std::string(spec.name);
  SEGSYNC_ASSIGN_OR_RETURN(stream.schema, CompactStreamSchema(spec.name, excluded));
  for (auto key : spec.primary_key) {
    stream.key_properties.emplace_back(key);
  }
  if (IsIncremental(spec)) {
    stream.replication_key = std::string(spec.cursor_field);
  }
  // A log keeps rows the API no longer lists: a new table version would drop them.
  stream.versioned = spec.mode == SyncMode::kFullTable && !spec.log;
  stream.resume_from_state = resume_from_state;
  stream.excluded_fields = std::move(excluded);
  return stream;
}

void WriteStringArray(JsonWriter& w, const std::vector<std::string_view>& items) {
  w.BeginArray();
  for (auto item : items) {
    w.String(item);
  }
  w.EndArray();
}

}  // namespace

Result<std::string> SingerCatalogJson() {
  JsonWriter w;
  w.BeginObject().Key("streams").BeginArray();
  simdjson::dom::parser parser;
  for (const auto& spec : AllStreams()) {
    const std::vector<std::string_view> keys(spec.primary_key.begin(), spec.primary_key.end());
    std::vector<std::string_view> replication_keys;
    if (IsIncremental(spec)) {
      replication_keys.push_back(spec.cursor_field);
    }
    const char* method = IsIncremental(spec) ? "INCREMENTAL" : "FULL_TABLE";
    SEGSYNC_ASSIGN_OR_RETURN(std::string schema, CompactStreamSchema(spec.name));

    w.BeginObject();
    w.Key("tap_stream_id").String(spec.name).Key("stream").String(spec.name);
    w.Key("key_properties");
    WriteStringArray(w, keys);
    w.Key("replication_method").String(method);
    if (IsIncremental(spec)) {
      w.Key("replication_key").String(spec.cursor_field);
    }
    w.Key("schema").Raw(schema);

    w.Key("metadata").BeginArray();
    w.BeginObject().Key("breadcrumb").BeginArray().EndArray().Key("metadata").BeginObject();
    w.Key("inclusion").String("available").Key("selected-by-default").Bool(false);
    w.Key("table-key-properties");
    WriteStringArray(w, keys);
    w.Key("forced-replication-method").String(method);
    w.Key("valid-replication-keys");
    WriteStringArray(w, replication_keys);
    if (IsIncremental(spec)) {
      w.Key("replication-key").String(spec.cursor_field);
    }
    w.EndObject().EndObject();

    const FieldSet automatic = AutomaticFields(spec);
    SEGSYNC_ASSIGN_OR_RETURN(simdjson::dom::object properties, SchemaProperties(parser, spec.name));
    for (auto [name, property] : properties) {
      w.BeginObject().Key("breadcrumb").BeginArray().String("properties").String(name).EndArray();
      w.Key("metadata").BeginObject().Key("inclusion");
      w.String(automatic.count(name) != 0 ? "automatic" : "available");
      w.EndObject().EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

Result<SingerSelection> SelectSingerStreams(std::string_view catalog) {
  simdjson::dom::parser parser;
  SEGSYNC_ASSIGN_OR_RETURN(simdjson::dom::array entries,
                           CatalogEntries(parser, catalog, "the Singer catalog",
                                          "; give the file written by --discover"));
  simdjson::dom::parser schema_parser;  // `parser` keeps the catalog alive meanwhile
  SingerSelection selection;
  FieldSet seen;
  for (simdjson::dom::element entry : entries) {
    std::string_view id = StringOf(entry, "tap_stream_id");
    if (id.empty()) {
      id = StringOf(entry, "stream");
    }
    const StreamSpec* spec = id.empty() ? nullptr : FindStream(id);
    if (spec == nullptr) {
      selection.warnings.push_back("catalog: ignoring stream '" + std::string(id) +
                                   "', which segsync does not have");
      continue;
    }
    if (!seen.insert(std::string(id)).second) {
      selection.warnings.push_back("catalog: stream " + std::string(id) +
                                   " is listed twice; the first entry is used");
      continue;
    }
    const EntryMetadata md = ReadMetadata(entry);
    if (md.any) {
      // Legacy catalogs mark selection on the entry itself or inside its schema.
      std::optional<bool> legacy = BoolOf(entry, "selected");
      simdjson::dom::element schema;
      if (!legacy && entry["schema"].get(schema) == simdjson::SUCCESS) {
        legacy = BoolOf(schema, "selected");
      }
      if (!NodeSelected(md.stream, legacy, false)) {
        continue;
      }
    }

    std::string_view method = md.stream ? StringOf(*md.stream, "replication-method") : "";
    if (method.empty()) {
      method = StringOf(entry, "replication_method");
    }
    bool resume = true;
    if (IsIncremental(*spec) && method == "FULL_TABLE") {
      resume = false;  // re-read from the start date, ignoring the bookmark
    } else if (!method.empty() && method != "FULL_TABLE" && method != "INCREMENTAL") {
      selection.warnings.push_back("catalog: " + std::string(id) + " cannot be read with " +
                                   std::string(method) + "; using " +
                                   (IsIncremental(*spec) ? "INCREMENTAL" : "FULL_TABLE"));
    } else if (!IsIncremental(*spec) && method == "INCREMENTAL") {
      selection.warnings.push_back("catalog: " + std::string(id) +
                                   " can only be read in full; using FULL_TABLE");
    }

    FieldSet excluded;
    if (md.any) {
      const FieldSet automatic = AutomaticFields(*spec);
      SEGSYNC_ASSIGN_OR_RETURN(simdjson::dom::object properties,
                               SchemaProperties(schema_parser, spec->name));
      for (auto [name, property] : properties) {
        auto it = md.fields.find(name);
        if (automatic.count(name) != 0 || it == md.fields.end()) {
          continue;
        }
        if (!NodeSelected(it->second, std::nullopt, /*inherited=*/true)) {
          excluded.emplace(name);
        }
      }
    }
    SEGSYNC_ASSIGN_OR_RETURN(SingerStream stream,
                             MakeSingerStream(*spec, std::move(excluded), resume));
    selection.streams.push_back(std::move(stream));
  }
  return selection;
}

Result<std::vector<SingerStream>> SingerStreamsNamed(const std::vector<std::string>& names) {
  std::vector<SingerStream> streams;
  for (const auto& name : names) {
    const StreamSpec* spec = FindStream(name);
    if (spec == nullptr) {
      return Status::Config("unknown stream '" + name + "'");
    }
    SEGSYNC_ASSIGN_OR_RETURN(SingerStream stream, MakeSingerStream(*spec, {}, true));
    streams.push_back(std::move(stream));
  }
  return streams;
}

}  // namespace segsync
