// SPDX-License-Identifier: Apache-2.0
// Pagination, query strings, the error envelope and the status-to-action table.
#include "api/pagination.h"

#include <gtest/gtest.h>

#include "api/errors.h"
#include "status_matchers.h"

namespace segsync {
namespace {

Result<std::optional<std::string>> NextOf(const std::string& json) {
  static simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json).value();
  return NextCursor(doc["data"].value());
}

TEST(Pagination, UsesTheDocumentedDottedFormAndEncodesTheCursor) {
  QueryParams q = {{"period", "2024-01-01"}};
  AddPagination(q, 1000, "MTAwMA==");
  EXPECT_EQ(BuildQueryString(q),
            "period=2024-01-01&pagination.count=1000&pagination.cursor=MTAwMA%3D%3D");
}

TEST(Pagination, TheFirstPageSendsNoCursor) {
  QueryParams q;
  AddPagination(q, 1000, "");
  EXPECT_EQ(BuildQueryString(q), "pagination.count=1000");
}

TEST(Pagination, LastPageWhenNextIsAbsentNullOrEmptyOrPaginationMissing) {
  for (const char* json :
       {R"({"data":{"pagination":{"current":"MA=="}}})",
        R"({"data":{"pagination":{"current":"MA==","next":null}}})",
        R"({"data":{"pagination":{"current":"MA==","next":""}}})", R"({"data":{"events":[]}})"}) {
    auto next = NextOf(json);
    ASSERT_OK(next) << json;
    EXPECT_FALSE(next->has_value()) << json;
  }
}

TEST(Pagination, NextCursorIsReturnedVerbatim) {
  ASSERT_OK_AND_ASSIGN(
      auto next, NextOf(R"({"data":{"pagination":{"current":"MA==","next":"eyJhIjoxfQ=="}}})"));
  EXPECT_EQ(next.value(), "eyJhIjoxfQ==");
}

TEST(Pagination, ANonStringNextIsAParseError) {
  EXPECT_FALSE(NextOf(R"({"data":{"pagination":{"next":5}}})").ok());
}

TEST(ErrorEnvelope, ReadsTypeMessageAndMsBeforeNext) {
  ApiError e = ParseErrorEnvelope(
      R"({"errors":[{"type":"RequestError","message":"Too many requests","data":{"remainingPoints":0,"msBeforeNext":57647,"consumedPoints":21}}]})");
  EXPECT_EQ(e.type, "RequestError");
  EXPECT_EQ(e.message, "Too many requests");
  ASSERT_TRUE(e.ms_before_next.has_value());
  EXPECT_EQ(*e.ms_before_next, 57647);
  EXPECT_EQ(ParseErrorEnvelope("<html>").type, "");
}

TEST(StatusActionTable, MapsEveryDocumentedStatus) {
  EXPECT_EQ(ActionForHttpStatus(200), ResponseAction::kSuccess);
  EXPECT_EQ(ActionForHttpStatus(401), ResponseAction::kAuthFailed);
  EXPECT_EQ(ActionForHttpStatus(403), ResponseAction::kNotEntitled);
  EXPECT_EQ(ActionForHttpStatus(404), ResponseAction::kNotFound);
  EXPECT_EQ(ActionForHttpStatus(422), ResponseAction::kFail);
  EXPECT_EQ(ActionForHttpStatus(429), ResponseAction::kRateLimited);
  EXPECT_EQ(ActionForHttpStatus(500), ResponseAction::kRetry);
  EXPECT_EQ(ActionForHttpStatus(503), ResponseAction::kRetry);
}

}  // namespace
}  // namespace segsync
