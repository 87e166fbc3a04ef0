// SPDX-License-Identifier: Apache-2.0
// What only the JSONL destination does.
//
// Its line format, the temporary file a stream is written to, its state file, and its buffer. What
// every destination does is in destination_conformance_test.cc.
#include "dest/jsonl_destination.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fakes.h"
#include "status_matchers.h"

namespace segsync {
namespace {

using segsync::testing::MakeRecord;

namespace fs = std::filesystem;

constexpr char kT1[] = "2024-03-01T00:00:00.000Z";
constexpr char kT2[] = "2024-03-02T00:00:00.000Z";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> ReadLines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TableSpec SourcesTable() {
  TableSpec table;
  table.name = "sources";
  table.primary_key = {"id"};
  table.columns = {{"id", ColumnType::kString}, {"name", ColumnType::kString}};
  table.track_deletions = true;
  return table;
}

class JsonlDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "segsync-jsonl-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ / "out";
  }
  void TearDown() override { fs::remove_all(root_); }

  void Sync(JsonlDestination& destination, const std::vector<Record>& records,
            std::string_view extracted_at, const StreamCommit& commit = {}) {
    ASSERT_OK(destination.BeginStream(SourcesTable()));
    ASSERT_OK(destination.Write(records, extracted_at));
    ASSERT_OK_AND_ASSIGN(int64_t committed, destination.CommitStream(commit));
    EXPECT_EQ(committed, 0);
  }

  fs::path root_;
  fs::path dir_;
};

TEST_F(JsonlDestinationTest, EachRecordIsOneParseableLineWithExtractedAt) {
  const std::string name = "h\xC3\xA9llo \xF0\x9F\x98\x80\nline \"two\"\t\\";
  JsonlDestination destination(dir_);
  Sync(destination,
       {MakeRecord({{"id", Value::String("a")},
                    {"name", Value::String(name)},
                    {"count", Value::Int(9007199254740993)},
                    {"enabled", Value::Bool(false)},
                    {"settings", Value::Json(R"({"k":[1,{"n":null}]})")},
                    {"note", Value::Null()}}),
        MakeRecord({{"id", Value::String("b")}})},
       kT1);

  const std::vector<std::string> lines = ReadLines(dir_ / "sources.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element first;
  ASSERT_EQ(parser.parse(lines[0]).get(first), simdjson::SUCCESS) << lines[0];
  std::string_view text;
  ASSERT_EQ(first["name"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, name);
  int64_t count = 0;
  ASSERT_EQ(first["count"].get(count), simdjson::SUCCESS);
  EXPECT_EQ(count, 9007199254740993);
  bool enabled = true;
  ASSERT_EQ(first["enabled"].get(enabled), simdjson::SUCCESS);
  EXPECT_FALSE(enabled);
  EXPECT_EQ(simdjson::minify(first["settings"].value()), R"({"k":[1,{"n":null}]})");
  EXPECT_TRUE(first["note"].is_null());
  ASSERT_EQ(first["_extracted_at"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, kT1);

  simdjson::dom::element second;
  ASSERT_EQ(parser.parse(lines[1]).get(second), simdjson::SUCCESS) << lines[1];
  EXPECT_EQ(simdjson::minify(second), R"({"id":"b","_extracted_at":")" + std::string(kT1) + "\"}");
}

TEST_F(JsonlDestinationTest, AbortRemovesTheTempFileAndKeepsCommittedLines) {
  JsonlDestination destination(dir_);
  StreamCommit commit;
  commit.state = R"({"v":1})";
  Sync(destination, {MakeRecord({{"id", Value::String("a")}})}, kT1, commit);
  const std::string before = ReadFile(dir_ / "sources.jsonl");

  ASSERT_OK(destination.BeginStream(SourcesTable()));
  ASSERT_OK(destination.Write({MakeRecord({{"id", Value::String("b")}})}, kT2));
  EXPECT_TRUE(fs::exists(dir_ / "sources.jsonl.tmp"));
  destination.AbortStream();

  EXPECT_FALSE(fs::exists(dir_ / "sources.jsonl.tmp"));
  EXPECT_EQ(ReadFile(dir_ / "sources.jsonl"), before);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> state, destination.ReadState("sources"));
  EXPECT_EQ(state, std::optional<std::string>(R"({"v":1})"));
}

TEST_F(JsonlDestinationTest, DestroyingTheDestinationMidStreamPublishesNothing) {
  {
    JsonlDestination destination(dir_);
    ASSERT_OK(destination.BeginStream(SourcesTable()));
    ASSERT_OK(destination.Write({MakeRecord({{"id", Value::String("a")}})}, kT1));
  }
  EXPECT_FALSE(fs::exists(dir_ / "sources.jsonl"));
  EXPECT_FALSE(fs::exists(dir_ / "sources.jsonl.tmp"));
}

TEST_F(JsonlDestinationTest, StateIsWrittenAfterTheDataAndKeepsOtherStreams) {
  JsonlDestination destination(dir_);
  StreamCommit commit;
  commit.state = R"({"bookmark": "2024-03-01"})";
  Sync(destination, {MakeRecord({{"id", Value::String("a")}})}, kT1, commit);

  TableSpec users = SourcesTable();
  users.name = "users";
  ASSERT_OK(destination.BeginStream(users));
  ASSERT_OK(destination.Write({MakeRecord({{"id", Value::String("u")}})}, kT1));
  // Nothing of an open stream is visible yet, not its lines and not its state.
  EXPECT_FALSE(fs::exists(dir_ / "users.jsonl"));
  StreamCommit users_commit;
  users_commit.state = R"({"bookmark":"u1"})";
  ASSERT_OK(destination.CommitStream(users_commit));

  EXPECT_EQ(ReadFile(dir_ / "_segsync_state.json"),
            "{\"sources\":{\"bookmark\":\"2024-03-01\"},\"users\":{\"bookmark\":\"u1\"}}\n");
  EXPECT_EQ(ReadLines(dir_ / "users.jsonl").size(), 1u);
  EXPECT_FALSE(fs::exists(dir_ / "_segsync_state.json.tmp"));

  JsonlDestination reopened(dir_);
  ASSERT_OK_AND_ASSIGN(std::optional<std::string> state, reopened.ReadState("sources"));
  EXPECT_EQ(state, std::optional<std::string>(R"({"bookmark":"2024-03-01"})"));
}

TEST_F(JsonlDestinationTest, StateThatIsNotJsonFailsTheCommitAndPublishesNothing) {
  JsonlDestination destination(dir_);
  ASSERT_OK(destination.BeginStream(SourcesTable()));
  ASSERT_OK(destination.Write({MakeRecord({{"id", Value::String("a")}})}, kT1));
  StreamCommit commit;
  commit.state = "{not json";
  EXPECT_FALSE(destination.CommitStream(commit).ok());
  EXPECT_FALSE(fs::exists(dir_ / "sources.jsonl"));
  EXPECT_FALSE(fs::exists(dir_ / "sources.jsonl.tmp"));
  EXPECT_FALSE(fs::exists(dir_ / "_segsync_state.json"));
}

TEST_F(JsonlDestinationTest, CorruptStateFileIsAParseErrorNamingTheFile) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "_segsync_state.json") << "[1,";
  JsonlDestination destination(dir_);
  Result<std::optional<std::string>> state = destination.ReadState("sources");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), StatusCode::kParse);
  EXPECT_NE(state.status().message().find("_segsync_state.json"), std::string::npos);
}

