// SPDX-License-Identifier: Apache-2.0
// The streams' JSON Schemas, compiled into the binary at build time.
#pragma once

#include <map>
#include <string_view>

namespace segsync {

/// Stream name -> JSON Schema text, generated at build time from src/streams/schemas/*.json.
const std::map<std::string_view, std::string_view>& EmbeddedSchemas();

}  // namespace segsync
