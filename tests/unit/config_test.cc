// SPDX-License-Identifier: Apache-2.0
// The configuration: the settings table and its resolution from flags, env, file.
#include "core/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <utility>
#include <vector>

#include "status_matchers.h"

namespace segsync {
namespace {

const UnixMillis kNow = DaysFromCivil(2026, 11, 28) * 86'400'000 + 3'600'000;

ConfigSources Sources() {
  ConfigSources s;
  s.valid_streams = {"sources", "users", "audit_events"};
  s.now = kNow;
  s.env_token = "env-token-123";
  return s;
}

std::string WriteTemp(const std::string& text) {
  char name[] = "/tmp/segsync-config-XXXXXX";
  const int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  std::FILE* f = fdopen(fd, "w");
  std::fputs(text.c_str(), f);
  std::fclose(f);
  return name;
}

TEST(Config, DefaultsResolveToUsHostAllStreamsAndStartTwelveMonthsBack) {
  ASSERT_OK_AND_ASSIGN(auto config, LoadConfig(Sources()));
  EXPECT_EQ(config.api_url, "https://api.segmentapis.com");
  EXPECT_EQ(config.streams.size(), 3u);
  EXPECT_EQ(FormatDate(config.start_date), "2025-11-01");
  EXPECT_EQ(config.destination, "sqlite:segment.db");
  EXPECT_EQ(config.delivery_window_minutes, 24 * 60);
  EXPECT_EQ(config.delivery_granularity, "HOUR");
}

TEST(Config, EuRegionSelectsTheEuHost) {
  auto s = Sources();
  s.flags.region = "eu";
  ASSERT_OK_AND_ASSIGN(auto config, LoadConfig(s));
  EXPECT_EQ(config.api_url, "https://eu1.api.segmentapis.com");
}

TEST(Config, ApiUrlOverridesRegion) {
  auto s = Sources();
  s.flags.region = "eu";
  s.flags.api_url = "http://127.0.0.1:9999";
  ASSERT_OK_AND_ASSIGN(auto config, LoadConfig(s));
  EXPECT_EQ(config.api_url, "http://127.0.0.1:9999");
}

TEST(Config, AcceptsEveryDocumentedStartDateForm) {
  for (const char* text :
       {"03/15/2024", "2024-03-15", "2024-03-15T00:00:00Z", "2024-03-15T02:00:00+02:00"}) {
    auto s = Sources();
    s.flags.start_date = text;
    auto config = LoadConfig(s);
    ASSERT_OK(config) << text;
    EXPECT_EQ(FormatRfc3339Millis(config->start_date), "2024-03-15T00:00:00.000Z") << text;
  }
}

TEST(Config, RejectsAnImpossibleDateNamingKeyValueAndForms) {
  auto s = Sources();
  s.flags.start_date = "13/45/2024";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kConfig);
  const std::string& m = config.status().message();
  EXPECT_NE(m.find("start_date"), std::string::npos) << m;
  EXPECT_NE(m.find("13/45/2024"), std::string::npos) << m;
  EXPECT_NE(m.find("MM/DD/YYYY"), std::string::npos) << m;
  EXPECT_NE(m.find("YYYY-MM-DD"), std::string::npos) << m;
}

TEST(Config, RejectsFebruaryThirtieth) {
  auto s = Sources();
  s.flags.start_date = "2024-02-30";
  EXPECT_FALSE(LoadConfig(s).ok());
}

TEST(Config, UnknownStreamListsTheValidNames) {
  auto s = Sources();
  s.flags.streams = "sources,nope";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("nope"), std::string::npos);
  EXPECT_NE(config.status().message().find("audit_events"), std::string::npos);
}

TEST(Config, UnknownRegionNamesTheAcceptedValues) {
  auto s = Sources();
  s.flags.region = "ap";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("us, eu"), std::string::npos);
}

TEST(Config, MissingTokenSaysWhereToPutIt) {
  auto s = Sources();
  s.env_token.reset();
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("SEGMENT_API_TOKEN"), std::string::npos);
}

