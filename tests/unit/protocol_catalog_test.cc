// SPDX-License-Identifier: Apache-2.0
// The Singer and Airbyte catalogs, stream selection and the settings schema.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <string>
#include <vector>

#include "core/config.h"
#include "protocol/airbyte_catalog.h"
#include "protocol/catalog_common.h"
#include "protocol/settings_schema.h"
#include "protocol/singer_catalog.h"
#include "status_matchers.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

std::vector<std::string> Names(const std::vector<SingerStream>& streams) {
  std::vector<std::string> names;
  names.reserve(streams.size());
  for (const auto& s : streams) {
    names.push_back(s.name);
  }
  return names;
}

const SingerStream* Find(const SingerSelection& selection, std::string_view name) {
  for (const auto& s : selection.streams) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

/// Metadata of one Singer catalog entry by breadcrumb ("" for the stream), as compact JSON.
std::map<std::string, std::string> MetadataOf(const std::string& catalog, std::string_view id) {
  std::map<std::string, std::string> out;
  simdjson::dom::parser parser;
  for (auto entry : parser.parse(catalog)["streams"].get_array()) {
    if (entry["tap_stream_id"].get_string().value() != id) {
      continue;
    }
    for (auto md : entry["metadata"].get_array()) {
      std::string crumb;
      for (auto part : md["breadcrumb"].get_array()) {
        crumb += std::string(crumb.empty() ? "" : ".") + std::string(part.get_string().value());
      }
      out[crumb] = simdjson::to_string(md["metadata"]);
    }
  }
  return out;
}

TEST(SingerCatalog, StandardMetadataMarksKeysAndReplicationKeysAutomatic) {
  ASSERT_OK_AND_ASSIGN(auto catalog, SingerCatalogJson());
  EXPECT_EQ(catalog.find('\n'), std::string::npos);
  auto audit = MetadataOf(catalog, "audit_events");
  EXPECT_EQ(audit[""], R"({"inclusion":"available","selected-by-default":false,)"
                       R"("table-key-properties":["id"],"forced-replication-method":)"
                       R"("INCREMENTAL","valid-replication-keys":["timestamp"],)"
                       R"("replication-key":"timestamp"})");
  EXPECT_EQ(audit["properties.id"], R"({"inclusion":"automatic"})");
  EXPECT_EQ(audit["properties.timestamp"], R"({"inclusion":"automatic"})");
  EXPECT_EQ(audit["properties.actor"], R"({"inclusion":"available"})");

  auto warehouses = MetadataOf(catalog, "source_connected_warehouses");
  EXPECT_EQ(warehouses[""], R"({"inclusion":"available","selected-by-default":false,)"
                            R"("table-key-properties":["sourceId","id"],)"
                            R"("forced-replication-method":"FULL_TABLE",)"
                            R"("valid-replication-keys":[]})");
  EXPECT_EQ(warehouses["properties.sourceId"], R"({"inclusion":"automatic"})");
}

TEST(SingerCatalog, DiscoveredCatalogFedBackUnchangedSelectsNothing) {
  ASSERT_OK_AND_ASSIGN(auto catalog, SingerCatalogJson());
  ASSERT_OK_AND_ASSIGN(auto selection, SelectSingerStreams(catalog));
  EXPECT_TRUE(selection.streams.empty());
  EXPECT_TRUE(selection.warnings.empty());
}

TEST(SingerSelection, FollowsTheSdkRulesForStreams) {
  ASSERT_OK_AND_ASSIGN(auto selection, SelectSingerStreams(R"({"streams":[
    {"tap_stream_id":"sources","metadata":[{"breadcrumb":[],"metadata":{"selected":true}}]},
    {"tap_stream_id":"users","metadata":[{"breadcrumb":[],"metadata":{"selected":"true"}}]},
    {"tap_stream_id":"groups","metadata":[{"breadcrumb":[],
        "metadata":{"selected-by-default":true}}]},
    {"tap_stream_id":"warehouses","metadata":[{"breadcrumb":[],
        "metadata":{"inclusion":"automatic","selected":false}}]},
    {"tap_stream_id":"transformations","metadata":[{"breadcrumb":[],
        "metadata":{"inclusion":"unsupported","selected":true}}]},
    {"tap_stream_id":"catalog_sources","metadata":[{"breadcrumb":[],
        "metadata":{"selected":false,"selected-by-default":true}}]},
    {"tap_stream_id":"catalog_warehouses","selected":true,
        "metadata":[{"breadcrumb":[],"metadata":{"inclusion":"available"}}]},
    {"tap_stream_id":"catalog_destinations","schema":{"selected":true},
        "metadata":[{"breadcrumb":[],"metadata":{}}]},
    {"tap_stream_id":"destinations","stream":"destinations","schema":{}},
    {"tap_stream_id":"audit_events","metadata":[{"breadcrumb":[],"metadata":{}}]},
    {"tap_stream_id":"no_such_stream","metadata":[{"breadcrumb":[],"metadata":{"selected":true}}]}
  ],"something_meltano_added":1})"));
  EXPECT_EQ(
      Names(selection.streams),
      (std::vector<std::string>{"sources", "users", "groups", "warehouses", "catalog_warehouses",
                                "catalog_destinations", "destinations"}));
  ASSERT_EQ(selection.warnings.size(), 1u);
  EXPECT_NE(selection.warnings[0].find("no_such_stream"), std::string::npos);
}

