// SPDX-License-Identifier: Apache-2.0
// Inputs the fuzzers found harmful, each a test of what it broke.
//
// Inputs the fuzzers of tests/fuzz found harmful, each kept as a test of the behaviour it broke.
// The raw inputs also stay in tests/fuzz/corpus, which every build replays (ctest label `fuzz`).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

#include "api/errors.h"
#include "api/segment_client.h"
#include "core/clock.h"
#include "core/record.h"
#include "fakes.h"
#include "http/pacing.h"
#include "status_matchers.h"
#include "streams/stream_spec.h"
#include "sync/engine.h"
#include "sync/record_builder.h"

namespace segsync {
namespace {

using testing::FakeClock;
using testing::FakeHttpClient;
using testing::MemoryDestination;

constexpr char kBase[] = "http://api.test";
constexpr UnixMillis kNow = 1'764'331'200'000;  // 2025-11-28T12:00:00Z

TEST(FuzzRegression, AHugeMsBeforeNextIsCappedInsteadOfOverflowingTheConversion) {
  // error_envelope_fuzz: 1e300 converted to int64_t is undefined behaviour (UBSan).
  const ApiError error =
      ParseErrorEnvelope(R"({"errors":[{"type":"RateLimited","data":{"msBeforeNext":1e300}}]})");
  ASSERT_TRUE(error.ms_before_next.has_value());
  EXPECT_GT(*error.ms_before_next, 3'600'000);
  EXPECT_EQ(error.type, "RateLimited");
}

TEST(FuzzRegression, AHugeRetryAfterWaitsTheLongestAllowedWaitInsteadOfOverflowing) {
  // error_envelope_fuzz: Retry-After: 999999909000000000 overflowed `seconds * 1000`.
  FakeHttpClient http;
  FakeClock clock(kNow);
  RateLimitPacer pacer(clock);
  SegmentClient client(http, pacer, clock, ClientOptions{kBase, "tok-secret", "us", {}, 30});
  http.Expect(std::string(kBase) + "/users", 429, "{}", {{"retry-after", "999999909000000000"}});
  http.Expect(std::string(kBase) + "/users", 200, R"({"data":{"users":[]}})");
  simdjson::dom::parser parser;
  RequestStats stats;
  ASSERT_OK(client.GetData("/users", {}, parser, stats));
  EXPECT_EQ(stats.rate_limited, 1);
  EXPECT_GE(clock.slept_ms, 3'600'000);
  EXPECT_LE(clock.slept_ms, 3'600'000 + 1'000);
}

TEST(FuzzRegression, AnRfc5322DateWithAnImpossibleTimeIsRejected) {
  // error_envelope_fuzz: an hour of 131965408 overflowed `h * 3600` (UBSan) in X-RateLimit-Reset.
  EXPECT_FALSE(ParseRfc5322("Tue, 01 Jul 2025 131965408:00:00 GMT").ok());
  EXPECT_FALSE(ParseRfc5322("Tue, 01 Jul 2025 24:00:00 GMT").ok());
  EXPECT_FALSE(ParseRfc5322("Tue, 01 Jul 2025 10:60:00 GMT").ok());
  EXPECT_FALSE(ParseRfc5322("Tue, 01 Jul 2025 10:00:-1 GMT").ok());
  ASSERT_OK_AND_ASSIGN(auto last_second, ParseRfc5322("Tue, 01 Jul 2025 23:59:59 GMT"));
  EXPECT_EQ(FormatRfc5322(last_second), "Tue, 01 Jul 2025 23:59:59 GMT");
}

TEST(FuzzRegression, AnUnsignedCounterBeyondInt64SerialisesToJsonOurParserReadsBack) {
  // api_page_fuzz: 18446744073709551615 becomes the double 2^64, whose shortest form was the
  // integer literal 18446744073709551616, which simdjson (and any 64-bit integer reader) rejects.
  const StreamSpec* spec = FindStream("usage_mtu_per_source_daily");
  ASSERT_NE(spec, nullptr);
  ASSERT_OK_AND_ASSIGN(auto table, TableSpecFor(*spec));
  simdjson::dom::parser parser;
  simdjson::dom::element item;
  ASSERT_EQ(
      parser
          .parse(std::string(
              R"({"sourceId":"s","timestamp":"2024-01-05T00:00:00Z","anonymous":18446744073709551615,"x":-1.5e300})"))
          .get(item),
      simdjson::SUCCESS);
  ASSERT_OK_AND_ASSIGN(auto record, RecordBuilder(table).Build(item));
  const std::string json = RecordToJson(record);
  simdjson::dom::parser again;
  simdjson::dom::element parsed;
  ASSERT_EQ(again.parse(json).get(parsed), simdjson::SUCCESS) << json;
  EXPECT_EQ(parsed["anonymous"].get_double().value(), 18446744073709551616.0);
  EXPECT_EQ(parsed["x"].get_double().value(), -1.5e300);
}

TEST(FuzzRegression, DoublesBelowTheLimitKeepTheirShortestForm) {
  std::string out;
  AppendValueJson(out, Value::Double(0.25));
  out += ' ';
  AppendValueJson(out, Value::Double(123456789012345680.0));
  out += ' ';
  AppendValueJson(out, Value::Double(1e18));
  EXPECT_EQ(out, "0.25 123456789012345680 1e+18");
}

// api_page_fuzz: a page whose `data` lacks the stream's list key makes SyncEngine::FetchPartition
// query a default-constructed simdjson::dom::element, which has no document: a null dereference
// (SIGSEGV) in every build. Disabled until the engine is fixed (reported to its owner).
TEST(FuzzRegression, APageWithoutItsListHasNoRecordsInsteadOfCrashing) {
  FakeHttpClient http;
  FakeClock clock(kNow);
  RateLimitPacer pacer(clock);
  MemoryDestination destination;
  ClientOptions client_options{kBase, "tok-secret", "us", {}, 30};
  client_options.retry.max_retries = 0;
  SegmentClient client(http, pacer, clock, client_options);
  http.Expect(std::string(kBase) + "/users?pagination.count=1000", 200,
              R"({"data":{"pagination":{"current":"MA=="}}})");
  EngineOptions options;
  options.selected = {"users"};
  options.start_date = *ParseStartDate("2025-09-15");
  SyncEngine engine({&client}, destination, clock, options);
  RunReport run = engine.Run();
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_TRUE(destination.tables["users"].empty());
}

}  // namespace
}  // namespace segsync