TEST(Config, FlagBeatsEnvironmentBeatsFile) {
  const std::string path =
      WriteTemp(R"({"api_token":"file-token","region":"eu","streams":["users"]})");
  auto s = Sources();
  s.flags.config_file = path;
  ASSERT_OK_AND_ASSIGN(Config config, LoadConfig(s));
  EXPECT_EQ(config.api_token, "env-token-123");
  EXPECT_EQ(config.region, "eu");
  EXPECT_EQ(config.streams, std::vector<std::string>{"users"});
  s.flags.api_token = "flag-token";
  s.flags.region = "us";
  ASSERT_OK_AND_ASSIGN(config, LoadConfig(s));
  EXPECT_EQ(config.api_token, "flag-token");
  EXPECT_EQ(config.region, "us");
  s.env_token.reset();
  s.flags.api_token.reset();
  ASSERT_OK_AND_ASSIGN(config, LoadConfig(s));
  EXPECT_EQ(config.api_token, "file-token");
  std::remove(path.c_str());
}

TEST(Config, NonJsonConfigFileIsAConfigError) {
  const std::string path = WriteTemp("start_date: 2024-01-01\n");
  auto s = Sources();
  s.flags.config_file = path;
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kConfig);
  EXPECT_NE(config.status().message().find("not valid JSON"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Config, UnreadableConfigFileIsAConfigError) {
  auto s = Sources();
  s.flags.config_file = "/nonexistent/segsync.json";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("/nonexistent/segsync.json"), std::string::npos);
}

TEST(Config, DeliveryWindowFollowsTheApiRules) {
  EXPECT_OK(ValidateDeliveryWindow(int64_t{24} * 60, "HOUR"));
  EXPECT_OK(ValidateDeliveryWindow(int64_t{4} * 60, "MINUTE"));
  EXPECT_FALSE(ValidateDeliveryWindow(int64_t{5} * 60, "MINUTE").ok());
  EXPECT_FALSE(ValidateDeliveryWindow(int64_t{8} * 24 * 60, "HOUR").ok());
  EXPECT_FALSE(ValidateDeliveryWindow(90, "HOUR").ok());  // not whole hours
  EXPECT_OK(ValidateDeliveryWindow(int64_t{14} * 24 * 60, "DAY"));
  EXPECT_FALSE(ValidateDeliveryWindow(int64_t{15} * 24 * 60, "DAY").ok());
  EXPECT_FALSE(ValidateDeliveryWindow(60, "WEEK").ok());
}

