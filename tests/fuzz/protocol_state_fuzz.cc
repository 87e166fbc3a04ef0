// SPDX-License-Identifier: Apache-2.0
// Fuzzes the Singer and Airbyte state readers.
//
// A state file of the protocol modes: the first byte picks the reader, Singer's
// (`singer --state`, ParseSingerState) or Airbyte's (`airbyte read --state`, ParseAirbyteState);
// the rest is the file. Each stream's state that comes out must be JSON again, and is then
// used as the engine uses a bookmark.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "core/clock.h"
#include "fuzz_util.h"
#include "protocol/airbyte_writer.h"
#include "protocol/singer_writer.h"

namespace {

template <typename States>
void CheckStates(const States& states) {
  simdjson::dom::parser parser;
  for (const auto& [stream, state] : states) {
    simdjson::dom::element doc;
    if (parser.parse(state).get(doc) != simdjson::SUCCESS) {
      std::abort();
    }
    std::string_view bookmark;
    if (doc["bookmark"].get_string().get(bookmark) == simdjson::SUCCESS) {
      (void)segsync::ParseRfc3339(bookmark);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view text = segsync::fuzz::AsText(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    auto bookmarks = segsync::ParseSingerState(text);
    if (bookmarks.ok()) {
      CheckStates(*bookmarks);
    }
  } else {
    auto states = segsync::ParseAirbyteState(text);
    if (states.ok()) {
      CheckStates(*states);
    }
  }
  return 0;
}
