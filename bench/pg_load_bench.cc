// SPDX-License-Identifier: Apache-2.0
// Times loading N `destinations` records into PostgreSQL through the destination.
//
// Loads N records shaped like the `destinations` stream into PostgreSQL through segsync's
// destination (BeginStream, Write in pages of 1000 as the engine does, CommitStream) and prints
// the seconds it took as JSON. With --copy-file it also writes the same rows in COPY text format,
// so bench/pg_load can time `psql \copy` of exactly those rows.
//
//   pg_load_bench --uri postgresql://... --records 200000 [--copy-file rows.copy]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "dest/destination.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

constexpr char kExtractedAt[] = "2024-03-01T00:00:00.000Z";
constexpr size_t kPageSize = 1000;

/// A Segment-style id: 22 characters of base62.
std::string Id(std::mt19937_64& random) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string id(22, ' ');
  for (char& c : id) {
    c = kAlphabet[random() % kAlphabet.size()];
  }
  return id;
}

/// One destination: the fields and sizes the simulator's destinations have, some text with
/// characters COPY must escape and some that is not ASCII.
Record MakeDestination(std::mt19937_64& random, size_t index) {
  const std::string id = Id(random);
  const std::string source_id = Id(random);
  const std::string slug = "webhook-" + std::to_string(index % 97);
  std::string name = "Destination " + std::to_string(index);
  if (index % 10 == 0) {
    name += " \xE2\x86\x92 Caf\xC3\xA9\t#" + std::to_string(index % 7);
  }
  JsonWriter metadata;
  metadata.BeginObject()
      .Key("id")
      .String(Id(random))
      .Key("name")
      .String("Webhooks (Actions)")
      .Key("slug")
      .String(slug)
      .Key("description")
      .String("Send events to any HTTP endpoint.\nRetries with backoff; C:\\path kept.")
      .Key("logos")
      .BeginObject()
      .Key("default")
      .String("https://cdn.example.com/logos/" + slug + ".svg")
      .EndObject()
      .Key("categories")
      .BeginArray()
      .String("Raw Data")
      .String("Analytics")
      .EndArray()
      .Key("supportedRegions")
      .BeginArray()
      .String("us-west-2")
      .String("eu-west-1")
      .EndArray()
      .EndObject();
  JsonWriter settings;
  settings.BeginObject()
      .Key("apiKey")
      .String(Id(random))
      .Key("endpoint")
      .String("https://hooks.example.com/" + Id(random))
      .Key("batchSize")
      .Int(static_cast<int64_t>(random() % 500))
      .Key("headers")
      .BeginArray()
      .BeginObject()
      .Key("key")
      .String("X-Team")
      .Key("value")
      .String("data")
      .EndObject()
      .EndArray()
      .EndObject();
  Record record;
  record.fields = {{"id", Value::String(id)},
                   {"name", Value::String(name)},
                   {"enabled", Value::Bool(random() % 4 != 0)},
                   {"metadata", Value::Json(metadata.Take())},
                   {"sourceId", Value::String(source_id)},
                   {"settings", Value::Json(settings.Take())}};
  return record;
}

/// COPY text format, independent of the destination's own encoder.
void AppendCopy(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out.push_back(c);
    }
  }
}

int Fail(const Status& status) {
  std::cerr << "pg_load_bench: " << status.ToString() << "\n";
  return 1;
}

int Main(int argc, char** argv) {
  std::string uri;
  std::string copy_file;
  size_t count = 200000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--uri") {
      uri = argv[i + 1];
    } else if (flag == "--records") {
      count = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--copy-file") {
      copy_file = argv[i + 1];
    } else {
      std::cerr << "pg_load_bench: unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (uri.empty() || count == 0) {
    std::cerr << "usage: pg_load_bench --uri postgresql://... --records N [--copy-file PATH]\n";
    return 2;
  }

  const StreamSpec* spec = FindStream("destinations");
  Result<TableSpec> table =
      spec == nullptr ? Result<TableSpec>(Status::Internal("no stream")) : TableSpecFor(*spec);
  if (!table.ok()) {
    return Fail(table.status());
  }
  std::mt19937_64 random(20240301);
  std::vector<Record> records;
  records.reserve(count);
  size_t bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    records.push_back(MakeDestination(random, i));
  }

  if (!copy_file.empty()) {
    // Columns id, sourceId, name, enabled, metadata, settings, _extracted_at, taken by their
    // position in MakeDestination's records.
    std::string text;
    for (const Record& record : records) {
      for (const size_t field : {size_t{0}, size_t{4}, size_t{1}}) {
        AppendCopy(text, record.fields[field].second.text);
        text.push_back('\t');
      }
      text += record.fields[2].second.boolean ? "t\t" : "f\t";
      for (const size_t field : {size_t{3}, size_t{5}}) {
        AppendCopy(text, record.fields[field].second.text);
        text.push_back('\t');
      }
      text += kExtractedAt;
      text.push_back('\n');
    }
    bytes = text.size();
    std::ofstream(copy_file, std::ios::binary) << text;
  }

  Result<std::unique_ptr<Destination>> destination = OpenDestination(uri);
  if (!destination.ok()) {
    return Fail(destination.status());
  }
  // Pages are cut before the clock starts: the engine hands over pages it already holds.
  std::vector<std::vector<Record>> pages;
  for (size_t i = 0; i < records.size(); i += kPageSize) {
    pages.emplace_back(
        records.begin() + static_cast<std::ptrdiff_t>(i),
        records.begin() + static_cast<std::ptrdiff_t>(std::min(i + kPageSize, count)));
  }
  const auto started = std::chrono::steady_clock::now();
  Status status = (*destination)->BeginStream(*table);
  for (size_t i = 0; status.ok() && i < pages.size(); ++i) {
    status = (*destination)->Write(pages[i], kExtractedAt);
  }
  if (!status.ok()) {
    return Fail(status);
  }
  Result<int64_t> committed = (*destination)->CommitStream({});
  if (!committed.ok()) {
    return Fail(committed.status());
  }
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::cout << "{\"records\":" << count << ",\"copy_bytes\":" << bytes
            << ",\"seconds\":" << took.count() << "}\n";
  return 0;
}

}  // namespace
}  // namespace segsync

int main(int argc, char** argv) {
  // Only allocation can throw here; say so instead of terminating.
  try {
    return segsync::Main(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "pg_load_bench: " << error.what() << "\n";
    return 1;
  }
}
