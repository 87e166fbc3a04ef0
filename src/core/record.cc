// SPDX-License-Identifier: Apache-2.0
// Records and values as JSON, and the column types' names.
#include "core/record.h"

#include "core/json_writer.h"

namespace segsync {

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kInteger:
      return "integer";
    case ColumnType::kNumber:
      return "number";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kJson:
      return "json";
  }
  return "string";
}

void AppendValueJson(std::string& out, const Value& value) {
  JsonWriter w;
  switch (value.kind) {
    case Value::Kind::kNull:
      out.append("null");
      return;
    case Value::Kind::kBool:
      out.append(value.boolean ? "true" : "false");
      return;
    case Value::Kind::kInt:
      out.append(std::to_string(value.integer));
      return;
    case Value::Kind::kDouble:
      w.Double(value.number);
      out.append(w.str());
      return;
    case Value::Kind::kString:
      AppendJsonString(out, value.text);
      return;
    case Value::Kind::kJson:
      out.append(value.text);
      return;
  }
}

std::string RecordToJson(const Record& record) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : record.fields) {
    if (!first) {
      out.push_back(',');
    }
    first = false;
    AppendJsonString(out, key);
    out.push_back(':');
    AppendValueJson(out, value);
  }
  out.push_back('}');
  return out;
}

}  // namespace segsync
