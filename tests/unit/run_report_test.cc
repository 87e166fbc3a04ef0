// SPDX-License-Identifier: Apache-2.0
// How a person sees a run: the live progress line, the summary, and JSON log lines with fields.
#include "sync/run_report.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/log.h"

namespace segsync {
namespace {

StreamReport Stream(std::string name, StreamOutcome outcome, int64_t rows) {
  StreamReport s;
  s.name = std::move(name);
  s.outcome = outcome;
  s.rows_written = rows;
  s.requests.requests = 2;
  s.duration_ms = 1500;
  return s;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

TEST(FormatProgress, ShowsDoneOfTotalStreamsElapsedAndAnEstimate) {
  StreamReport s = Stream("sources", StreamOutcome::kOk, 731);
  s.total_entries = 1100;
  s.pages = 1;
  ProgressView view{2, 4, 30'000};
  // Done: (2 + 731/1100) of 4 streams = 0.666; left = 30 s * 0.334 / 0.666 = 15 s.
  EXPECT_EQ(FormatProgress(s, view, 200),
            "sources: 731/1100 rows, 1 pages, 2 requests | 2/4 streams done, 30s, about 15s left");
}

TEST(FormatProgress, PartitionedStreamsCountTheirParents) {
  StreamReport s = Stream("source_connected_destinations", StreamOutcome::kOk, 310);
  s.partitions = 40;
  s.partitions_read = 12;
  s.pages = 12;
  const std::string line = FormatProgress(s, {0, 3, 500}, 200);
  EXPECT_NE(line.find("310 rows, 12 pages, 2 requests, 12/40 sources read"), std::string::npos)
      << line;
  // Half a second in, no estimate yet.
  EXPECT_EQ(line.find("left"), std::string::npos) << line;
  EXPECT_NE(line.find("0/3 streams done, 1s"), std::string::npos) << line;
}

TEST(FormatProgress, UsageStreamsCountMonthsAndTheLineIsCutToTheTerminal) {
  StreamReport s = Stream("usage_mtu_workspace_daily", StreamOutcome::kOk, 31);
  s.partitions = 13;
  s.partitions_read = 2;
  EXPECT_NE(FormatProgress(s, {0, 1, 0}, 200).find("2/13 months read"), std::string::npos);
  const std::string cut = FormatProgress(s, {0, 1, 0}, 40);
  EXPECT_EQ(cut.size(), 40u);
  EXPECT_EQ(cut.substr(37), "...");
}

TEST(FormatReadingAhead, NamesTheStreamsReadMeanwhileAndIsEmptyWithoutThem) {
  StreamReport s = Stream("sources", StreamOutcome::kOk, 1);
  EXPECT_EQ(FormatReadingAhead(s, 100), "");
  s.reading_ahead = {{"destination_subscriptions", 12, 60}, {"usage_mtu_per_source_daily", 3, 13}};
  EXPECT_EQ(FormatReadingAhead(s, 100),
            "reading ahead: destination_subscriptions 12/60, usage_mtu_per_source_daily 3/13");
  EXPECT_EQ(FormatReadingAhead(s, 30), "reading ahead: destination_...");
}

TEST(FormatDuration, SecondsMinutesHours) {
  EXPECT_EQ(FormatDuration(8'400), "8s");
  EXPECT_EQ(FormatDuration(125'000), "2m05s");
  EXPECT_EQ(FormatDuration(3'780'000), "1h03m");
}

TEST(WrapText, FoldsAtSpacesAndIndents) {
  EXPECT_EQ(WrapText("aaa bbb ccc ddd", 8, 2), "aaa bbb\n  ccc\n  ddd");
  EXPECT_EQ(WrapText("short", 80, 4), "short");
}

RunReport ReportWithEveryKind() {
  RunReport run;
  run.started_at = "2026-01-01T00:00:00.000Z";
  run.ended_at = "2026-01-01T00:00:41.200Z";
  run.run_id = 7;
  StreamReport sources = Stream("sources", StreamOutcome::kOk, 24);
  sources.rows_added = 2;
  sources.rows_updated = 3;
  sources.rows_deleted = 1;
  run.streams.push_back(sources);
  StreamReport metrics = Stream("destination_delivery_metrics_summary", StreamOutcome::kFailed, 0);
  metrics.message = std::string(300, 'x');
  run.streams.push_back(metrics);
  StreamReport usage = Stream("usage_mtu_workspace_daily", StreamOutcome::kOk, 40);
  run.streams.push_back(usage);  // no history: its changes are unknown
  for (const char* name : {"audit_events", "transformations"}) {
    StreamReport s = Stream(name, StreamOutcome::kNotEntitled, 0);
    s.message = "this workspace does not have it (Forbidden: only on the Business plan)";
    run.streams.push_back(s);
  }
  StreamReport parent = Stream("destinations", StreamOutcome::kOk, 9);
  parent.selected = false;  // read for its children only: not in the summary
  run.streams.push_back(parent);
  return run;
}

TEST(FormatSummary, FitsOneHundredColumnsAndSaysTheNotEntitledReasonOnce) {
  const std::string summary = FormatSummary(ReportWithEveryKind());
  for (const std::string& line : Lines(summary)) {
    EXPECT_LE(line.size(), kSummaryWidth) << line;
  }
  // The API's text, the same for every such stream, is not repeated per stream.
  EXPECT_EQ(summary.find("Forbidden"), std::string::npos) << summary;
  const auto lines = Lines(summary);
  std::vector<std::string> not_entitled;
  for (const auto& line : lines) {
    if (line.rfind("not_entitled: ", 0) == 0) {
      not_entitled.push_back(line);
    }
  }
  ASSERT_EQ(not_entitled.size(), 1u) << summary;
  EXPECT_NE(summary.find("audit_events needs"), std::string::npos) << summary;
  EXPECT_NE(summary.find("transformations needs"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("destinations "), std::string::npos) << summary;
}

TEST(FormatSummary, RowsWrittenBesideRowsChangedTotalsAndTheRunLine) {
  const auto lines = Lines(FormatSummary(ReportWithEveryKind()));
  ASSERT_GE(lines.size(), 8u);
  EXPECT_EQ(lines[0].substr(0, 6), "stream");
  EXPECT_NE(lines[0].find("rows    changed deleted requests retries time   outcome"),
            std::string::npos)
      << lines[0];
  std::istringstream sources(lines[1]);
  std::string name;
  std::string rows;
  std::string changed;
  std::string deleted;
  sources >> name >> rows >> changed >> deleted;
  EXPECT_EQ(name + " " + rows + " " + changed + " " + deleted, "sources 24 5 1");
  std::istringstream usage(lines[3]);
  usage >> name >> rows >> changed;
  EXPECT_EQ(name + " " + rows + " " + changed, "usage_mtu_workspace_daily 40 -");
  std::istringstream total(lines[6]);
  std::string requests;
  std::string retries;
  std::string time;
  std::string outcome;
  total >> name >> rows >> changed >> deleted >> requests >> retries >> time >> outcome;
  EXPECT_EQ(name, "total");
  EXPECT_EQ(rows, "64");
  EXPECT_EQ(changed, "5");
  EXPECT_EQ(requests, "10");
  EXPECT_EQ(time, "41.2s");  // the run's wall time, not the sum of the streams'
  EXPECT_EQ(outcome, "partial");
  const std::string all = FormatSummary(ReportWithEveryKind());
  EXPECT_NE(all.find("\ndestination_delivery_metrics_summary: failed: xxx"), std::string::npos);
  EXPECT_NE(all.find("\nchanges: 2 added, 3 updated, 1 deleted (rows written: 64;"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("\nrun 7: partial in 41.2s, 5 streams: 1 failed, 2 not_entitled, 2 ok\n"),
            std::string::npos)
      << all;
}

TEST(FormatSummary, WithoutHistoryOrRunIdNeitherIsClaimed) {
  RunReport run;
  run.started_at = "2026-01-01T00:00:00.000Z";
  run.ended_at = "2026-01-01T00:00:01.000Z";
  run.streams.push_back(Stream("users", StreamOutcome::kOk, 3));
  const std::string summary = FormatSummary(run);
  EXPECT_EQ(summary.find("changes:"), std::string::npos) << summary;
  EXPECT_NE(summary.find("\nrun: ok in 1.0s, 1 streams: 1 ok\n"), std::string::npos) << summary;
}

TEST(FormatJsonLogLine, FieldsAreKeysBesideTheMessage) {
  RegisterSecret("secret-token-value-1234");
  const std::string line =
      FormatJsonLogLine("2026-01-01T00:00:00.000Z", LogLevel::kInfo, "sources: ok",
                        {{"stream", std::string("sources")},
                         {"rows", int64_t{24}},
                         {"message", std::string("ignored")},
                         {"reason", std::string("bad secret-token-value-1234")}});
  EXPECT_EQ(line, R"({"time":"2026-01-01T00:00:00.000Z","level":"info","message":"sources: ok",)"
                  R"("stream":"sources","rows":24,"reason":"bad ****"})");
}

}  // namespace
}  // namespace segsync
