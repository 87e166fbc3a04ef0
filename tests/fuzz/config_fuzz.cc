// SPDX-License-Identifier: Apache-2.0
// Fuzzes LoadConfig with configuration files.
//
// A configuration file (`--config`), read by LoadConfig through its path. The token comes from
// the command line so that the registry of secrets stays at one entry however many inputs run.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/config.h"
#include "fuzz_util.h"
#include "streams/stream_spec.h"

namespace {

std::vector<std::string> StreamNames() {
  std::vector<std::string> names;
  for (const auto& spec : segsync::AllStreams()) {
    names.emplace_back(spec.name);
  }
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  segsync::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const segsync::fuzz::MemoryFile file;
  static const std::vector<std::string> names = StreamNames();
  if (!file.Write(segsync::fuzz::AsText(data, size))) {
    std::abort();
  }
  segsync::ConfigSources sources;
  sources.flags.config_file = file.Path();
  sources.flags.api_token = "fuzz-token-0123456789";
  sources.valid_streams = names;
  sources.now = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
  auto config = segsync::LoadConfig(sources);
  if (config.ok()) {
    // What LoadConfig promises of a configuration it accepts.
    if (config->streams.empty() || config->max_concurrency < 1 || config->max_concurrency > 64 ||
        config->start_date > sources.now || config->api_url.empty()) {
      std::abort();
    }
  } else if (config.status().code() != segsync::StatusCode::kConfig) {
    std::abort();
  }
  return 0;
}
