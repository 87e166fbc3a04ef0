// SPDX-License-Identifier: Apache-2.0
// The "did you mean" helper: edit distance and the nearest close-enough name.
#include "core/suggest.h"

#include <gtest/gtest.h>

namespace segsync {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(EditDistance("sync", "sync"), 0u);
  EXPECT_EQ(EditDistance("sycn", "sync"), 1u);  // two neighbours swapped
  EXPECT_EQ(EditDistance("synk", "sync"), 1u);
  EXPECT_EQ(EditDistance("syn", "sync"), 1u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(EditDistance, IgnoresCaseAndTreatsDashAsUnderscore) {
  EXPECT_EQ(EditDistance("start-date", "start_date"), 0u);
  EXPECT_EQ(EditDistance("START_DATE", "start_date"), 0u);
}

TEST(NearestName, SuggestsOnlyWhatIsClose) {
  const std::vector<std::string> names = {"sources", "users", "groups", "audit_events"};
  EXPECT_EQ(NearestName("usres", names), "users");
  EXPECT_EQ(NearestName("audit", names), "audit_events");  // a prefix
  EXPECT_EQ(NearestName("warehouses", names), std::nullopt);
  EXPECT_EQ(DidYouMean("sourcse", names), "; did you mean 'sources'?");
  EXPECT_EQ(DidYouMean("zzz", names), "");
}

}  // namespace
}  // namespace segsync
