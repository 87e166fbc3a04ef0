// SPDX-License-Identifier: Apache-2.0
// What the Singer and Airbyte catalogs share: a stream's schema on one line, lenient reading.
#include "protocol/catalog_common.h"

#include "core/json_writer.h"

namespace segsync {

using FieldSet = std::set<std::string, std::less<>>;

bool IsIncremental(const StreamSpec& spec) { return spec.mode == SyncMode::kIncremental; }

std::string_view StringOf(simdjson::dom::element parent, std::string_view key) {
  std::string_view text;
  if (!parent.is_object() || parent[key].get_string().get(text) != simdjson::SUCCESS) {
    return {};
  }
  return text;
}

Result<simdjson::dom::array> CatalogEntries(simdjson::dom::parser& parser, std::string_view catalog,
                                            std::string_view what, std::string_view hint) {
  simdjson::dom::element doc;
  if (auto error = parser.parse(catalog.data(), catalog.size()).get(doc);
      error != simdjson::SUCCESS) {
    return Status::Config(std::string(what) + " is not valid JSON (" +
                          simdjson::error_message(error) + ")");
  }
  simdjson::dom::array entries;
  if (doc["streams"].get_array().get(entries) != simdjson::SUCCESS) {
    return Status::Config(std::string(what) + " has no `streams` list" + std::string(hint));
  }
  return entries;
}

Result<std::string> CompactStreamSchema(std::string_view stream, const FieldSet& excluded) {
  const std::string_view schema = StreamSchema(stream);
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (schema.empty() ||
      parser.parse(schema.data(), schema.size()).get_object().get(root) != simdjson::SUCCESS) {
    return Status::Internal("no usable JSON Schema compiled in for stream " + std::string(stream));
  }
  JsonWriter w;
  w.BeginObject();
  for (auto [key, value] : root) {
    w.Key(key);
    if (key == "properties" && value.is_object()) {
      w.BeginObject();
      for (auto [name, property] : value.get_object()) {
        if (excluded.count(name) == 0) {
          w.Key(name).Raw(simdjson::to_string(property));
        }
      }
      w.EndObject();
    } else if (key == "required" && value.is_array()) {
      w.BeginArray();
      for (simdjson::dom::element name : value.get_array()) {
        std::string_view text;
        if (name.get_string().get(text) == simdjson::SUCCESS && excluded.count(text) == 0) {
          w.String(text);
        }
      }
      w.EndArray();
    } else {
      w.Raw(simdjson::to_string(value));
    }
  }
  w.EndObject();
  return w.Take();
}

}  // namespace segsync
