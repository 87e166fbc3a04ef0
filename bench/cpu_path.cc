// SPDX-License-Identifier: Apache-2.0
// bench/run's helper: the stream table, dump item counts, and the timed CPU path.
//
// The helper program of bench/run. Three modes, each printing one JSON object on stdout:
//
//   cpu_path streams
//       The stream table (src/streams/streams.cc) as data, so the script follows the same
//       partitions, paths and list keys as the engine without repeating them.
//   cpu_path count DUMP.json...
//       Item counts of /__sim/dump bodies: a top-level list gives its length; an object of lists
//       (children by parent id, usage by month) gives each list's length; an object of objects
//       (delivery metrics by destination id) gives 1 per member.
//   cpu_path load --pages FILE --db PATH
//       The CPU path: the page bodies in FILE (captured from the simulator by bench/run) are read
//       into memory first; then, timed, each stream's pages are parsed with simdjson, turned into
//       records by RecordBuilder with the stream's TableSpecFor, and written by SqliteDestination
//       in one transaction per stream, page by page, as the engine's reader and writer do, minus
//       HTTP and threads.
//
// FILE holds frames: "<stream>\t<inject JSON object or empty>\t<period YYYY-MM-01 or empty>\t
// <body bytes>\n" followed by the body and "\n". `inject` holds the fields the engine would set
// from the parent record and the request (sourceId, destinationId, the delivery window).
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/record.h"
#include "dest/sqlite_destination.h"
#include "streams/stream_spec.h"
#include "sync/record_builder.h"

