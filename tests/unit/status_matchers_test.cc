// SPDX-License-Identifier: Apache-2.0
// The Status assertions of status_matchers.h pass on OK and fail with the status printed.
#include "status_matchers.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <string>

namespace segsync {
namespace {

Status Broken() { return Status::Parse("no closing brace"); }
Result<int> Seven() { return 7; }
Result<int> NoNumber() { return Status::Invalid("not a number"); }

void AssignFromNoNumber() {
  ASSERT_OK_AND_ASSIGN(int n, NoNumber());
  ADD_FAILURE() << "went on after a failed ASSERT_OK_AND_ASSIGN with " << n;
}

TEST(StatusMatchers, PassOnOk) {
  ASSERT_OK(Status::Ok());
  EXPECT_OK(Seven());
  ASSERT_OK_AND_ASSIGN(int n, Seven());
  EXPECT_EQ(n, 7);
  ASSERT_OK_AND_ASSIGN(n, Seven());
  EXPECT_EQ(n, 7);
}

TEST(StatusMatchers, FailWithTheStatus) {
  EXPECT_NONFATAL_FAILURE(EXPECT_OK(Broken()), "Broken() is not OK: parse error: no closing brace");
  EXPECT_FATAL_FAILURE(ASSERT_OK(NoNumber()),
                       "NoNumber() is not OK: rejected request: not a number");
  EXPECT_FATAL_FAILURE(AssignFromNoNumber(),
                       "NoNumber() is not OK: rejected request: not a number");
}

}  // namespace
}  // namespace segsync
