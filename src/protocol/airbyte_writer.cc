// SPDX-License-Identifier: Apache-2.0
// The Airbyte source writer: protocol messages on stdout, and the input state read back.
#include "protocol/airbyte_writer.h"

#include <simdjson.h>

#include "core/json_writer.h"
#include "core/log.h"

namespace segsync {
namespace {

std::string_view FailureName(FailureType failure) {
  switch (failure) {
    case FailureType::kSystem:
      return "system_error";
    case FailureType::kConfig:
      return "config_error";
    case FailureType::kTransient:
      return "transient_error";
  }
  return "system_error";
}

std::string_view StatusName(AirbyteStreamStatus status) {
  switch (status) {
    case AirbyteStreamStatus::kStarted:
      return "STARTED";
    case AirbyteStreamStatus::kRunning:
      return "RUNNING";
    case AirbyteStreamStatus::kComplete:
      return "COMPLETE";
    case AirbyteStreamStatus::kIncomplete:
      return "INCOMPLETE";
  }
  return "INCOMPLETE";
}

/// The state the CDK gives a stream that has no cursor, so every stream ends with a STATE.
constexpr std::string_view kNoCursorState = R"({"__ab_no_cursor_state_message":true})";

Status StateInputError(std::string_view what) {
  return Status::Config("the Airbyte state " + std::string(what) +
                        "; expected a list of state messages such as [{\"type\": \"STREAM\", "
                        "\"stream\": {\"stream_descriptor\": {\"name\": \"audit_events\"}, "
                        "\"stream_state\": {...}}}]");
}

/// One AirbyteStreamState: `{"stream_descriptor": {"name": ...}, "stream_state": {...}}`.
Status AddStreamState(simdjson::dom::element entry, AirbyteStreamStates& states) {
  std::string_view name;
  if (entry["stream_descriptor"]["name"].get_string().get(name) != simdjson::SUCCESS) {
    return StateInputError("has a stream state without stream_descriptor.name");
  }
  simdjson::dom::element state;
  if (entry["stream_state"].get(state) != simdjson::SUCCESS || state.is_null()) {
    return Status::Ok();  // reset: start this stream afresh
  }
  if (!state.is_object()) {
    return StateInputError("gives stream " + std::string(name) +
                           " a stream_state that is not "
                           "an object");
  }
  states[std::string(name)] = simdjson::to_string(state);
  return Status::Ok();
}

/// The legacy form: one object whose keys are stream names.
void AddLegacyStates(simdjson::dom::object legacy, AirbyteStreamStates& states) {
  for (auto [name, state] : legacy) {
    if (state.is_object()) {
      states[std::string(name)] = simdjson::to_string(state);
    }
  }
}

}  // namespace

Status AirbyteWriter::Emit(std::string_view json) {
  out_ << json << '\n';
  out_.flush();
  if (!out_) {
    return Status::Io("could not write to standard output (closed by the reader?)");
  }
  return Status::Ok();
}

Status AirbyteWriter::Spec(std::string_view connection_specification) {
  JsonWriter w;
  w.BeginObject().Key("type").String("SPEC").Key("spec").BeginObject();
  w.Key("connectionSpecification").Raw(connection_specification);
  w.Key("documentationUrl").String(SEGSYNC_DOCUMENTATION_URL);
  // No protocol_version: the platform then applies its default, whereas a version outside
  // the range it supports would make it refuse the connector.
  w.Key("supportsIncremental").Bool(true);
  w.EndObject().EndObject();
  return Emit(w.str());
}

Status AirbyteWriter::ConnectionStatus(bool succeeded, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("type").String("CONNECTION_STATUS").Key("connectionStatus").BeginObject();
  w.Key("status").String(succeeded ? "SUCCEEDED" : "FAILED");
  if (!message.empty()) {
    w.Key("message").String(MaskSecrets(message));
  }
  w.EndObject().EndObject();
  return Emit(w.str());
}

Status AirbyteWriter::Catalog(std::string_view catalog) {
  JsonWriter w;
  w.BeginObject().Key("type").String("CATALOG").Key("catalog").Raw(catalog).EndObject();
  return Emit(w.str());
}

Status AirbyteWriter::StreamStatus(std::string_view stream, AirbyteStreamStatus status) {
  JsonWriter w;
  w.BeginObject().Key("type").String("TRACE").Key("trace").BeginObject();
  w.Key("type").String("STREAM_STATUS").Key("emitted_at").Int(clock_.Now());
  w.Key("stream_status").BeginObject();
  w.Key("stream_descriptor").BeginObject().Key("name").String(stream).EndObject();
  w.Key("status").String(StatusName(status));
  w.EndObject().EndObject().EndObject();
  return Emit(w.str());
}

Status AirbyteWriter::Error(std::string_view message, FailureType failure,
                            std::string_view stream) {
  JsonWriter w;
  w.BeginObject().Key("type").String("TRACE").Key("trace").BeginObject();
  w.Key("type").String("ERROR").Key("emitted_at").Int(clock_.Now());
  w.Key("error").BeginObject();
  w.Key("message").String(MaskSecrets(message));
  w.Key("failure_type").String(FailureName(failure));
  if (!stream.empty()) {
    w.Key("stream_descriptor").BeginObject().Key("name").String(stream).EndObject();
  }
  w.EndObject().EndObject().EndObject();
  return Emit(w.str());
}

Status AirbyteWriter::Log(std::string_view level, std::string_view message) {
  JsonWriter w;
  w.BeginObject().Key("type").String("LOG").Key("log").BeginObject();
  w.Key("level").String(level).Key("message").String(MaskSecrets(message));
  w.EndObject().EndObject();
  return Emit(w.str());
}

Status AirbyteWriter::RecordMessage(std::string_view stream, const Record& record) {
  std::string line = R"({"type":"RECORD","record":{"stream":)";
  AppendJsonString(line, stream);
  line.append(R"(,"data":)").append(RecordToJson(record));
  // The real emission time: Airbyte orders snapshots by it, so never the API's timestamp.
  line.append(R"(,"emitted_at":)").append(std::to_string(clock_.Now())).append("}}");
  return Emit(line);
}

Status AirbyteWriter::StateMessage(std::string_view stream, std::string_view stream_state,
                                   int64_t record_count) {
  JsonWriter w;
  w.BeginObject().Key("type").String("STATE").Key("state").BeginObject();
  w.Key("type").String("STREAM").Key("stream").BeginObject();
  w.Key("stream_descriptor").BeginObject().Key("name").String(stream).EndObject();
  w.Key("stream_state").Raw(stream_state);
  w.EndObject();
  // A double in the protocol; written with a decimal point as the CDK does.
  w.Key("sourceStats").BeginObject().Key("recordCount").Raw(std::to_string(record_count) + ".0");
  w.EndObject().EndObject().EndObject();
  return Emit(w.str());
}

Result<AirbyteStreamStates> ParseAirbyteState(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(text.data(), text.size()).get(doc); error != simdjson::SUCCESS) {
    return StateInputError(std::string("is not valid JSON (") + simdjson::error_message(error) +
                           ")");
  }
  AirbyteStreamStates states;
  simdjson::dom::object legacy;
  if (doc.get_object().get(legacy) == simdjson::SUCCESS) {
    AddLegacyStates(legacy, states);
    return states;
  }
  simdjson::dom::array messages;
  if (doc.get_array().get(messages) != simdjson::SUCCESS) {
    return StateInputError("is neither a list nor an object");
  }
  for (simdjson::dom::element message : messages) {
    std::string_view type = "LEGACY";  // the protocol's reading of a message without a type
    if (!message.is_object()) {
      return StateInputError("has an entry that is not an object");
    }
    simdjson::dom::element type_element;
    if (message["type"].get(type_element) == simdjson::SUCCESS) {
      if (type_element.get_string().get(type) != simdjson::SUCCESS) {
        return StateInputError("has a message whose type is not a string");
      }
    }
    if (type == "STREAM") {
      simdjson::dom::element stream;
      if (message["stream"].get(stream) != simdjson::SUCCESS) {
        return StateInputError("has a STREAM message without `stream`");
      }
      SEGSYNC_RETURN_NOT_OK(AddStreamState(stream, states));
    } else if (type == "GLOBAL") {
      simdjson::dom::array stream_states;
      if (message["global"]["stream_states"].get_array().get(stream_states) != simdjson::SUCCESS) {
        return StateInputError("has a GLOBAL message without global.stream_states");
      }
      for (simdjson::dom::element stream : stream_states) {
        SEGSYNC_RETURN_NOT_OK(AddStreamState(stream, states));
      }
    } else if (type == "LEGACY") {
      if (message["data"].get_object().get(legacy) == simdjson::SUCCESS) {
        AddLegacyStates(legacy, states);
      }
    } else {
      return StateInputError("has a message of unknown type '" + std::string(type) + "'");
    }
  }
  return states;
}

