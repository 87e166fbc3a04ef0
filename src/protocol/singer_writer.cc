// SPDX-License-Identifier: Apache-2.0
// The Singer tap writer: SCHEMA, RECORD, ACTIVATE_VERSION and STATE messages on stdout.
#include "protocol/singer_writer.h"

#include <simdjson.h>

#include <algorithm>

#include "core/json_writer.h"
#include "core/log.h"

namespace segsync {
namespace {

void AppendUnicodeEscape(std::string& out, uint32_t unit) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) {
    out.push_back(kHex[(unit >> shift) & 0xF]);
  }
}

/// Whether a bookmark object carries the table version of an earlier full-table read.
bool HasVersion(std::string_view bookmark) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  int64_t version = 0;
  return parser.parse(bookmark.data(), bookmark.size()).get(doc) == simdjson::SUCCESS &&
         doc["version"].get_int64().get(version) == simdjson::SUCCESS;
}

/// Timestamps leave as RFC 3339 in UTC (`...Z`); the API's own `Z` form is kept as it came.
std::string UtcTimestamp(const std::string& text) {
  if (text.size() >= 20 && text[10] == 'T' && text.back() == 'Z') {
    return text;
  }
  auto parsed = ParseRfc3339(text);
  return parsed.ok() ? FormatRfc3339Millis(*parsed) : text;
}

}  // namespace

Result<SingerBookmarks> ParseSingerState(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc); error != simdjson::SUCCESS) {
    return Status::Config(std::string("the Singer state is not valid JSON (") +
                          simdjson::error_message(error) +
                          "); expected {\"bookmarks\": {\"<stream>\": {...}}}");
  }
  if (!doc.is_object()) {
    return Status::Config("the Singer state must be a JSON object such as {\"bookmarks\": {}}");
  }
  SingerBookmarks bookmarks;
  simdjson::dom::object streams;
  if (doc["bookmarks"].get_object().get(streams) != simdjson::SUCCESS) {
    return bookmarks;
  }
  for (auto [name, bookmark] : streams) {
    if (bookmark.is_object()) {
      bookmarks.emplace(std::string(name), simdjson::to_string(bookmark));
    } else {
      LogWarn("Singer state: ignoring the bookmark of " + std::string(name) +
              ", which is not an object");
    }
  }
  return bookmarks;
}

std::string EscapeNonAscii(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  size_t i = 0;
  while (i < json.size()) {
    const auto lead = static_cast<unsigned char>(json[i]);
    if (lead < 0x80) {
      out.push_back(json[i]);
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07u;
    }
    bool valid = length != 0 && i + length <= json.size();
    for (size_t k = 1; valid && k < length; ++k) {
      const auto next = static_cast<unsigned char>(json[i + k]);
      valid = (next & 0xC0) == 0x80;
      code = (code << 6) | (next & 0x3Fu);
    }
    valid = valid && !(length == 2 && code < 0x80) && !(length == 3 && code < 0x800) &&
            !(length == 4 && (code < 0x10000 || code > 0x10FFFF)) &&
            !(code >= 0xD800 && code <= 0xDFFF);
    if (!valid) {
      AppendUnicodeEscape(out, 0xFFFD);
      ++i;
      continue;
    }
    if (code >= 0x10000) {
      code -= 0x10000;
      AppendUnicodeEscape(out, 0xD800 + (code >> 10));
      AppendUnicodeEscape(out, 0xDC00 + (code & 0x3FF));
    } else {
      AppendUnicodeEscape(out, code);
    }
    i += length;
  }
  return out;
}

Status WriteSingerLine(std::ostream& out, std::string_view json) {
  out << EscapeNonAscii(json) << '\n';
  out.flush();
  if (!out) {
    return Status::Io("could not write to standard output (closed by the reader?)");
  }
  return Status::Ok();
}

SingerDestination::SingerDestination(std::ostream& out, Clock& clock,
                                     std::vector<SingerStream> streams, SingerBookmarks bookmarks)
    : out_(out), clock_(clock), streams_(std::move(streams)), bookmarks_(std::move(bookmarks)) {}

Result<std::optional<std::string>> SingerDestination::ReadState(std::string_view stream) {
  for (const auto& s : streams_) {
    if (s.name == stream && !s.resume_from_state) {
      return std::optional<std::string>();
    }
  }
  auto it = bookmarks_.find(stream);
  if (it == bookmarks_.end()) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(it->second);
}

