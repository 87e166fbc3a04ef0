// SPDX-License-Identifier: Apache-2.0
// Bookmarks: parsing and writing the state, and keeping the newest cursor of a read.
#include "sync/bookmarks.h"

#include <simdjson.h>

#include "core/json_writer.h"
#include "core/log.h"

namespace segsync {

std::optional<std::string> BookmarkFromState(const std::optional<std::string>& state) {
  if (!state) {
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view bookmark;
  if (parser.parse(*state).get(doc) != simdjson::SUCCESS ||
      doc["bookmark"].get_string().get(bookmark) != simdjson::SUCCESS) {
    LogWarn("ignoring an unreadable state: " + *state);
    return std::nullopt;
  }
  return std::string(bookmark);
}

std::string StateWithBookmark(const std::string& bookmark) {
  JsonWriter w;
  w.BeginObject().Key("bookmark").String(bookmark).EndObject();
  return w.Take();
}

Result<std::optional<std::string>> ReadBookmark(Destination& destination, std::string_view stream) {
  SEGSYNC_ASSIGN_OR_RETURN(std::optional<std::string> state, destination.ReadState(stream));
  return BookmarkFromState(state);
}

Bookmark::Bookmark(const std::optional<std::string>& stored) {
  if (stored) {
    auto parsed = ParseRfc3339(*stored);
    if (parsed.ok()) {
      at_ = *parsed;
      text_ = *stored;
    }
  }
}

void Bookmark::Advance(const Record& record, std::string_view cursor_field) {
  const Value* cursor = record.Find(cursor_field);
  if (cursor != nullptr && cursor->kind == Value::Kind::kString) {
    auto t = ParseRfc3339(cursor->text);
    if (t.ok() && (!at_ || *t > *at_)) {
      at_ = *t;
      text_ = cursor->text;
    }
  }
}

}  // namespace segsync
