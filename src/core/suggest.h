// SPDX-License-Identifier: Apache-2.0
// "Did you mean": the nearest of a list of names to a mistyped one, by edit distance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace segsync {

/// Edit distance between `a` and `b` (insertions, deletions, substitutions and swaps of two
/// neighbours), ignoring ASCII case and treating '-' and '_' alike
/// (a flag written as a config key is one typo, not many).
size_t EditDistance(std::string_view a, std::string_view b);

/// The candidate nearest to `typed`, if it is close enough to be what was meant: at most a third
/// of the longer name's letters differ (at least 1, at most 3 edits), or one is a prefix of the
/// other.
std::optional<std::string> NearestName(std::string_view typed,
                                       const std::vector<std::string>& candidates);

/// "; did you mean 'NAME'?" for the nearest candidate, or "" when none is close.
std::string DidYouMean(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace segsync