TEST(SingerSelection, DeselectedFieldsLeaveSchemaAndRecordButKeysNeverDo) {
  ASSERT_OK_AND_ASSIGN(auto selection,
                       SelectSingerStreams(R"({"streams":[{"tap_stream_id":"sources","metadata":[
    {"breadcrumb":[],"metadata":{"selected":true}},
    {"breadcrumb":["properties","id"],"metadata":{"inclusion":"available","selected":false}},
    {"breadcrumb":["properties","name"],"metadata":{"selected":false}},
    {"breadcrumb":["properties","slug"],"metadata":{"inclusion":"unsupported"}},
    {"breadcrumb":["properties","labels"],"metadata":{"selected":true}},
    {"breadcrumb":["properties","settings"],"metadata":{"selected-by-default":false}},
    {"breadcrumb":["properties","enabled"],"metadata":{"inclusion":"automatic","selected":false}}
  ]}]})"));
  const SingerStream* sources = Find(selection, "sources");
  ASSERT_NE(sources, nullptr);
  EXPECT_EQ(sources->excluded_fields,
            (std::set<std::string, std::less<>>{"name", "settings", "slug"}));
  simdjson::dom::parser parser;
  simdjson::dom::element schema = parser.parse(sources->schema);
  std::vector<std::string> properties;
  for (auto [name, value] : schema["properties"].get_object()) {
    properties.emplace_back(name);
  }
  EXPECT_EQ(properties, (std::vector<std::string>{"id", "metadata", "workspaceId", "enabled",
                                                  "writeKeys", "labels"}));
  std::vector<std::string> required;
  for (auto name : schema["required"].get_array()) {
    required.emplace_back(name.get_string().value());
  }
  EXPECT_EQ(required, (std::vector<std::string>{"id", "metadata", "workspaceId", "enabled",
                                                "writeKeys", "labels"}));
  EXPECT_EQ(sources->key_properties, (std::vector<std::string>{"id"}));
  EXPECT_TRUE(sources->versioned);
}

