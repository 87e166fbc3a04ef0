// SPDX-License-Identifier: Apache-2.0
// The configuration's settings table as the JSON Schema that Singer and Airbyte publish.
#include "protocol/settings_schema.h"

#include "core/config.h"
#include "core/json_writer.h"
#include "streams/stream_spec.h"

namespace segsync {

std::string ConfigSettingsSchema(SettingsDialect dialect) {
  const bool airbyte = dialect == SettingsDialect::kAirbyte;
  JsonWriter w;
  w.BeginObject();
  w.Key("$schema").String("http://json-schema.org/draft-07/schema#");
  w.Key("title").String("segsync (Segment Public API)");
  w.Key("type").String("object");
  w.Key("required").BeginArray();
  for (const Setting& setting : AllSettings()) {
    if (setting.required) {
      w.String(setting.key);
    }
  }
  w.EndArray();
  w.Key("additionalProperties").Bool(true);
  w.Key("properties").BeginObject();
  int order = 0;
  for (const Setting& setting : AllSettings()) {
    // Airbyte selects streams in its configured catalog; Singer runs without a catalog too.
    if (!setting.in_schema || (airbyte && setting.singer_only)) {
      continue;
    }
    const bool integer = setting.type == SettingType::kInteger;
    w.Key(setting.key).BeginObject();
    w.Key("type").String(integer                                    ? "integer"
                         : setting.type == SettingType::kStringList ? "array"
                                                                    : "string");
    w.Key("title").String(setting.title);
    w.Key("description").String(DescribeSetting(setting, AllStreams().size()));
    if (airbyte) {
      w.Key("order").Int(order++);
    }
    if (setting.secret) {
      if (airbyte) {
        w.Key("airbyte_secret").Bool(true);
      } else {
        w.Key("secret").Bool(true).Key("writeOnly").Bool(true);
      }
    }
    if (setting.type == SettingType::kStringList) {
      w.Key("items").BeginObject().Key("type").String("string").Key("enum").BeginArray();
      for (const auto& spec : AllStreams()) {
        w.String(spec.name);
      }
      w.EndArray().EndObject();
    }
    if (!setting.choices.empty()) {
      w.Key("enum").BeginArray();
      for (const auto& choice : setting.choices) {
        w.String(choice);
      }
      w.EndArray();
    }
    if (!setting.pattern.empty()) {
      w.Key("pattern").String(setting.pattern);
    }
    if (!setting.examples.empty()) {
      w.Key("examples").BeginArray();
      for (auto example : setting.examples) {
        w.String(example);
      }
      w.EndArray();
    }
    if (integer) {
      w.Key("minimum").Int(setting.minimum).Key("maximum").Int(setting.maximum);
      w.Key("default").Int(DefaultInt(setting.id));
    } else if (!setting.default_value.empty()) {
      w.Key("default").String(setting.default_value);
    }
    w.EndObject();
  }
  w.EndObject().EndObject();
  return w.Take();
}

}  // namespace segsync