TEST_F(JsonlDestinationTest, RecordRunAppendsOneLinePerRun) {
  JsonlDestination destination(dir_);
  RunRecord run;
  run.started_at = kT1;
  run.ended_at = kT2;
  run.status = "ok";
  run.streams_json = R"({"sources":{"rows":1}})";
  ASSERT_OK(destination.RecordRun(run));
  run.status = "partial";
  ASSERT_OK(destination.RecordRun(run));
  const std::vector<std::string> expected = {
      R"({"started_at":"2024-03-01T00:00:00.000Z","ended_at":"2024-03-02T00:00:00.000Z",)"
      R"("status":"ok","streams":{"sources":{"rows":1}}})",
      R"({"started_at":"2024-03-01T00:00:00.000Z","ended_at":"2024-03-02T00:00:00.000Z",)"
      R"("status":"partial","streams":{"sources":{"rows":1}}})"};
  EXPECT_EQ(ReadLines(dir_ / "_segsync_runs.jsonl"), expected);
}

TEST_F(JsonlDestinationTest, ManyRecordsSurviveTheBufferFlushes) {
  std::vector<Record> records;
  records.reserve(10000);
  const std::string padding(300, 'x');
  for (int i = 0; i < 10000; ++i) {
    records.push_back(
        MakeRecord({{"id", Value::String(std::to_string(i))}, {"name", Value::String(padding)}}));
  }
  JsonlDestination destination(dir_);
  Sync(destination, records, kT1);
  const std::vector<std::string> lines = ReadLines(dir_ / "sources.jsonl");
  ASSERT_EQ(lines.size(), records.size());
  EXPECT_EQ(lines.back(), R"({"id":"9999","name":")" + padding +
                              R"(","_extracted_at":"2024-03-01T00:00:00.000Z"})");
}

TEST(OpenDestinationTest, JsonlUriCreatesTheDirectoryOnlyAtTheFirstWrite) {
  std::string pattern = (fs::temp_directory_path() / "segsync-open-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path root = pattern;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Destination> destination,
                       OpenDestination("jsonl:" + (root / "nested" / "out").string()));
  EXPECT_TRUE(fs::is_empty(root));
  ASSERT_OK(destination->BeginStream(SourcesTable()));
  ASSERT_OK(destination->CommitStream({}));
  EXPECT_TRUE(fs::exists(root / "nested" / "out" / "sources.jsonl"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace segsync
