// SPDX-License-Identifier: Apache-2.0
// The Airbyte writer, the Destination built on it, and reading Airbyte state.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/log.h"
#include "fakes.h"
#include "protocol/airbyte_writer.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using testing::FakeClock;

constexpr UnixMillis kNow = 1'709'251'200'000;

std::vector<std::string> Lines(const std::ostringstream& out) {
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TableSpec Table(const std::string& name) {
  TableSpec table;
  table.name = name;
  table.primary_key = {"id"};
  return table;
}

Record Rec(std::string id) {
  Record r;
  r.fields = {{"id", Value::String(std::move(id))}, {"n", Value::Int(3)}};
  return r;
}

std::vector<AirbyteStreamConfig> Streams() {
  return {{"sources", /*has_cursor=*/false, /*incremental=*/false},
          {"audit_events", /*has_cursor=*/true, /*incremental=*/true},
          {"usage_mtu_workspace_daily", /*has_cursor=*/true, /*incremental=*/false}};
}

TEST(AirbyteDestination, RunningPrecedesTheFirstRecordAndRecordsCarryEmissionTime) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  AirbyteDestination dest(writer, Streams(), {});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  ASSERT_OK(dest.Write({Rec("a")}, "2020-01-01T00:00:00.000Z"));
  clock.Advance(5);
  ASSERT_OK(dest.Write({Rec("b")}, "2020-01-01T00:00:00.000Z"));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], R"({"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":)" +
                          std::to_string(kNow) +
                          R"(,"stream_status":{"stream_descriptor":{"name":"sources"},)"
                          R"("status":"RUNNING"}}})");
  EXPECT_EQ(lines[1], R"({"type":"RECORD","record":{"stream":"sources","data":{"id":"a","n":3},)"
                      R"("emitted_at":)" +
                          std::to_string(kNow) + "}}");
  EXPECT_NE(lines[2].find(R"("emitted_at":)" + std::to_string(kNow + 5)), std::string::npos);
}

TEST(AirbyteDestination, EachCommitEmitsOneStreamStateCountingItsRecords) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  AirbyteDestination dest(writer, Streams(), {});
  ASSERT_OK(dest.BeginStream(Table("audit_events")));
  ASSERT_OK(dest.Write({Rec("a"), Rec("b")}, ""));
  StreamCommit commit;
  commit.state = R"({"bookmark":"2024-02-01T00:00:00Z"})";
  ASSERT_OK(dest.CommitStream(commit));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3], R"({"type":"STATE","state":{"type":"STREAM","stream":{)"
                      R"("stream_descriptor":{"name":"audit_events"},)"
                      R"("stream_state":{"bookmark":"2024-02-01T00:00:00Z"}},)"
                      R"("sourceStats":{"recordCount":2.0}}})");
}

TEST(AirbyteDestination, FullRefreshStreamEndsWithTheNoCursorState) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  AirbyteDestination dest(writer, Streams(), {});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  StreamCommit commit;
  commit.mark_deleted_before = "2024-01-01T00:00:00.000Z";
  ASSERT_OK(dest.CommitStream(commit));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 1u);  // an empty stream never reports RUNNING
  EXPECT_NE(lines[0].find(R"("stream_state":{"__ab_no_cursor_state_message":true})"),
            std::string::npos);
  EXPECT_NE(lines[0].find(R"("recordCount":0.0)"), std::string::npos);
}

TEST(AirbyteDestination, OnlyIncrementalStreamsResumeFromTheInputState) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  AirbyteDestination dest(
      writer, Streams(),
      {{"audit_events", R"({"bookmark":"2024-01-01T00:00:00Z"})"},
       {"usage_mtu_workspace_daily", R"({"bookmark":"2024-01-01T00:00:00Z"})"}});
  ASSERT_OK_AND_ASSIGN(auto audit, dest.ReadState("audit_events"));
  EXPECT_EQ(audit.value_or(""), R"({"bookmark":"2024-01-01T00:00:00Z"})");
  // usage_mtu_workspace_daily is configured full_refresh.
  ASSERT_OK_AND_ASSIGN(auto usage, dest.ReadState("usage_mtu_workspace_daily"));
  EXPECT_FALSE(usage.has_value());
}

