// SPDX-License-Identifier: Apache-2.0
// Builds a typed Record from one API item, as its stream's schema says.
#include "sync/record_builder.h"

#include <charconv>
#include <cmath>

#include "api/json_faults.h"

namespace segsync {
namespace {

/// "12345" → 12345; anything else (sign, spaces, overflow, empty) → nullopt.
std::optional<int64_t> DigitStringToInt(std::string_view s) {
  if (s.empty() || s.size() > 19) {
    return std::nullopt;
  }
  int64_t value = 0;
  const char* begin = s.data();
  if (s.front() == '-') {
    if (s.size() == 1) {
      return std::nullopt;
    }
  }
  auto res = std::from_chars(begin, s.data() + s.size(), value);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

Value ValueFromJson(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return Value::Null();
    case simdjson::dom::element_type::BOOL:
      return Value::Bool(value.get_bool().value_unsafe());
    case simdjson::dom::element_type::INT64:
      return Value::Int(value.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64:
      return Value::Double(static_cast<double>(value.get_uint64().value_unsafe()));
    case simdjson::dom::element_type::DOUBLE:
      return Value::Double(value.get_double().value_unsafe());
    case simdjson::dom::element_type::STRING: {
      const std::string_view text = value.get_string().value_unsafe();
      // A number no native type holds (src/api/json_faults.h): its digits, exactly, as text.
      return Value::String(std::string(OutsizedNumberIn(text).value_or(text)));
    }
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT: {
      std::string json = simdjson::to_string(value);
      if (json.find(kOutsizedNumberJsonPrefix) != std::string::npos) {
        json = RestoreOutsizedNumbers(std::move(json));  // as the API wrote it
      }
      return Value::Json(std::move(json));
    }
  }
  return Value::Null();
}

RecordBuilder::RecordBuilder(const TableSpec& table) {
  for (const auto& column : table.columns) {
    types_.emplace(column.name, column.type);
  }
}

Result<Record> RecordBuilder::Build(simdjson::dom::element item) const {
  simdjson::dom::object object;
  if (item.get_object().get(object) != simdjson::SUCCESS) {
    return Status::Parse("expected a JSON object for each record, got " +
                         simdjson::to_string(item).substr(0, 80));
  }
  Record record;
  record.fields.reserve(object.size());
  for (auto [key, value] : object) {
    Value v = ValueFromJson(value);
    auto it = types_.find(key);
    if (it != types_.end()) {
      // The API sends big counters as strings of digits; the schema says integer.
      if (it->second == ColumnType::kInteger) {
        if (v.kind == Value::Kind::kString) {
          if (auto i = DigitStringToInt(v.text)) {
            v = Value::Int(*i);
          }
        } else if (v.kind == Value::Kind::kDouble && std::trunc(v.number) == v.number &&
                   std::fabs(v.number) < 9.0e15) {
          v = Value::Int(static_cast<int64_t>(v.number));
        }
      } else if (it->second == ColumnType::kNumber && v.kind == Value::Kind::kString) {
        double d = 0;
        auto res = std::from_chars(v.text.data(), v.text.data() + v.text.size(), d);
        if (res.ec == std::errc() && res.ptr == v.text.data() + v.text.size()) {
          v = Value::Double(d);
        }
      }
    }
    record.fields.emplace_back(std::string(key), std::move(v));
  }
  return record;
}

}  // namespace segsync
