// SPDX-License-Identifier: Apache-2.0
// Replays fuzz inputs through a target in builds without libFuzzer.
//
// A driver for builds without libFuzzer: replays each file given (every file of a directory) once
// through the target, so the seed corpus and every past crash run as a regression test, under the
// sanitizers too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) {
          inputs.push_back(entry.path());
        }
      }
    } else {
      inputs.push_back(arg);
    }
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...; no input found\n", argv[0]);
    return 1;
  }
  for (const fs::path& path : inputs) {
    // Exactly the input's size, so the sanitizers see a read past its end. (stdio rather than
    // istreambuf_iterator, which trips g++ 12's -Wnull-dereference at -O2.)
    std::vector<uint8_t> data(fs::file_size(path));
    std::FILE* file = std::fopen(path.c_str(), "rb");
    const bool read =
        file != nullptr && std::fread(data.data(), 1, data.size(), file) == data.size();
    if (file != nullptr) {
      std::fclose(file);
    }
    if (!read) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      return 1;
    }
    LLVMFuzzerTestOneInput(data.data(), data.size());
  }
  std::printf("replayed %zu inputs\n", inputs.size());
  return 0;
}
