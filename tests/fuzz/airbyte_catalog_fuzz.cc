// SPDX-License-Identifier: Apache-2.0
// Fuzzes ParseConfiguredCatalog with Airbyte configured catalogs.
//
// An Airbyte configured catalog (`read --catalog`), as ParseConfiguredCatalog reads it. Every
// stream it accepts must be a known stream.
#include <cstdint>
#include <cstdlib>

#include "fuzz_util.h"
#include "protocol/airbyte_catalog.h"
#include "streams/stream_spec.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto selection = segsync::ParseConfiguredCatalog(segsync::fuzz::AsText(data, size));
  if (!selection.ok()) {
    return 0;
  }
  for (const segsync::AirbyteStreamConfig& stream : selection->streams) {
    if (segsync::FindStream(stream.name) == nullptr) {
      std::abort();
    }
  }
  return 0;
}
