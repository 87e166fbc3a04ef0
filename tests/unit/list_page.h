// SPDX-License-Identifier: Apache-2.0
// A scripted answer of a paginated list endpoint, for tests that read streams.
#pragma once

#include <string>
#include <string_view>

namespace segsync::testing {

/// `{"data":{"<key>":[<items>],"pagination":{...}}}`, with a `next` cursor when given.
inline std::string Page(std::string_view key, std::string_view items, std::string_view next = {}) {
  std::string pagination = R"({"current":"MA==")";
  if (!next.empty()) {
    pagination += R"(,"next":")" + std::string(next) + "\"";
  }
  pagination += "}";
  return R"({"data":{")" + std::string(key) + R"(":[)" + std::string(items) + R"(],"pagination":)" +
         pagination + "}}";
}

}  // namespace segsync::testing
