// SPDX-License-Identifier: Apache-2.0
// The failure table: what each StatusCode means to a stream, the exit code and the protocols.
#include "sync/outcome.h"

#include <gtest/gtest.h>

namespace segsync {
namespace {

TEST(Outcome, EachCodeHasItsMeaning) {
  EXPECT_EQ(MeaningOf(StatusCode::kOk).outcome, StreamOutcome::kOk);
  EXPECT_EQ(MeaningOf(StatusCode::kOk).check, "ok");
  EXPECT_EQ(MeaningOf(StatusCode::kNotEntitled).outcome, StreamOutcome::kNotEntitled);
  EXPECT_EQ(MeaningOf(StatusCode::kNotEntitled).exit_code, kExitOk);
  EXPECT_EQ(MeaningOf(StatusCode::kNotEntitled).check, "not_entitled");
  EXPECT_EQ(MeaningOf(StatusCode::kInterrupted).outcome, StreamOutcome::kInterrupted);
  EXPECT_EQ(MeaningOf(StatusCode::kInterrupted).exit_code, 130);
  EXPECT_EQ(MeaningOf(StatusCode::kAuth).exit_code, 3);
  EXPECT_EQ(MeaningOf(StatusCode::kAuth).failure_type, FailureType::kConfig);
  EXPECT_EQ(MeaningOf(StatusCode::kConfig).exit_code, 2);
  EXPECT_EQ(MeaningOf(StatusCode::kTransient).failure_type, FailureType::kTransient);
  EXPECT_EQ(MeaningOf(StatusCode::kRateLimited).failure_type, FailureType::kTransient);
  EXPECT_EQ(MeaningOf(StatusCode::kParse).failure_type, FailureType::kSystem);
  for (StatusCode code :
       {StatusCode::kNotFound, StatusCode::kRateLimited, StatusCode::kTransient,
        StatusCode::kInvalid, StatusCode::kParse, StatusCode::kIo, StatusCode::kInternal}) {
    EXPECT_EQ(MeaningOf(code).outcome, StreamOutcome::kFailed) << StatusCodeName(code);
    EXPECT_EQ(MeaningOf(code).exit_code, kExitStreamFailed) << StatusCodeName(code);
    EXPECT_EQ(MeaningOf(code).check, "error") << StatusCodeName(code);
  }
}

TEST(Outcome, AnAirbyteCheckFailsTheConnectionOnlyForAWrongConfiguration) {
  for (StatusCode code : {StatusCode::kAuth, StatusCode::kConfig, StatusCode::kNotEntitled,
                          StatusCode::kNotFound, StatusCode::kInvalid}) {
    EXPECT_TRUE(MeaningOf(code).connection_failed) << StatusCodeName(code);
  }
  for (StatusCode code : {StatusCode::kTransient, StatusCode::kRateLimited, StatusCode::kParse,
                          StatusCode::kIo, StatusCode::kInternal}) {
    EXPECT_FALSE(MeaningOf(code).connection_failed) << StatusCodeName(code);
  }
}

TEST(Outcome, NamesAreTheRunTablesWords) {
  EXPECT_EQ(StreamOutcomeName(StreamOutcome::kNotEntitled), "not_entitled");
  EXPECT_EQ(StreamOutcomeName(StreamOutcome::kNotRun), "not_run");
}

}  // namespace
}  // namespace segsync