TEST(SingerSelection, FullTableReplicationOfACdcStreamDropsItsBookmark) {
  ASSERT_OK_AND_ASSIGN(auto selection, SelectSingerStreams(R"({"streams":[
    {"tap_stream_id":"audit_events","metadata":[{"breadcrumb":[],
        "metadata":{"selected":true,"replication-method":"FULL_TABLE"}}]},
    {"tap_stream_id":"usage_mtu_workspace_daily","replication_method":"INCREMENTAL",
        "metadata":[{"breadcrumb":[],"metadata":{"selected":true}}]},
    {"tap_stream_id":"users","metadata":[{"breadcrumb":[],
        "metadata":{"selected":true,"replication-method":"INCREMENTAL"}}]}]})"));
  const SingerStream* audit = Find(selection, "audit_events");
  const SingerStream* usage = Find(selection, "usage_mtu_workspace_daily");
  const SingerStream* users = Find(selection, "users");
  ASSERT_TRUE(audit != nullptr && usage != nullptr && users != nullptr);
  EXPECT_FALSE(audit->resume_from_state);
  EXPECT_FALSE(audit->versioned);
  EXPECT_EQ(audit->replication_key, "timestamp");
  EXPECT_TRUE(usage->resume_from_state);
  EXPECT_TRUE(users->versioned);  // a full-table stream cannot be read incrementally
  ASSERT_EQ(selection.warnings.size(), 1u);
  EXPECT_NE(selection.warnings[0].find("users"), std::string::npos);
}

TEST(SingerSelection, CatalogWithoutStreamsIsAConfigError) {
  EXPECT_EQ(SelectSingerStreams("{}").status().code(), StatusCode::kConfig);
  EXPECT_EQ(SelectSingerStreams("[").status().code(), StatusCode::kConfig);
}

TEST(SingerStreamsNamed, SelectsEveryFieldOfEachNamedStream) {
  ASSERT_OK_AND_ASSIGN(auto streams, SingerStreamsNamed({"users", "audit_events"}));
  EXPECT_EQ(Names(streams), (std::vector<std::string>{"users", "audit_events"}));
  EXPECT_TRUE(streams[0].excluded_fields.empty());
  EXPECT_EQ(streams[1].replication_key, "timestamp");
  EXPECT_EQ(SingerStreamsNamed({"nope"}).status().code(), StatusCode::kConfig);
}

TEST(AirbyteCatalog, DeclaresKeysCursorsAndSyncModesOfEveryStream) {
  ASSERT_OK_AND_ASSIGN(auto catalog, AirbyteCatalogJson());
  simdjson::dom::parser parser;
  size_t count = 0;
  for (auto stream : parser.parse(catalog)["streams"].get_array()) {
    ++count;
    const std::string_view name = stream["name"].get_string().value();
    const StreamSpec* spec = FindStream(name);
    ASSERT_NE(spec, nullptr) << name;
    std::vector<std::string_view> key;
    for (auto path : stream["source_defined_primary_key"].get_array()) {
      ASSERT_EQ(path.get_array().size(), 1u);
      key.push_back(path.get_array().at(0).get_string().value());
    }
    EXPECT_EQ(key, spec->primary_key) << name;
    const std::string modes = simdjson::to_string(stream["supported_sync_modes"]);
    const bool cdc = spec->mode == SyncMode::kIncremental;
    EXPECT_EQ(modes, cdc ? R"(["full_refresh","incremental"])" : R"(["full_refresh"])") << name;
    EXPECT_EQ(stream["source_defined_cursor"].get_bool().value(), cdc) << name;
    if (cdc) {
      EXPECT_EQ(simdjson::to_string(stream["default_cursor_field"]), R"(["timestamp"])");
    } else {
      EXPECT_EQ(stream["default_cursor_field"].error(), simdjson::NO_SUCH_FIELD) << name;
    }
  }
  EXPECT_EQ(count, AllStreams().size());
}

