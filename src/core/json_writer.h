// SPDX-License-Identifier: Apache-2.0
// Compact JSON text: string escaping and a writer that places the commas.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace segsync {

/// Append `s` to `out` as a JSON string literal (quotes included), escaping as RFC 8259 requires.
void AppendJsonString(std::string& out, std::string_view s);

/// Builds compact JSON text with commas placed automatically. No validation of nesting: callers
/// pair Begin/End themselves. Used by the simulator, the protocol writers and the run report.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  /// Object key; the next value call supplies its value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  /// Insert already-serialised JSON text as one value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  bool need_comma_ = false;
};

}  // namespace segsync
