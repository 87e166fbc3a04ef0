// SPDX-License-Identifier: Apache-2.0
// Generated ids, hostile strings, slugs and free-form `settings` for the simulator.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "core/json_writer.h"
#include "sim/random.h"

namespace segsync::sim {

/// Share of names and descriptions that get hostile text.
inline constexpr double kHostileShare = 0.15;

/// Segment's 22-character base58 ids for workspace objects (`qQEHquLrjRDN9j1ByrChyn`).
std::string Base58Id(Rng& rng, size_t length = 22);
/// Letters and digits, as in catalog ids (`UBrsG9RVzw`) and token ids.
std::string AlnumId(Rng& rng, size_t length);
/// Lower-case hex, as in destination catalog ids (`54521fd525e721e32a72ee8e`).
std::string HexId(Rng& rng, size_t length);

/// A string that breaks careless clients: emoji, CJK, RTL, combining marks, quotes,
/// backslashes, control characters, an empty string, a very long one.
std::string_view HostileText(Rng& rng);
/// `plain` most of the time; with probability `hostile_share` a hostile variant of it.
std::string Decorate(Rng& rng, std::string_view plain, double hostile_share);
/// ASCII slug of `name` (`my_source`); falls back to `fallback` when nothing ASCII is left.
std::string Slugify(std::string_view name, std::string_view fallback);

/// Slugs unique within one list; a clash gets a numeric suffix.
class SlugSet {
 public:
  std::string Claim(std::string_view name, std::string_view fallback);

 private:
  std::unordered_set<std::string> used_;
};

/// A free-form `settings` object: nested objects and arrays up to `max_depth` levels, with
/// hostile keys and values, numbers beyond 2^53, nulls and empty containers.
void WriteFreeFormObject(JsonWriter& out, Rng& rng, int max_depth);

}  // namespace segsync::sim
