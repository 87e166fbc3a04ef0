// SPDX-License-Identifier: Apache-2.0
// The Singer writer, the Destination built on it, and reading Singer state.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "fakes.h"
#include "protocol/singer_writer.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;

using testing::FakeClock;

constexpr UnixMillis kNow = 1'709'251'200'000;  // 2024-03-01T00:00:00Z
constexpr char kExtracted[] = "2024-03-01T00:00:01.000Z";

std::vector<std::string> Lines(const std::ostringstream& out) {
  std::vector<std::string> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

/// The `type` of every line, in order (the writer puts it first).
std::vector<std::string> Types(const std::vector<std::string>& lines) {
  constexpr std::string_view kPrefix = R"({"type":")";
  std::vector<std::string> types;
  for (const auto& line : lines) {
    EXPECT_EQ(line.rfind(kPrefix, 0), 0u) << line;
    const size_t end = line.find('"', kPrefix.size());
    types.push_back(line.substr(kPrefix.size(), end - kPrefix.size()));
  }
  return types;
}

SingerStream SourcesStream() {
  SingerStream s;
  s.name = "sources";
  s.schema = R"({"type":"object","properties":{"id":{"type":"string"},"name":{"type":"string"}}})";
  s.key_properties = {"id"};
  s.versioned = true;
  return s;
}

SingerStream AuditStream() {
  SingerStream s;
  s.name = "audit_events";
  s.schema = R"({"type":"object","properties":{"id":{"type":"string"}}})";
  s.key_properties = {"id"};
  s.replication_key = "timestamp";
  return s;
}

TableSpec Table(const std::string& name, std::vector<Column> columns = {}) {
  TableSpec table;
  table.name = name;
  table.primary_key = {"id"};
  table.columns = std::move(columns);
  return table;
}

TEST(SingerDestination, FirstFullTableReadSendsSchemaAndActivatesVersionBeforeAndAfterRecords) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {SourcesStream()}, {});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  ASSERT_OK(dest.Write(
      {MakeRecord({{"id", Value::String("a")}}), MakeRecord({{"id", Value::String("b")}})},
      kExtracted));
  ASSERT_OK(dest.CommitStream({}));

  const auto lines = Lines(out);
  EXPECT_EQ(Types(lines), (std::vector<std::string>{"SCHEMA", "ACTIVATE_VERSION", "RECORD",
                                                    "RECORD", "ACTIVATE_VERSION", "STATE"}));
  const std::string version = std::to_string(kNow);
  EXPECT_EQ(lines[0], R"({"type":"SCHEMA","stream":"sources","schema":{"type":"object",)"
                      R"("properties":{"id":{"type":"string"},"name":{"type":"string"}}},)"
                      R"("key_properties":["id"]})");
  EXPECT_EQ(lines[1],
            R"({"type":"ACTIVATE_VERSION","stream":"sources","version":)" + version + "}");
  EXPECT_EQ(lines[2], R"({"type":"RECORD","stream":"sources","record":{"id":"a"},"version":)" +
                          version + R"(,"time_extracted":"2024-03-01T00:00:01.000Z"})");
  EXPECT_EQ(lines[4], lines[1]);
  EXPECT_EQ(lines[5],
            R"({"type":"STATE","value":{"bookmarks":{"sources":{"version":)" + version + "}}}}");
}

TEST(SingerDestination, KnownTableVersionIsActivatedOnlyAfterTheRecords) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {SourcesStream()}, {{"sources", R"({"version":17})"}});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  ASSERT_OK(dest.Write({MakeRecord({{"id", Value::String("a")}})}, kExtracted));
  ASSERT_OK(dest.CommitStream({}));
  EXPECT_EQ(Types(Lines(out)),
            (std::vector<std::string>{"SCHEMA", "RECORD", "ACTIVATE_VERSION", "STATE"}));
}

TEST(SingerDestination, IncrementalStateIsTheEngineBookmarkAndKeepsOtherStreams) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {AuditStream()},
                         {{"audit_events", R"({"bookmark":"2024-01-01T00:00:00Z"})"},
                          {"retired_stream", R"({"x":1})"}});
  ASSERT_OK_AND_ASSIGN(auto state, dest.ReadState("audit_events"));
  EXPECT_EQ(state.value_or(""), R"({"bookmark":"2024-01-01T00:00:00Z"})");

  ASSERT_OK(dest.BeginStream(Table("audit_events")));
  ASSERT_OK(dest.Write({MakeRecord({{"id", Value::String("e1")}})}, kExtracted));
  StreamCommit commit;
  commit.state = R"({"bookmark":"2024-02-01T00:00:00Z"})";
  ASSERT_OK(dest.CommitStream(commit));

  const auto lines = Lines(out);
  EXPECT_EQ(Types(lines), (std::vector<std::string>{"SCHEMA", "RECORD", "STATE"}));
  EXPECT_NE(lines[0].find(R"("bookmark_properties":["timestamp"])"), std::string::npos);
  EXPECT_EQ(lines[1].find("\"version\""), std::string::npos) << lines[1];
  EXPECT_EQ(lines[2], R"({"type":"STATE","value":{"bookmarks":{)"
                      R"("audit_events":{"bookmark":"2024-02-01T00:00:00Z"},)"
                      R"("retired_stream":{"x":1}}}})");
}