TEST(AirbyteDestination, AbortedStreamEmitsNoState) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  AirbyteDestination dest(writer, Streams(), {});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  ASSERT_OK(dest.Write({Rec("a")}, ""));
  dest.AbortStream();
  EXPECT_EQ(out.str().find("\"STATE\""), std::string::npos);
}

TEST(AirbyteWriter, ErrorCarriesFailureTypeStreamAndMaskedMessage) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  RegisterSecret("tok-airbyte-writer-secret");
  ASSERT_OK(writer.Error("GET /users failed with tok-airbyte-writer-secret",
                         FailureType::kTransient, "users"));
  ASSERT_OK(writer.Error("bad token", FailureType::kConfig));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find("tok-airbyte-writer-secret"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("failure_type":"transient_error","stream_descriptor":)"
                          R"({"name":"users"})"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[1].find(R"("failure_type":"config_error"})"), std::string::npos) << lines[1];
}

TEST(AirbyteWriter, ConnectionStatusAndSpecHaveTheirPayloadKeys) {
  std::ostringstream out;
  FakeClock clock(kNow);
  AirbyteWriter writer(out, clock);
  ASSERT_OK(writer.ConnectionStatus(false, "token rejected"));
  ASSERT_OK(writer.Spec(R"({"type":"object"})"));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], R"({"type":"CONNECTION_STATUS","connectionStatus":{"status":"FAILED",)"
                      R"("message":"token rejected"}})");
  EXPECT_EQ(
      lines[1].rfind(R"({"type":"SPEC","spec":{"connectionSpecification":{"type":"object"})", 0),
      0u);
}

TEST(ParseAirbyteState, ReadsStreamAndGlobalMessages) {
  const std::string messages =
      R"([{"type":"STREAM","stream":{"stream_descriptor":{"name":"audit_events"},)"
      R"("stream_state":{"bookmark":"2024-01-01T00:00:00Z"}},"sourceStats":{"recordCount":1.0}},)"
      R"({"type":"STREAM","stream":{"stream_descriptor":{"name":"sources"},"stream_state":null}},)"
      R"({"type":"GLOBAL","global":{"shared_state":{},"stream_states":[)"
      R"({"stream_descriptor":{"name":"usage_mtu_workspace_daily"},"stream_state":{"b":1}}]}}])";
  ASSERT_OK_AND_ASSIGN(auto states, ParseAirbyteState(messages));
  EXPECT_EQ(states, (AirbyteStreamStates{{"audit_events", R"({"bookmark":"2024-01-01T00:00:00Z"})"},
                                         {"usage_mtu_workspace_daily", R"({"b":1})"}}));
}

TEST(ParseAirbyteState, AcceptsTheLegacyObjectInBothShapes) {
  ASSERT_OK_AND_ASSIGN(auto bare, ParseAirbyteState(R"({"audit_events":{"bookmark":"x"}})"));
  EXPECT_EQ(bare, (AirbyteStreamStates{{"audit_events", R"({"bookmark":"x"})"}}));
  ASSERT_OK_AND_ASSIGN(auto wrapped,
                       ParseAirbyteState(R"([{"data":{"audit_events":{"bookmark":"y"}}}])"));
  EXPECT_EQ(wrapped, (AirbyteStreamStates{{"audit_events", R"({"bookmark":"y"})"}}));
}

TEST(ParseAirbyteState, MalformedStateIsAConfigError) {
  EXPECT_EQ(ParseAirbyteState("not json").status().code(), StatusCode::kConfig);
  EXPECT_EQ(ParseAirbyteState("[1]").status().code(), StatusCode::kConfig);
  EXPECT_EQ(ParseAirbyteState(R"([{"type":"STREAM"}])").status().code(), StatusCode::kConfig);
  EXPECT_EQ(ParseAirbyteState(R"([{"type":"BOGUS"}])").status().code(), StatusCode::kConfig);
}

}  // namespace
}  // namespace segsync