TEST(ConfiguredCatalog, UnknownStreamsAndModesAreProblemsOfTheirStreamOnly) {
  ASSERT_OK_AND_ASSIGN(auto selection, ParseConfiguredCatalog(R"({"streams":[
    {"stream":{"name":"audit_events"},"sync_mode":"incremental","destination_sync_mode":"append"},
    {"stream":{"name":"usage_mtu_workspace_daily"},"sync_mode":"full_refresh"},
    {"stream":{"name":"sources"},"sync_mode":"incremental"},
    {"stream":{"name":"users"}},
    {"stream":{"name":"__AIRBYTE__stream_that_does_not_exist"},"sync_mode":"INVALID"},
    {"stream":{"name":"groups"},"sync_mode":"INVALID"}]})"));
  ASSERT_EQ(selection.streams.size(), 4u);
  EXPECT_EQ(selection.streams[0].name, "audit_events");
  EXPECT_TRUE(selection.streams[0].incremental);
  EXPECT_TRUE(selection.streams[0].has_cursor);
  EXPECT_FALSE(selection.streams[1].incremental);
  EXPECT_TRUE(selection.streams[1].has_cursor);
  EXPECT_EQ(selection.streams[2].name, "sources");
  EXPECT_FALSE(selection.streams[2].incremental);
  EXPECT_FALSE(selection.streams[3].incremental);  // sync_mode defaults to full_refresh
  ASSERT_EQ(selection.problems.size(), 2u);
  EXPECT_EQ(selection.problems[0].stream, "__AIRBYTE__stream_that_does_not_exist");
  EXPECT_EQ(selection.problems[1].stream, "groups");
  ASSERT_EQ(selection.warnings.size(), 1u);
  EXPECT_NE(selection.warnings[0].find("sources"), std::string::npos);
}

TEST(ConfiguredCatalog, DocumentThatIsNotACatalogIsAConfigError) {
  EXPECT_EQ(ParseConfiguredCatalog("{}").status().code(), StatusCode::kConfig);
  EXPECT_EQ(ParseConfiguredCatalog(R"({"streams":[{"sync_mode":"full_refresh"}]})").status().code(),
            StatusCode::kConfig);
}

TEST(SettingsSchema, MarksTheTokenSecretInEachDialect) {
  simdjson::dom::parser parser;
  const std::string airbyte = ConfigSettingsSchema(SettingsDialect::kAirbyte);
  simdjson::dom::element a = parser.parse(airbyte);
  EXPECT_TRUE(a["properties"]["api_token"]["airbyte_secret"].get_bool().value());
  EXPECT_EQ(simdjson::to_string(a["required"]), R"(["api_token"])");
  EXPECT_EQ(a["properties"]["streams"].error(), simdjson::NO_SUCH_FIELD);

  const std::string singer = ConfigSettingsSchema(SettingsDialect::kSinger);
  simdjson::dom::element s = parser.parse(singer);
  EXPECT_TRUE(s["properties"]["api_token"]["secret"].get_bool().value());
  EXPECT_EQ(s["properties"]["api_token"]["airbyte_secret"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(s["properties"]["streams"]["items"]["enum"].get_array().size(), AllStreams().size());
}

TEST(SettingsSchema, ListsEverySettingOfTheTableWithItsDefaultAndRange) {
  simdjson::dom::parser parser;
  const std::string singer = ConfigSettingsSchema(SettingsDialect::kSinger);
  simdjson::dom::element properties = parser.parse(singer)["properties"];
  for (const Setting& setting : AllSettings()) {
    simdjson::dom::element property;
    const bool present = properties[setting.key].get(property) == simdjson::SUCCESS;
    EXPECT_EQ(present, setting.in_schema) << setting.key;
    if (!present) {
      continue;
    }
    EXPECT_EQ(std::string(property["description"].get_string().value()),
              DescribeSetting(setting, AllStreams().size()));
    if (setting.type == SettingType::kInteger) {
      EXPECT_EQ(property["default"].get_int64().value(), DefaultInt(setting.id)) << setting.key;
      EXPECT_EQ(property["minimum"].get_int64().value(), setting.minimum) << setting.key;
      EXPECT_EQ(property["maximum"].get_int64().value(), setting.maximum) << setting.key;
    } else if (!setting.default_value.empty()) {
      EXPECT_EQ(property["default"].get_string().value(), setting.default_value) << setting.key;
    }
  }
  EXPECT_NE(std::string(properties["streams"]["description"].get_string().value())
                .find("all " + std::to_string(AllStreams().size())),
            std::string::npos);
}

}  // namespace
}  // namespace segsync
