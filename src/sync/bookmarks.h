// SPDX-License-Identifier: Apache-2.0
// An incremental stream's bookmark: read from the destination's state, advanced, written back.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/record.h"
#include "core/status.h"
#include "dest/destination.h"

namespace segsync {

/// The bookmark stored in a stream's state, `{"bookmark":"<timestamp>"}`; nullopt when there is
/// no state, or (with a warning) when the state cannot be read.
std::optional<std::string> BookmarkFromState(const std::optional<std::string>& state);
/// The state that stores `bookmark`.
std::string StateWithBookmark(const std::string& bookmark);
/// The bookmark the destination holds for `stream`, if any.
Result<std::optional<std::string>> ReadBookmark(Destination& destination, std::string_view stream);

/// The newest cursor value seen so far: the stored bookmark, then every record's.
class Bookmark {
 public:
  Bookmark() = default;
  /// Starts at a stored bookmark; one that is not a timestamp is ignored.
  explicit Bookmark(const std::optional<std::string>& stored);

  /// Moves to the record's `cursor_field` if it holds a later timestamp.
  void Advance(const Record& record, std::string_view cursor_field);

  const std::optional<UnixMillis>& at() const { return at_; }
  /// As it was read (kept verbatim, so a bookmark round-trips unchanged); empty if none.
  const std::string& text() const { return text_; }

 private:
  std::optional<UnixMillis> at_;
  std::string text_;
};

}  // namespace segsync