TEST(SingerDestination, FullTableChosenForACdcStreamIgnoresItsBookmark) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerStream audit = AuditStream();
  audit.resume_from_state = false;
  SingerDestination dest(out, clock, {audit},
                         {{"audit_events", R"({"bookmark":"2024-01-01T00:00:00Z"})"}});
  ASSERT_OK_AND_ASSIGN(auto state, dest.ReadState("audit_events"));
  EXPECT_FALSE(state.has_value());
}

TEST(SingerDestination, AbortedStreamEmitsNeitherActivateVersionNorState) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {SourcesStream()}, {{"sources", R"({"version":17})"}});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  ASSERT_OK(dest.Write({MakeRecord({{"id", Value::String("a")}})}, kExtracted));
  dest.AbortStream();
  EXPECT_EQ(Types(Lines(out)), (std::vector<std::string>{"SCHEMA", "RECORD"}));
  EXPECT_EQ(dest.StateJson(), R"({"bookmarks":{"sources":{"version":17}}})");
}

TEST(SingerDestination, IntegersStayIntegersAndOutputIsAscii) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {AuditStream()}, {});
  ASSERT_OK(dest.BeginStream(Table("audit_events")));
  ASSERT_OK(dest.Write({MakeRecord({{"id", Value::String("caf\xC3\xA9 \xF0\x9F\x98\x80")},
                                    {"count", Value::Int(1)},
                                    {"ratio", Value::Double(1.5)},
                                    {"nested", Value::Json(R"({"n":2})")}})},
                       kExtracted));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find(R"("id":"caf\u00e9 \ud83d\ude00","count":1,"ratio":1.5,)"
                          R"("nested":{"n":2}})"),
            std::string::npos)
      << lines[1];
  for (char c : lines[1]) {
    EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  }
}

TEST(SingerDestination, TimestampsLeaveAsRfc3339Utc) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {AuditStream()}, {});
  ASSERT_OK(dest.BeginStream(Table("audit_events", {{"id", ColumnType::kString},
                                                    {"timestamp", ColumnType::kTimestamp},
                                                    {"at", ColumnType::kTimestamp}})));
  ASSERT_OK(dest.Write({MakeRecord({{"id", Value::String("2024-03-01T01:00:00+01:00")},
                                    {"timestamp", Value::String("2024-03-01T01:00:00+01:00")},
                                    {"at", Value::String("2024-03-01T00:00:00Z")}})},
                       kExtracted));
  const auto lines = Lines(out);
  ASSERT_EQ(lines.size(), 2u);
  // Only date-time fields are rewritten; the API's own `Z` form is kept as sent.
  EXPECT_NE(lines[1].find(R"({"id":"2024-03-01T01:00:00+01:00",)"
                          R"("timestamp":"2024-03-01T00:00:00.000Z",)"
                          R"("at":"2024-03-01T00:00:00Z"})"),
            std::string::npos)
      << lines[1];
}

TEST(SingerDestination, DeselectedFieldsAreLeftOutOfRecords) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerStream sources = SourcesStream();
  sources.excluded_fields = {"name"};
  SingerDestination dest(out, clock, {sources}, {});
  ASSERT_OK(dest.BeginStream(Table("sources")));
  ASSERT_OK(dest.Write({MakeRecord({{"id", Value::String("a")}, {"name", Value::String("n")}})},
                       kExtracted));
  const auto lines = Lines(out);
  EXPECT_NE(lines.back().find(R"("record":{"id":"a"},)"), std::string::npos) << lines.back();
}

TEST(SingerDestination, StreamOutsideTheCatalogIsAnInternalError) {
  std::ostringstream out;
  FakeClock clock(kNow);
  SingerDestination dest(out, clock, {SourcesStream()}, {});
  EXPECT_EQ(dest.BeginStream(Table("users")).code(), StatusCode::kInternal);
  EXPECT_TRUE(out.str().empty());
}

TEST(ParseSingerState, ReadsBookmarkObjectsAndDropsOthers) {
  ASSERT_OK_AND_ASSIGN(
      auto state,
      ParseSingerState(
          R"({"bookmarks":{"audit_events":{"bookmark":"2024-01-01T00:00:00Z"},"bad":3},)"
          R"("currently_syncing":null})"));
  EXPECT_EQ(state, (SingerBookmarks{{"audit_events", R"({"bookmark":"2024-01-01T00:00:00Z"})"}}));
}

TEST(ParseSingerState, EmptyObjectHasNoBookmarksAndGarbageIsAConfigError) {
  ASSERT_OK_AND_ASSIGN(auto empty, ParseSingerState("{}"));
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(ParseSingerState("{not json").status().code(), StatusCode::kConfig);
  EXPECT_EQ(ParseSingerState("[1]").status().code(), StatusCode::kConfig);
}

TEST(EscapeNonAscii, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(EscapeNonAscii("\"a\xFF"
                           "b\""),
            "\"a\\ufffdb\"");
  EXPECT_EQ(EscapeNonAscii("\"\xC3\""), "\"\\ufffd\"");  // truncated sequence
  EXPECT_EQ(EscapeNonAscii("\"\xE2\x82\xAC\""), "\"\\u20ac\"");
}

}  // namespace
}  // namespace segsync
