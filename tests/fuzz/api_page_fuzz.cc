// SPDX-License-Identifier: Apache-2.0
// One page of the Segment API read the way the engine reads it. The first byte picks the stream,
// so every list key (and every single-object stream) is reached; the rest is the body of a 200
// response. The body goes through SegmentClient (JSON, the `data` envelope), the stream's list
// key, RecordBuilder and NextCursor. Every record built must serialise back to JSON that parses,
// also in the ASCII form the Singer writer emits.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "api/pagination.h"
#include "api/segment_client.h"
#include "dest/singer_destination.h"
#include "fuzz_util.h"
#include "http/pacing.h"
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
  const std::string json = segsync::RecordToJson(record);
  simdjson::dom::element ignored;
  if (parser.parse(json).get(ignored) != simdjson::SUCCESS) {
    std::abort();
  }
  const std::string ascii = segsync::EscapeNonAscii(json);
  for (char c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      std::abort();
    }
  }
  if (parser.parse(ascii).get(ignored) != simdjson::SUCCESS) {
    std::abort();
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

  segsync::HttpResponse response;
  response.status = 200;
  response.body = std::string(segsync::fuzz::AsText(data + 1, size - 1));
  segsync::fuzz::OneResponseClient http(std::move(response));
  segsync::fuzz::InstantClock clock;
  segsync::RateLimitPacer pacer(clock);
  segsync::ClientOptions options;
  options.base_url = "http://127.0.0.1:1";
  options.token = "fuzz-token";
  options.retry.max_retries = 0;
  segsync::SegmentClient client(http, pacer, clock, options);
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