AirbyteDestination::AirbyteDestination(AirbyteWriter& writer,
                                       std::vector<AirbyteStreamConfig> streams,
                                       AirbyteStreamStates states)
    : writer_(writer), streams_(std::move(streams)), states_(std::move(states)) {}

Result<std::optional<std::string>> AirbyteDestination::ReadState(std::string_view stream) {
  for (const auto& s : streams_) {
    if (s.name == stream && s.incremental) {
      auto it = states_.find(stream);
      if (it != states_.end()) {
        return std::optional<std::string>(it->second);
      }
    }
  }
  // full_refresh (or no state yet): read from the start date.
  return std::optional<std::string>();
}

Status AirbyteDestination::BeginStream(const TableSpec& table) {
  open_ = nullptr;
  for (const auto& s : streams_) {
    if (s.name == table.name) {
      open_ = &s;
    }
  }
  if (open_ == nullptr) {
    return Status::Internal("the Airbyte writer was not told about stream " + table.name);
  }
  records_since_state_ = 0;
  running_ = false;
  return Status::Ok();
}

Status AirbyteDestination::Write(const std::vector<Record>& records,
                                 std::string_view /*extracted_at*/) {
  if (open_ == nullptr) {
    return Status::Internal("Airbyte writer: Write without BeginStream");
  }
  if (!running_ && !records.empty()) {
    SEGSYNC_RETURN_NOT_OK(writer_.StreamStatus(open_->name, AirbyteStreamStatus::kRunning));
    running_ = true;
  }
  for (const Record& record : records) {
    SEGSYNC_RETURN_NOT_OK(writer_.RecordMessage(open_->name, record));
    ++records_since_state_;
  }
  return Status::Ok();
}

Result<int64_t> AirbyteDestination::CommitStream(const StreamCommit& commit) {
  if (open_ == nullptr) {
    return Status::Internal("Airbyte writer: CommitStream without BeginStream");
  }
  const AirbyteStreamConfig& stream = *open_;
  open_ = nullptr;
  std::string state;
  if (commit.state) {
    state = *commit.state;
  } else if (!stream.has_cursor) {
    state = std::string(kNoCursorState);
  } else {
    // A CDC stream with neither records nor an earlier bookmark: nothing to resume from yet.
    state = "{}";
  }
  SEGSYNC_RETURN_NOT_OK(writer_.StateMessage(stream.name, state, records_since_state_));
  records_since_state_ = 0;
  // Rows that vanished upstream are the destination's business (sync mode `overwrite`).
  return int64_t{0};
}

void AirbyteDestination::AbortStream() { open_ = nullptr; }

Status AirbyteDestination::RecordRun(const RunRecord& /*run*/) {
  // Airbyte has no message for a run summary; the command logs it to stderr instead.
  return Status::Ok();
}

}  // namespace segsync