namespace segsync {
namespace {

using Seconds = std::chrono::duration<double>;
using SteadyClock = std::chrono::steady_clock;

std::string_view PartitioningName(Partitioning p) {
  switch (p) {
    case Partitioning::kNone:
      return "none";
    case Partitioning::kParent:
      return "parent";
    case Partitioning::kMonth:
      return "month";
    case Partitioning::kAuditWindow:
      return "audit_window";
    case Partitioning::kDeliveryWindow:
      return "delivery_window";
    case Partitioning::kQueryValues:
      return "query_values";
    case Partitioning::kDayWindows:
      return "day_windows";
  }
  return "none";
}

void WriteBindings(JsonWriter& w, std::string_view key, const std::vector<ParentBinding>& all) {
  w.Key(key).BeginArray();
  for (const ParentBinding& b : all) {
    w.BeginObject().Key("target").String(b.target).Key("parent_field").String(b.parent_field);
    w.EndObject();
  }
  w.EndArray();
}

int PrintStreams() {
  JsonWriter w;
  w.BeginArray();
  for (const StreamSpec& spec : AllStreams()) {
    w.BeginObject();
    w.Key("name").String(spec.name).Key("path").String(spec.path);
    w.Key("list_key").String(spec.list_key);
    w.Key("partitioning").String(PartitioningName(spec.partitioning));
    w.Key("parent").String(spec.parent);
    w.Key("paginated").Bool(spec.paginated).Key("single_object").Bool(spec.single_object);
    w.Key("incremental").Bool(spec.mode == SyncMode::kIncremental);
    w.Key("cursor_field").String(spec.cursor_field);
    w.Key("primary_key").BeginArray();
    for (std::string_view key : spec.primary_key) {
      w.String(key);
    }
    w.EndArray();
    WriteBindings(w, "path_from_parent", spec.path_from_parent);
    WriteBindings(w, "query_from_parent", spec.query_from_parent);
    WriteBindings(w, "inject_from_parent", spec.inject_from_parent);
    w.Key("fan_out_values").Int(static_cast<int64_t>(spec.fan_out.values.size()));
    w.Key("day_window_days").Int(spec.day_window_days);
    w.Key("max_parallel_partitions").Int(spec.max_parallel_partitions);
    w.EndObject();
  }
  w.EndArray();
  std::cout << w.str() << "\n";
  return 0;
}

int CountDumps(const std::vector<std::string>& files) {
  JsonWriter w;
  w.BeginObject();
  simdjson::dom::parser parser;
  for (const std::string& file : files) {
    simdjson::dom::object doc;
    if (parser.load(file).get_object().get(doc) != simdjson::SUCCESS) {
      std::cerr << "cpu_path count: " << file << " is not a JSON object\n";
      return 1;
    }
    for (auto [stream, value] : doc) {
      w.Key(stream);
      simdjson::dom::array list;
      if (value.get_array().get(list) == simdjson::SUCCESS) {
        w.Int(static_cast<int64_t>(list.size()));
        continue;
      }
      simdjson::dom::object members;
      if (value.get_object().get(members) != simdjson::SUCCESS) {
        std::cerr << "cpu_path count: " << stream << " is neither a list nor an object\n";
        return 1;
      }
      w.BeginObject();
      for (auto [key, member] : members) {
        w.Key(key).Int(member.get_array().get(list) == simdjson::SUCCESS
                           ? static_cast<int64_t>(list.size())
                           : 1);
      }
      w.EndObject();
    }
  }
  w.EndObject();
  std::cout << w.str() << "\n";
  return 0;
}

struct Page {
  std::string inject_json;
  std::string period;
  std::string body;
};

/// Reads the frames of a pages file, grouped by stream, each stream's pages in file order.
bool ReadPages(const std::string& file, std::map<std::string, std::vector<Page>>& out,
               size_t& bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "cpu_path load: cannot open " << file << "\n";
    return false;
  }
  std::string header;
  while (std::getline(in, header)) {
    if (header.empty()) {
      continue;
    }
    std::vector<std::string> parts;
    std::stringstream split(header);
    for (std::string part; std::getline(split, part, '\t');) {
      parts.push_back(part);
    }
    if (parts.size() != 4) {
      std::cerr << "cpu_path load: bad frame header '" << header.substr(0, 80) << "'\n";
      return false;
    }
    Page page;
    page.inject_json = parts[1];
    page.period = parts[2];
    const size_t size = std::stoul(parts[3]);
    page.body.resize(size);
    in.read(page.body.data(), static_cast<std::streamsize>(size));
    if (static_cast<size_t>(in.gcount()) != size) {
      std::cerr << "cpu_path load: " << file << " ends inside a page body\n";
      return false;
    }
    bytes += size;
    out[parts[0]].push_back(std::move(page));
  }
  return true;
}

struct StreamResult {
  std::string name;
  int64_t pages = 0;
  int64_t records = 0;
  double parse_build_s = 0;  // simdjson parse, RecordBuilder, the engine's per-record bookkeeping
  double write_s = 0;        // BeginStream, Write, CommitStream
};

Status LoadStream(const StreamSpec& spec, const std::vector<Page>& pages, Destination& destination,
                  StreamResult& result) {
  auto t0 = SteadyClock::now();
  SEGSYNC_ASSIGN_OR_RETURN(TableSpec table, TableSpecFor(spec));
  const RecordBuilder builder(table);
  simdjson::dom::parser parser;
  simdjson::dom::parser inject_parser;
  const bool incremental = spec.mode == SyncMode::kIncremental;
  bool is_parent = false;
  for (const StreamSpec& child : AllStreams()) {
    is_parent = is_parent || child.parent == spec.name;
  }
  std::vector<Record> parent_keys;  // the engine keeps ids of parent streams for the children
  std::optional<UnixMillis> max_cursor;
  std::string max_cursor_text;
  const std::string read_started = FormatRfc3339Millis(SystemClock::Instance().Now());
  bool begun = false;
  auto t1 = SteadyClock::now();
  result.parse_build_s += Seconds(t1 - t0).count();

  for (const Page& page : pages) {
    t0 = SteadyClock::now();
    simdjson::dom::element doc;
    simdjson::dom::element data;
    if (parser.parse(page.body).get(doc) != simdjson::SUCCESS ||
        doc["data"].get(data) != simdjson::SUCCESS) {
      return Status::Parse("a page of " + std::string(spec.name) + " is not a data envelope");
    }
    simdjson::dom::element items;
    if (data[spec.list_key].get(items) != simdjson::SUCCESS) {
      items = simdjson::dom::element();
    }
    std::vector<std::pair<std::string, Value>> inject;
    if (!page.inject_json.empty()) {
      simdjson::dom::object object;
      if (inject_parser.parse(page.inject_json).get_object().get(object) != simdjson::SUCCESS) {
        return Status::Parse("bad inject object " + page.inject_json);
      }
      for (auto [key, value] : object) {
        inject.emplace_back(std::string(key), ValueFromJson(value));
      }
    }
    std::optional<UnixMillis> month;
    if (!page.period.empty()) {
      SEGSYNC_ASSIGN_OR_RETURN(UnixMillis start, ParseRfc3339(page.period + "T00:00:00Z"));
      month = start;
    }
    std::vector<Record> records;
    auto build_one = [&](simdjson::dom::element item) -> Status {
      SEGSYNC_ASSIGN_OR_RETURN(Record record, builder.Build(item));
      if (month) {
        const Value* t = record.Find(spec.cursor_field);
        if (t != nullptr && t->kind == Value::Kind::kString) {
          auto parsed = ParseRfc3339(t->text);
          if (parsed.ok() && StartOfMonth(*parsed) != *month) {
            return Status::Ok();
          }
        }
      }
      for (const auto& [name, value] : inject) {
        record.Set(name, value);
      }
      records.push_back(std::move(record));
      return Status::Ok();
    };
    simdjson::dom::array list;
    if (spec.single_object && items.is_object()) {
      SEGSYNC_RETURN_NOT_OK(build_one(items));
    } else if (items.get_array().get(list) == simdjson::SUCCESS) {
      for (simdjson::dom::element item : list) {
        SEGSYNC_RETURN_NOT_OK(build_one(item));
      }
    }
    // The writer's bookkeeping per page (SyncEngine::Accept).
    const std::string extracted_at = FormatRfc3339Millis(SystemClock::Instance().Now());
    for (const Record& record : records) {
      if (incremental) {
        const Value* cursor = record.Find(spec.cursor_field);
        if (cursor != nullptr && cursor->kind == Value::Kind::kString) {
          auto t = ParseRfc3339(cursor->text);
          if (t.ok() && (!max_cursor || *t > *max_cursor)) {
            max_cursor = *t;
            max_cursor_text = cursor->text;
          }
        }
      }
      if (is_parent) {
        Record keys;
        for (std::string_view field : {"id", "sourceId"}) {
          if (const Value* v = record.Find(field)) {
            keys.Set(field, *v);
          }
        }
        parent_keys.push_back(std::move(keys));
      }
    }
    t1 = SteadyClock::now();
    result.parse_build_s += Seconds(t1 - t0).count();
    if (!begun) {
      SEGSYNC_RETURN_NOT_OK(destination.BeginStream(table));
      begun = true;
    }
    SEGSYNC_RETURN_NOT_OK(destination.Write(records, extracted_at));
    result.write_s += Seconds(SteadyClock::now() - t1).count();
    ++result.pages;
    result.records += static_cast<int64_t>(records.size());
  }

  t0 = SteadyClock::now();
  if (!begun) {
    SEGSYNC_RETURN_NOT_OK(destination.BeginStream(table));
  }
  StreamCommit commit;
  commit.now = FormatRfc3339Millis(SystemClock::Instance().Now());
  if (spec.mode == SyncMode::kFullTable && table.track_deletions) {
    commit.mark_deleted_before = read_started;  // not for a log (warehouse_syncs)
  } else if (!max_cursor_text.empty()) {
    JsonWriter state;
    state.BeginObject().Key("bookmark").String(max_cursor_text).EndObject();
    commit.state = state.Take();
  }
  auto committed = destination.CommitStream(commit);
  if (!committed.ok()) {
    return committed.status();
  }
  result.write_s += Seconds(SteadyClock::now() - t0).count();
  return Status::Ok();
}

int Load(const std::string& pages_file, const std::string& db_path) {
  std::map<std::string, std::vector<Page>> pages;
  size_t bytes = 0;
  if (!ReadPages(pages_file, pages, bytes)) {
    return 1;
  }
  SqliteDestination destination(db_path);
  std::vector<StreamResult> results;
  const auto started = SteadyClock::now();
  for (const StreamSpec& spec : AllStreams()) {
    auto it = pages.find(std::string(spec.name));
    if (it == pages.end()) {
      continue;
    }
    StreamResult result;
    result.name = std::string(spec.name);
    Status status = LoadStream(spec, it->second, destination, result);
    if (!status.ok()) {
      destination.AbortStream();
      std::cerr << "cpu_path load: " << spec.name << ": " << status.message() << "\n";
      return 1;
    }
    results.push_back(std::move(result));
  }
  const double total = Seconds(SteadyClock::now() - started).count();

  JsonWriter w;
  w.BeginObject().Key("seconds").Double(total).Key("bytes").Int(static_cast<int64_t>(bytes));
  w.Key("streams").BeginObject();
  for (const StreamResult& r : results) {
    w.Key(r.name).BeginObject();
    w.Key("pages").Int(r.pages).Key("records").Int(r.records);
    w.Key("parse_build_s").Double(r.parse_build_s).Key("write_s").Double(r.write_s);
    w.EndObject();
  }
  w.EndObject().EndObject();
  std::cout << w.str() << "\n";
  return 0;
}

int Usage() {
  std::cerr << "usage: cpu_path streams | cpu_path count DUMP.json... | "
               "cpu_path load --pages FILE --db PATH\n";
  return 2;
}

}  // namespace
}  // namespace segsync

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    return segsync::Usage();
  }
  if (args[0] == "streams" && args.size() == 1) {
    return segsync::PrintStreams();
  }
  if (args[0] == "count" && args.size() > 1) {
    return segsync::CountDumps({args.begin() + 1, args.end()});
  }
  if (args[0] == "load" && args.size() == 5 && args[1] == "--pages" && args[3] == "--db") {
    return segsync::Load(args[2], args[4]);
  }
  return segsync::Usage();
}
