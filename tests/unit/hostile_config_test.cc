// SPDX-License-Identifier: Apache-2.0
// Settings a hostile or careless caller gives: empty stream lists, clear text, old dates, huge
// files.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>

#include "api/errors.h"
#include "api/pagination.h"
#include "core/cancel.h"
#include "core/config.h"
#include "core/log.h"
#include "status_matchers.h"
#include "sync/outcome.h"
#include "sync/run_report.h"

namespace segsync {
namespace {

const UnixMillis kNow = DaysFromCivil(2026, 11, 28) * 86'400'000;

ConfigSources Sources() {
  ConfigSources s;
  s.valid_streams = {"sources", "users"};
  s.now = kNow;
  s.env_token = "env-token-hostile-123";
  return s;
}

TEST(HostileConfig, AnEmptyStreamListIsAnError) {
  auto s = Sources();
  s.flags.streams = "";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kConfig);
  EXPECT_NE(config.status().message().find("name at least one stream"), std::string::npos);

  const std::string path = "/tmp/segsync-hostile-streams.json";
  std::ofstream(path) << R"({"streams": []})";
  s = Sources();
  s.flags.config_file = path;
  EXPECT_FALSE(LoadConfig(s).ok());
  std::remove(path.c_str());
}

TEST(HostileConfig, PlainHttpOnlyToLoopbackUnlessAllowed) {
  for (const char* url : {"http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9/x",
                          "https://api.example.com"}) {
    auto s = Sources();
    s.flags.api_url = url;
    EXPECT_OK(LoadConfig(s).status()) << url;
  }
  auto s = Sources();
  s.flags.api_url = "http://proxy.example.com:8080";
  auto refused = LoadConfig(s);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--allow-insecure-http"), std::string::npos);
  s.flags.allow_insecure_http = true;
  EXPECT_OK(LoadConfig(s).status());
}

TEST(HostileConfig, APasswordInApiUrlIsMasked) {
  auto s = Sources();
  s.flags.api_url = "https://user:s3cret-proxy-pw@proxy.example.com";
  ASSERT_OK(LoadConfig(s).status());
  EXPECT_EQ(MaskSecrets("GET https://user:s3cret-proxy-pw@proxy.example.com/sources"),
            "GET https://user:****@proxy.example.com/sources");
}

TEST(HostileConfig, AStartBeforeSegmentExistedIsRefused) {
  auto s = Sources();
  s.flags.start_date = "1900-01-01";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("1,524 requests"), std::string::npos);
  s.flags.start_date = std::string(kEarliestStartDate);
  EXPECT_OK(LoadConfig(s).status());
}

TEST(HostileConfig, AnEndlessConfigFileIsRefused) {
  auto s = Sources();
  s.flags.config_file = "/dev/zero";
  auto config = LoadConfig(s);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("larger than 1 MiB"), std::string::npos);
}

TEST(HostileConfig, TheDestinationTimeoutIsASetting) {
  auto s = Sources();
  ASSERT_OK_AND_ASSIGN(auto config, LoadConfig(s));
  EXPECT_EQ(config.destination_timeout_s, 300);
  s.flags.destination_timeout_s = 0;
  EXPECT_FALSE(LoadConfig(s).ok());
}

TEST(HostileApi, OnlySegmentsEnvelopeIsAnEnvelope) {
  EXPECT_TRUE(ParseErrorEnvelope(R"({"errors":[{"type":"Forbidden"}]})").envelope);
  EXPECT_FALSE(ParseErrorEnvelope("<html>Access denied</html>").envelope);
  EXPECT_FALSE(ParseErrorEnvelope(R"({"message":"denied"})").envelope);
  EXPECT_EQ(BodyExcerpt("<html>\n<b>x</b>"), "<html> <b>x</b>");
}

TEST(HostileApi, PagesFarBeyondTheTotalStopAChain) {
  EXPECT_FALSE(PagesFarExceed(12, 1, 1000));
  EXPECT_TRUE(PagesFarExceed(13, 1, 1000));
  EXPECT_FALSE(PagesFarExceed(30, 10'000, 1000));  // 11 expected, entries may be added meanwhile
  EXPECT_TRUE(PagesFarExceed(33, 10'000, 1000));
}

TEST(HostileExit, SigtermExits143AndSigint130) {
  RunReport report;
  report.fatal = Status(StatusCode::kInterrupted, "stopped");
  RequestCancelBySignal(SIGTERM);
  EXPECT_EQ(report.ExitCode(), kExitTerminated);
  RequestCancelBySignal(SIGINT);
  EXPECT_EQ(report.ExitCode(), kExitInterrupted);
  ResetCancel();
  EXPECT_EQ(CancelSignal(), 0);
}

}  // namespace
}  // namespace segsync
