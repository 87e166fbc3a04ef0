// SPDX-License-Identifier: Apache-2.0
// `segsync demo`: the built-in simulator synced into a SQLite file the demo owns.
#pragma once

#include <cstdint>
#include <string>

namespace segsync {

/// SQLite's application_id of a database written by `segsync demo` ("segd"): `demo --db FILE`
/// replaces FILE only when it carries this stamp, so it never overwrites a file it did not create.
inline constexpr uint32_t kDemoApplicationId = 0x73656764;

/// Run the demo into `db_path`; returns the exit code.
int RunDemo(const std::string& db_path, bool quiet);

}  // namespace segsync
