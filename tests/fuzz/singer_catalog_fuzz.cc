// SPDX-License-Identifier: Apache-2.0
// Fuzzes SelectSingerStreams with Singer catalogs.
//
// A Singer catalog (`--catalog`/`--properties`), as SelectSingerStreams applies it. Every stream
// it selects must name a known stream and carry a schema that is JSON.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>

#include "fuzz_util.h"
#include "protocol/singer_catalog.h"
#include "streams/stream_spec.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto selection = segsync::SelectSingerStreams(segsync::fuzz::AsText(data, size));
  if (!selection.ok()) {
    return 0;
  }
  simdjson::dom::parser parser;
  for (const segsync::SingerStream& stream : selection->streams) {
    simdjson::dom::element schema;
    if (segsync::FindStream(stream.name) == nullptr ||
        parser.parse(stream.schema).get(schema) != simdjson::SUCCESS) {
      std::abort();
    }
  }
  return 0;
}
