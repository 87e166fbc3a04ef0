// SPDX-License-Identifier: Apache-2.0
#include "core/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

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
  auto config = LoadConfig(Sources());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->api_url, "https://api.segmentapis.com");
  EXPECT_EQ(config->streams.size(), 3u);
  EXPECT_EQ(FormatDate(config->start_date), "2025-11-01");
  EXPECT_EQ(config->destination, "sqlite:segment.db");
  EXPECT_EQ(config->delivery_window_minutes, 24 * 60);
  EXPECT_EQ(config->delivery_granularity, "HOUR");
}

TEST(Config, EuRegionSelectsTheEuHost) {
  auto s = Sources();
  s.flags.region = "eu";
  auto config = LoadConfig(s);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->api_url, "https://eu1.api.segmentapis.com");
}

TEST(Config, ApiUrlOverridesRegion) {
  auto s = Sources();
  s.flags.region = "eu";
  s.flags.api_url = "http://127.0.0.1:9999";
  auto config = LoadConfig(s);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->api_url, "http://127.0.0.1:9999");
}

TEST(Config, AcceptsEveryDocumentedStartDateForm) {
  for (const char* text :
       {"03/15/2024", "2024-03-15", "2024-03-15T00:00:00Z", "2024-03-15T02:00:00+02:00"}) {
    auto s = Sources();
    s.flags.start_date = text;
    auto config = LoadConfig(s);
    ASSERT_TRUE(config.ok()) << text << ": " << config.status().ToString();
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
  auto config = LoadConfig(s);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->api_token, "env-token-123");
  EXPECT_EQ(config->region, "eu");
  EXPECT_EQ(config->streams, std::vector<std::string>{"users"});
  s.flags.api_token = "flag-token";
  s.flags.region = "us";
  config = LoadConfig(s);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->api_token, "flag-token");
  EXPECT_EQ(config->region, "us");
  s.env_token.reset();
  s.flags.api_token.reset();
  config = LoadConfig(s);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->api_token, "file-token");
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
  EXPECT_TRUE(ValidateDeliveryWindow(int64_t{24} * 60, "HOUR").ok());
  EXPECT_TRUE(ValidateDeliveryWindow(int64_t{4} * 60, "MINUTE").ok());
  EXPECT_FALSE(ValidateDeliveryWindow(int64_t{5} * 60, "MINUTE").ok());
  EXPECT_FALSE(ValidateDeliveryWindow(int64_t{8} * 24 * 60, "HOUR").ok());
  EXPECT_FALSE(ValidateDeliveryWindow(90, "HOUR").ok());  // not whole hours
  EXPECT_TRUE(ValidateDeliveryWindow(int64_t{14} * 24 * 60, "DAY").ok());
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

}  // namespace
}  // namespace segsync