TEST(Config, TheTokenNeverAppearsInAnError) {
  const std::string path = WriteTemp(R"({"api_token":"sekret-token-777","start_date":"nope"})");
  auto s = Sources();
  s.env_token.reset();
  s.flags.config_file = path;
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().find("sekret-token-777"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Settings, EachRowSitsAtItsIdAndBindsOneFlagOfItsType) {
  const auto& settings = AllSettings();
  for (size_t i = 0; i < settings.size(); ++i) {
    const Setting& setting = settings[i];
    EXPECT_EQ(static_cast<size_t>(setting.id), i) << setting.key;
    EXPECT_TRUE(setting.flag.starts_with("--")) << setting.key;
    EXPECT_NE(setting.title, "") << setting.key;
    EXPECT_EQ(setting.number != nullptr, setting.type == SettingType::kInteger) << setting.key;
    EXPECT_EQ(setting.text != nullptr, setting.type != SettingType::kInteger) << setting.key;
    if (setting.type == SettingType::kInteger) {
      EXPECT_GE(DefaultInt(setting.id), setting.minimum) << setting.key;
      EXPECT_LE(DefaultInt(setting.id), setting.maximum) << setting.key;
    }
  }
}

TEST(Settings, AnEmptyConfigHasTheTablesDefaultsAndLoadingKeepsThem) {
  const Config empty;
  ASSERT_OK_AND_ASSIGN(const Config loaded, LoadConfig(Sources()));
  for (const Config* config : {&empty, &loaded}) {
    EXPECT_EQ(config->region, SettingOf(SettingId::kRegion).default_value);
    EXPECT_EQ(config->destination, SettingOf(SettingId::kDestination).default_value);
    EXPECT_EQ(config->delivery_granularity,
              SettingOf(SettingId::kDeliveryMetricsGranularity).default_value);
    EXPECT_EQ(config->delivery_window_minutes,
              ParseDurationMinutes(SettingOf(SettingId::kDeliveryMetricsWindow).default_value));
    EXPECT_EQ(config->max_concurrency, DefaultInt(SettingId::kMaxConcurrency));
    EXPECT_EQ(config->max_retries, DefaultInt(SettingId::kMaxRetries));
    EXPECT_EQ(config->request_timeout_s, DefaultInt(SettingId::kRequestTimeout));
  }
}

TEST(Settings, AnIntegerOutsideItsRangeNamesTheRange) {
  for (const auto& [id, value] :
       {std::pair{SettingId::kMaxRetries, -1}, std::pair{SettingId::kMaxConcurrency, 65},
        std::pair{SettingId::kRequestTimeout, 0}}) {
    const Setting& setting = SettingOf(id);
    auto s = Sources();
    s.flags.*(setting.number) = value;
    auto config = LoadConfig(s);
    ASSERT_FALSE(config.ok()) << setting.key;
    EXPECT_EQ(config.status().code(), StatusCode::kConfig);
    const std::string& m = config.status().message();
    EXPECT_NE(m.find(std::string(setting.key)), std::string::npos) << m;
    EXPECT_NE(m.find(" from " + std::to_string(setting.minimum) + " to " +
                     std::to_string(setting.maximum)),
              std::string::npos)
        << m;
  }
}

TEST(Settings, EveryKeyIsReadFromTheConfigFile) {
  const std::string path =
      WriteTemp(R"({"region":"eu","destination":"jsonl:out","delivery_metrics_window":"2d",)"
                R"("delivery_metrics_granularity":"DAY","max_retries":7,"request_timeout_s":"30",)"
                R"("max_concurrency":2,"streams":["users"],"api_url":"http://localhost:1"})");
  auto s = Sources();
  s.flags.config_file = path;
  ASSERT_OK_AND_ASSIGN(auto config, LoadConfig(s));
  EXPECT_EQ(config.region, "eu");
  EXPECT_EQ(config.destination, "jsonl:out");
  EXPECT_EQ(config.delivery_window_minutes, 2 * 24 * 60);
  EXPECT_EQ(config.delivery_granularity, "DAY");
  EXPECT_EQ(config.max_retries, 7);
  EXPECT_EQ(config.request_timeout_s, 30);
  EXPECT_EQ(config.max_concurrency, 2);
  EXPECT_EQ(config.streams, std::vector<std::string>{"users"});
  EXPECT_EQ(config.api_url, "http://localhost:1");
  std::remove(path.c_str());
}

TEST(Settings, TheGranularityDescriptionAndChoicesComeFromTheWindowRules) {
  const Setting& setting = SettingOf(SettingId::kDeliveryMetricsGranularity);
  ASSERT_EQ(setting.choices.size(), DeliveryGranularities().size());
  for (size_t i = 0; i < setting.choices.size(); ++i) {
    const DeliveryGranularity& rule = DeliveryGranularities()[i];
    EXPECT_EQ(setting.choices[i], rule.name);
    EXPECT_NE(setting.description.find(std::string(rule.max_text)), std::string::npos);
    EXPECT_OK(ValidateDeliveryWindow(rule.max_minutes, rule.name)) << rule.name;
    EXPECT_FALSE(ValidateDeliveryWindow(rule.max_minutes + rule.unit_minutes, rule.name).ok());
  }
  EXPECT_NE(DescribeSetting(SettingOf(SettingId::kStreams), 42).find("all 42"), std::string::npos);
}

}  // namespace
}  // namespace segsync
