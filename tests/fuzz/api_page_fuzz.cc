// SPDX-License-Identifier: Apache-2.0
// Fuzzes one API page through the engine's read path.
//
// One page of the Segment API read the way the engine reads it. The first byte picks the stream,
// so every list key (and every single-object stream) is reached; the rest is the body of a 200
// response. The body goes through SegmentClient (JSON, the `data` envelope), the stream's list
// key, RecordBuilder and NextCursor. Every record built must serialise back to JSON that parses,
// also in the ASCII form the Singer writer emits.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "api/json_faults.h"
#include "api/list_split.h"
#include "api/pagination.h"
#include "api/segment_client.h"
#include "fuzz_util.h"
#include "http/pacing.h"
#include "protocol/singer_writer.h"
#include "streams/stream_spec.h"
#include "sync/record_builder.h"

namespace {

using segsync::RecordBuilder;
using segsync::StreamSpec;

struct StreamUnderTest {
  const StreamSpec* spec;
  RecordBuilder builder;
};

std::vector<StreamUnderTest> MakeStreams() {
  std::vector<StreamUnderTest> out;
  for (const StreamSpec& spec : segsync::AllStreams()) {
    auto table = segsync::TableSpecFor(spec);
    if (!table.ok()) {
      std::abort();
    }
    out.push_back({&spec, RecordBuilder(*table)});
  }
  return out;
}

const std::vector<StreamUnderTest>& Streams() {
  static const std::vector<StreamUnderTest> streams = MakeStreams();
  return streams;
}

/// Whatever we serialise must be JSON again: the destinations and protocol writers rely on it.
void CheckSerialises(const segsync::Record& record) {
  static simdjson::dom::parser parser;
  std::string json = segsync::RecordToJson(record);
  simdjson::dom::element ignored;
  // Valid JSON, with numbers no native type holds kept as the API wrote them (json_faults.h).
  std::string reparsed = json;
  if (segsync::ParseKeepingNumbers(parser, reparsed, ignored) != simdjson::SUCCESS) {
    std::abort();
  }
  std::string ascii = segsync::EscapeNonAscii(json);
  for (char c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::abort();
    }
  }
  if (segsync::ParseKeepingNumbers(parser, ascii, ignored) != simdjson::SUCCESS) {
    std::abort();
  }
}

/// How many keys of `object` are `key` once unescaped (JSON allows duplicates).
int CountKeys(simdjson::dom::object object, std::string_view key) {
  int count = 0;
  for (auto field : object) {
    count += field.key == key ? 1 : 0;
  }
  return count;
}

/// SplitDataList (the scanner big pages go through) must agree with a whole parse of the same
/// body: the same number of items in `data.<key>`, each the same JSON. Bodies that are not JSON,
/// or whose `data` or key is duplicated (the list is then ambiguous), are parsed whole by the
/// client, so only their bounds are checked.
void CheckSplitAgreesWithWholeParse(std::string_view body, std::string_view key) {
  const auto split = segsync::SplitDataList(body, key);
  if (!split) {
    return;
  }
  if (split->open >= split->close || split->close >= body.size() || body[split->open] != '[' ||
      body[split->close] != ']') {
    std::abort();
  }
  for (const auto& [begin, end] : split->items) {
    if (begin <= split->open || end > split->close || begin >= end) {
      std::abort();
    }
  }
  static simdjson::dom::parser whole;
  static simdjson::dom::parser part;
  simdjson::dom::element doc;
  simdjson::dom::object top;
  if (whole.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(top) != simdjson::SUCCESS || CountKeys(top, "data") != 1) {
    return;
  }
  simdjson::dom::object data;
  if (top["data"].get_object().get(data) != simdjson::SUCCESS) {
    std::abort();  // the scanner found a list inside a `data` that is not an object
  }
  if (CountKeys(data, key) != 1) {
    return;
  }
  simdjson::dom::array list;
  if (data[key].get_array().get(list) != simdjson::SUCCESS || list.size() != split->items.size()) {
    std::abort();
  }
  size_t i = 0;
  for (simdjson::dom::element expected : list) {
    const auto [begin, end] = split->items[i++];
    simdjson::dom::element item;
    if (part.parse(body.data() + begin, end - begin).get(item) != simdjson::SUCCESS ||
        simdjson::to_string(item) != simdjson::to_string(expected)) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  Streams();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const StreamUnderTest& stream = Streams()[data[0] % Streams().size()];
  const StreamSpec& spec = *stream.spec;
  CheckSplitAgreesWithWholeParse(segsync::fuzz::AsText(data + 1, size - 1), spec.list_key);

  segsync::HttpResponse response;
  response.status = 200;
  response.body = std::string(segsync::fuzz::AsText(data + 1, size - 1));
  segsync::fuzz::OneResponseClient http(std::move(response));
  segsync::fuzz::InstantClock clock;
  segsync::RateLimitPacer pacer(clock);
  segsync::SegmentClient client(http, pacer, clock, segsync::fuzz::FuzzClientOptions(0));
  simdjson::dom::parser parser;
  segsync::RequestStats stats;
  segsync::QueryParams params;
  if (spec.paginated) {
    segsync::AddPagination(params, segsync::kMaxPageSize, "");
  }
  auto page = client.GetData(spec.path, params, parser, stats);
  if (!page.ok()) {
    return 0;
  }

  // As SyncEngine::FetchPartition: the list may be absent or null; otherwise a list, or one
  // object for a single-object stream. (A default-constructed dom::element has no document:
  // asking it anything dereferences null, so absence is kept apart.)
  simdjson::dom::element items;
  std::vector<simdjson::dom::element> elements;
  const bool listed = (*page)[spec.list_key].get(items) == simdjson::SUCCESS;
  if (listed && spec.single_object) {
    if (items.is_object()) {
      elements.push_back(items);
    }
  } else if (listed && items.is_array()) {
    for (simdjson::dom::element item : items.get_array()) {
      elements.push_back(item);
    }
  }
  for (simdjson::dom::element item : elements) {
    auto record = stream.builder.Build(item);
    if (!record.ok()) {
      break;
    }
    CheckSerialises(*record);
    if (const segsync::Value* cursor = record->Find(spec.cursor_field);
        cursor != nullptr && cursor->kind == segsync::Value::Kind::kString) {
      (void)segsync::ParseRfc3339(cursor->text);
    }
  }
  if (spec.paginated) {
    auto next = segsync::NextCursor(*page);
    if (next.ok() && *next) {
      segsync::QueryParams again;
      segsync::AddPagination(again, segsync::kMaxPageSize, **next);
      (void)segsync::BuildQueryString(again);
    }
  }
  return 0;
}
