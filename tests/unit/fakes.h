// SPDX-License-Identifier: Apache-2.0
// Test doubles: a scripted HttpClient, a clock that never sleeps, a memory Destination.
//
// A scripted HttpClient that fails the test when a scripted request goes unused (Airbyte's
// HttpMocker idea), a clock that never sleeps, and an in-memory Destination.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "dest/destination.h"
#include "http/http_client.h"

namespace segsync::testing {

/// A record with these fields, in this order.
inline Record MakeRecord(std::vector<std::pair<std::string, Value>> fields) {
  Record record;
  record.fields = std::move(fields);
  return record;
}

class FakeHttpClient final : public HttpClient {
 public:
  struct Exchange {
    std::string url;  // exact URL expected
    Result<HttpResponse> response;
  };

  ~FakeHttpClient() override {
    for (const auto& e : script_) {
      ADD_FAILURE() << "scripted request never made: " << e.url;
    }
  }

  void Expect(std::string url, int status, std::string_view body, HeaderList headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = body;
    r.headers = std::move(headers);
    script_.push_back({std::move(url), std::move(r)});
  }
  void ExpectTransportError(std::string url) {
    script_.push_back({std::move(url), Status(StatusCode::kTransient, "could not connect", -1)});
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    sent_.push_back(request);
    if (script_.empty()) {
      ADD_FAILURE() << "unexpected request: " << request.url;
      return Status(StatusCode::kTransient, "unexpected request");
    }
    Exchange e = std::move(script_.front());
    script_.pop_front();
    EXPECT_EQ(request.url, e.url);
    return std::move(e.response);
  }

  const std::vector<HttpRequest>& sent() const { return sent_; }

 private:
  std::deque<Exchange> script_;
  std::vector<HttpRequest> sent_;
};

/// Atomic, because the engine's fetching workers sleep while its writer reads the time.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(UnixMillis now) : now_(now) {}
  UnixMillis Now() const override { return now_; }
  void SleepFor(int64_t millis) override {
    slept_ms += millis;
    now_ += millis;
  }
  void Advance(int64_t millis) { now_ += millis; }
  std::atomic<int64_t> slept_ms = 0;

 private:
  std::atomic<UnixMillis> now_;
};

/// Keeps committed rows per stream keyed by primary key, plus state and runs, in memory.
class MemoryDestination final : public Destination {
 public:
  struct Row {
    Record record;
    std::string extracted_at;
    std::optional<std::string> deleted_at;
  };
  std::map<std::string, std::map<std::string, Row>> tables;
  std::map<std::string, std::string> state;
  std::vector<RunRecord> runs;
  int commits = 0;
  int aborts = 0;
  int writes = 0;                        // Write calls
  std::vector<std::string> write_order;  // keys of the written records, in order

  Result<std::optional<std::string>> ReadState(std::string_view stream) override {
    auto it = state.find(std::string(stream));
    if (it == state.end()) {
      return std::optional<std::string>();
    }
    return std::optional<std::string>(it->second);
  }
  Status BeginStream(const TableSpec& table) override {
    open_ = table;
    pending_ = tables[table.name];
    return Status::Ok();
  }
  Status Write(const std::vector<Record>& records, std::string_view extracted_at) override {
    for (const auto& r : records) {
      std::string key;
      for (const auto& k : open_->primary_key) {
        const Value* v = r.Find(k);
        if (v == nullptr || v->is_null()) {
          return Status::Io("missing key " + k);
        }
        key += (v->kind == Value::Kind::kString ? v->text : std::to_string(v->integer)) + "|";
      }
      write_order.push_back(key);
      pending_[key] = Row{r, std::string(extracted_at), std::nullopt};
    }
    ++writes;
    return Status::Ok();
  }
  Result<int64_t> CommitStream(const StreamCommit& commit) override {
    int64_t deleted = 0;
    if (commit.mark_deleted_before) {
      for (auto& [key, row] : pending_) {
        if (!row.deleted_at && row.extracted_at < *commit.mark_deleted_before) {
          row.deleted_at = commit.now;
          ++deleted;
        }
      }
    }
    if (commit.state) {
      state[open_->name] = *commit.state;
    }
    tables[open_->name] = std::move(pending_);
    pending_.clear();
    open_.reset();
    ++commits;
    return deleted;
  }
  void AbortStream() override {
    if (open_) {
      ++aborts;
    }
    open_.reset();
    pending_.clear();
  }
  Status RecordRun(const RunRecord& run) override {
    runs.push_back(run);
    return Status::Ok();
  }

 private:
  std::optional<TableSpec> open_;
  std::map<std::string, Row> pending_;
};

}  // namespace segsync::testing
