// SPDX-License-Identifier: Apache-2.0
// Fuzzes the JSONL destination's state file and the bookmark read from it.
//
// The stream state a run resumes from: a crafted `_segsync_state.json` of the JSONL destination,
// read by Destination::ReadState; each state then goes through what the engine does with it
// (the `bookmark` string, parsed as RFC 3339).
#include <simdjson.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/clock.h"
#include "dest/jsonl_destination.h"
#include "fuzz_util.h"

namespace {

namespace fs = std::filesystem;

const fs::path& Directory() {
  static const fs::path directory = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path dir = base / ("segsync-fuzz-state-" + std::to_string(getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  return directory;
}

void RemoveDirectory() {
  std::error_code ignored;
  fs::remove_all(Directory(), ignored);
}

/// As the engine's BookmarkFromState, then ParseRfc3339 on what it finds.
void UseAsBookmark(const std::string& state) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view bookmark;
  if (parser.parse(state).get(doc) != simdjson::SUCCESS) {
    std::abort();  // ReadState hands back what it parsed, minified: it must parse again
  }
  if (doc["bookmark"].get_string().get(bookmark) == simdjson::SUCCESS) {
    (void)segsync::ParseRfc3339(bookmark);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  Directory();
  std::atexit(RemoveDirectory);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(Directory() / "_segsync_state.json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
      std::abort();
    }
  }
  segsync::JsonlDestination destination(Directory());
  for (const char* stream : {"audit_events", "sources"}) {
    auto state = destination.ReadState(stream);
    if (!state.ok()) {
      if (state.status().code() != segsync::StatusCode::kParse) {
        std::abort();
      }
      return 0;
    }
    if (*state) {
      UseAsBookmark(**state);
    }
  }
  return 0;
}
