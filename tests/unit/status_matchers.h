// SPDX-License-Identifier: Apache-2.0
// GoogleTest assertions on Status and Result<T> that print the status when they fail.
#pragma once

#include <gtest/gtest.h>

#include <utility>

#include "core/status.h"

namespace segsync::testing {

inline const Status& StatusOf(const Status& status) { return status; }

template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}

/// A predicate-formatter (GoogleTest's `*_PRED_FORMAT1`): success when `value`, a Status or a
/// Result<T>, is OK; otherwise a failure naming the expression and its status.
template <typename S>
::testing::AssertionResult IsOk(const char* expression, const S& value) {
  const Status& status = StatusOf(value);
  if (status.ok()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << expression << " is not OK: " << status.ToString();
}

}  // namespace segsync::testing

/// Fails the test (ASSERT_OK: and returns) unless `expr`, a Status or a Result<T>, is OK. Both
/// take a streamed message like any GoogleTest assertion: `ASSERT_OK(r) << input;`.
#define ASSERT_OK(expr) ASSERT_PRED_FORMAT1(::segsync::testing::IsOk, expr)
#define EXPECT_OK(expr) EXPECT_PRED_FORMAT1(::segsync::testing::IsOk, expr)

// As in status.h: `tmp` is a generated name and `lhs` may be a declaration (`auto t`), so neither
// can take the parentheses bugprone-macro-parentheses asks for.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define SEGSYNC_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, rexpr)         \
  auto tmp = (rexpr);                                              \
  if (!tmp.ok()) {                                                 \
    FAIL() << #rexpr << " is not OK: " << tmp.status().ToString(); \
  }                                                                \
  lhs = std::move(tmp).MoveValue()
// NOLINTEND(bugprone-macro-parentheses)

/// Declare-or-assign `lhs` from the Result `rexpr`, failing the test (and returning) with its
/// status when it holds none: `ASSERT_OK_AND_ASSIGN(auto t, ParseRfc3339(text));`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  SEGSYNC_ASSERT_OK_AND_ASSIGN_IMPL(SEGSYNC_CONCAT(_segsync_assert_, __LINE__), lhs, rexpr)
