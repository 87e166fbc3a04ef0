// SPDX-License-Identifier: Apache-2.0
// A record of one stream: its typed field values, and the column types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace segsync {

/// The column types every destination maps (docs/postgres.md, Layout), derived from a stream's
/// JSON Schema.
enum class ColumnType { kString, kInteger, kNumber, kBoolean, kTimestamp, kJson };

std::string_view ColumnTypeName(ColumnType type);

/// One top-level field value of a record. Objects and arrays are kept as compact JSON text.
struct Value {
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kJson };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string text;  // kString: the string itself; kJson: compact JSON text

  static Value Null() { return {}; }
  static Value Bool(bool b) { return {Kind::kBool, b, 0, 0, {}}; }
  static Value Int(int64_t i) { return {Kind::kInt, false, i, 0, {}}; }
  static Value Double(double d) { return {Kind::kDouble, false, 0, d, {}}; }
  static Value String(std::string s) { return {Kind::kString, false, 0, 0, std::move(s)}; }
  static Value Json(std::string s) { return {Kind::kJson, false, 0, 0, std::move(s)}; }
  bool is_null() const { return kind == Kind::kNull; }
  bool operator==(const Value&) const = default;
};

/// A record: its top-level fields in the order the API sent them (injected fields last).
struct Record {
  std::vector<std::pair<std::string, Value>> fields;

  const Value* Find(std::string_view name) const {
    for (const auto& [key, value] : fields) {
      if (key == name) {
        return &value;
      }
    }
    return nullptr;
  }
  /// Replace the field if present, else append it.
  void Set(std::string_view name, Value value) {
    for (auto& [key, existing] : fields) {
      if (key == name) {
        existing = std::move(value);
        return;
      }
    }
    fields.emplace_back(std::string(name), std::move(value));
  }
};

/// Serialise a record as one compact JSON object.
std::string RecordToJson(const Record& record);
/// Append a value as JSON.
void AppendValueJson(std::string& out, const Value& value);

}  // namespace segsync
