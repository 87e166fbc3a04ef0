// SPDX-License-Identifier: Apache-2.0
// The configuration's settings table as the JSON Schema that Singer and Airbyte publish.
#pragma once

#include <string>

namespace segsync {

/// Singer marks the token `secret`/`writeOnly` (Meltano SDK); Airbyte `airbyte_secret`.
enum class SettingsDialect { kSinger, kAirbyte };

/// The configuration file as a draft-07 JSON Schema, one line: the `settings` of Singer
/// `--about`, the `connectionSpecification` of Airbyte `spec`. Built from `AllSettings()`.
std::string ConfigSettingsSchema(SettingsDialect dialect);

}  // namespace segsync