Status SingerDestination::BeginStream(const TableSpec& table) {
  open_ = nullptr;
  for (const auto& s : streams_) {
    if (s.name == table.name) {
      open_ = &s;
    }
  }
  if (open_ == nullptr) {
    return Status::Internal("the Singer writer was not told about stream " + table.name);
  }
  timestamp_fields_.clear();
  for (const auto& column : table.columns) {
    if (column.type == ColumnType::kTimestamp) {
      timestamp_fields_.insert(column.name);
    }
  }

  JsonWriter w;
  w.BeginObject().Key("type").String("SCHEMA").Key("stream").String(open_->name);
  w.Key("schema").Raw(open_->schema).Key("key_properties").BeginArray();
  for (const auto& key : open_->key_properties) {
    w.String(key);
  }
  w.EndArray();
  if (!open_->replication_key.empty()) {
    w.Key("bookmark_properties").BeginArray().String(open_->replication_key).EndArray();
  }
  w.EndObject();
  SEGSYNC_RETURN_NOT_OK(Emit(w.str()));

  if (open_->versioned) {
    version_ = clock_.Now();
    // First read of this table for the loader (no version in its bookmark): activate the new
    // version at once so the table exists even if the stream is empty (tap-postgres pattern).
    auto it = bookmarks_.find(open_->name);
    if (it == bookmarks_.end() || !HasVersion(it->second)) {
      JsonWriter a;
      a.BeginObject()
          .Key("type")
          .String("ACTIVATE_VERSION")
          .Key("stream")
          .String(open_->name)
          .Key("version")
          .Int(version_)
          .EndObject();
      SEGSYNC_RETURN_NOT_OK(Emit(a.str()));
    }
  }
  return Status::Ok();
}

Status SingerDestination::Write(const std::vector<Record>& records, std::string_view extracted_at) {
  if (open_ == nullptr) {
    return Status::Internal("Singer writer: Write without BeginStream");
  }
  std::string line;
  for (const Record& record : records) {
    line.clear();
    line.append(R"({"type":"RECORD","stream":)");
    AppendJsonString(line, open_->name);
    line.append(R"(,"record":{)");
    bool first = true;
    for (const auto& [name, value] : record.fields) {
      if (open_->excluded_fields.count(name) != 0) {
        continue;
      }
      if (!first) {
        line.push_back(',');
      }
      first = false;
      AppendJsonString(line, name);
      line.push_back(':');
      if (value.kind == Value::Kind::kString && timestamp_fields_.count(name) != 0) {
        AppendJsonString(line, UtcTimestamp(value.text));
      } else {
        AppendValueJson(line, value);
      }
    }
    line.push_back('}');
    if (open_->versioned) {
      line.append(R"(,"version":)").append(std::to_string(version_));
    }
    line.append(R"(,"time_extracted":)");
    AppendJsonString(line, extracted_at);
    line.push_back('}');
    SEGSYNC_RETURN_NOT_OK(Emit(line));
  }
  return Status::Ok();
}

Result<int64_t> SingerDestination::CommitStream(const StreamCommit& commit) {
  if (open_ == nullptr) {
    return Status::Internal("Singer writer: CommitStream without BeginStream");
  }
  const SingerStream& stream = *open_;
  open_ = nullptr;
  if (stream.versioned) {
    // The read was complete: the loader may now retire every row of an older version.
    JsonWriter a;
    a.BeginObject()
        .Key("type")
        .String("ACTIVATE_VERSION")
        .Key("stream")
        .String(stream.name)
        .Key("version")
        .Int(version_)
        .EndObject();
    SEGSYNC_RETURN_NOT_OK(Emit(a.str()));
    JsonWriter b;
    b.BeginObject().Key("version").Int(version_).EndObject();
    bookmarks_[stream.name] = b.Take();
  } else if (commit.state) {
    bookmarks_[stream.name] = *commit.state;
  }
  JsonWriter w;
  w.BeginObject().Key("type").String("STATE").Key("value").Raw(StateJson()).EndObject();
  SEGSYNC_RETURN_NOT_OK(Emit(w.str()));
  // Rows that vanished upstream are retired by the loader on ACTIVATE_VERSION, not counted here.
  return int64_t{0};
}

void SingerDestination::AbortStream() { open_ = nullptr; }

Status SingerDestination::RecordRun(const RunRecord& /*run*/) {
  // Singer has no message for a run summary; the command logs it to stderr instead.
  return Status::Ok();
}

std::string SingerDestination::StateJson() const {
  JsonWriter w;
  w.BeginObject().Key("bookmarks").BeginObject();
  for (const auto& [name, bookmark] : bookmarks_) {
    w.Key(name).Raw(bookmark);
  }
  w.EndObject().EndObject();
  return w.Take();
}

Status SingerDestination::Emit(std::string_view json) { return WriteSingerLine(out_, json); }

}  // namespace segsync
