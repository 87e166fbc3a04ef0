// SPDX-License-Identifier: Apache-2.0
// The report's queries: the same SQL on SQLite and PostgreSQL, read into plain structs.
#include "report/report_data.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "dest/sql_common.h"
#include "report/history_changes.h"
#include "streams/stream_spec.h"

namespace segsync {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;
constexpr size_t kRunsForOutcomes = 50;
constexpr size_t kShownValueBytes = 80;  // of a changed field's old and new value
constexpr std::string_view kMtuExpression = "identified + anonymous - \"anonymousIdentified\"";

int64_t ToInt(const std::optional<std::string>& cell) {
  if (!cell || cell->empty()) {
    return 0;
  }
  int64_t value = 0;
  const char* end = cell->data() + cell->size();
  if (const auto [ptr, ec] = std::from_chars(cell->data(), end, value);
      ec == std::errc() && ptr == end) {
    return value;
  }
  // A REAL or a text the destination widened to: its value, rounded.
  const double number = std::strtod(cell->c_str(), nullptr);
  return std::isfinite(number) ? static_cast<int64_t>(std::llround(number)) : 0;
}

std::string Literal(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    quoted += c == '\'' ? std::string("''") : std::string(1, c);
  }
  return quoted + "'";
}

/// A month bound as a literal both engines compare with a stored time: PostgreSQL reads it as
/// UTC, and in SQLite it sorts right against both the `.000Z` and the `Z` forms.
std::string MonthBound(YearMonth month) { return Literal(FormatRfc3339Millis(month.Start())); }

/// The tables of one destination, asked once each.
class Tables {
 public:
  explicit Tables(HistoryReader& reader) : reader_(reader) {}

  Result<bool> Has(const std::string& table) {
    if (const auto found = known_.find(table); found != known_.end()) {
      return found->second;
    }
    SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader_.Columns(table));
    known_[table] = !columns.empty();
    return !columns.empty();
  }

  Result<int64_t> Count(const std::string& table, const std::string& where = "") {
    SEGSYNC_ASSIGN_OR_RETURN(
        auto rows, reader_.Select("SELECT COUNT(*) FROM " + reader_.Qualify(table) + " " + where));
    return rows.empty() ? 0 : ToInt(rows[0][0]);
  }

  HistoryReader& reader() { return reader_; }

 private:
  HistoryReader& reader_;
  std::map<std::string, bool> known_;
};

/// Each stream's outcome in the latest recorded run that selected it.
Result<std::map<std::string, std::string>> LatestOutcomes(Tables& tables) {
  std::map<std::string, std::string> outcomes;
  SEGSYNC_ASSIGN_OR_RETURN(const bool has_runs, tables.Has("_segsync_runs"));
  if (!has_runs) {
    return outcomes;
  }
  HistoryReader& reader = tables.reader();
  SEGSYNC_ASSIGN_OR_RETURN(
      auto rows, reader.Select("SELECT streams FROM " + reader.Qualify("_segsync_runs") +
                               " ORDER BY run_id DESC LIMIT " + std::to_string(kRunsForOutcomes)));
  simdjson::dom::parser parser;
  for (const TextRow& row : rows) {
    simdjson::dom::array streams;
    if (!row[0] || parser.parse(*row[0]).get_array().get(streams) != simdjson::SUCCESS) {
      continue;
    }
    for (simdjson::dom::element stream : streams) {
      std::string_view name;
      std::string_view outcome;
      if (stream["stream"].get_string().get(name) == simdjson::SUCCESS &&
          stream["outcome"].get_string().get(outcome) == simdjson::SUCCESS) {
        outcomes.emplace(std::string(name), std::string(outcome));  // the newest wins
      }
    }
  }
  return outcomes;
}

/// Why `stream`'s table shows nothing, or "" if it has rows. `rows` counts what the section
/// would draw.
class Missing {
 public:
  Missing(Tables& tables, std::map<std::string, std::string> outcomes)
      : tables_(tables), outcomes_(std::move(outcomes)) {}

  /// Why there is nothing to show of `stream`: not synced, not entitled, or no data yet.
  Result<std::string> Why(std::string_view stream, int64_t rows) {
    const std::string table(stream);
    SEGSYNC_ASSIGN_OR_RETURN(const bool has, tables_.Has(table));
    if (!has) {
      return "Not synced: the destination has no table " + table + "; add " + table +
             " to the synced streams (--streams) and run segsync sync.";
    }
    if (rows > 0) {
      return std::string();
    }
    const auto outcome = outcomes_.find(table);
    if (outcome != outcomes_.end() && outcome->second == "not_entitled") {
      const StreamSpec* spec = FindStream(stream);
      const std::string needs = spec != nullptr && !spec->entitlement.empty()
                                    ? std::string(spec->entitlement)
                                    : std::string("a plan or feature it lacks");
      return "Not entitled: the workspace's plan does not include what " + table +
             " reads (it needs " + needs + "), so its table is empty.";
    }
    if (outcome != outcomes_.end() && outcome->second != "ok") {
      return "No data: the latest run that read " + table + " ended " + outcome->second +
             "; run segsync sync again.";
    }
    return "No data yet: " + table + " is empty; the next sync fills it.";
  }

 private:
  Tables& tables_;
  std::map<std::string, std::string> outcomes_;
};

/// The month's values by day of month from (time, value) rows; a day seen twice keeps its
/// largest (the figures are cumulative).
std::vector<DayValue> ByDay(const std::vector<TextRow>& rows, YearMonth month) {
  std::map<int, int64_t> days;
  const UnixMillis start = month.Start();
  const UnixMillis end = month.Next().Start();
  for (const TextRow& row : rows) {
    const Result<UnixMillis> at = ParseRfc3339(row[0].value_or(""));
    if (!at.ok() || *at < start || *at >= end) {
      continue;
    }
    const int day = static_cast<int>((*at - start) / kMillisPerDay) + 1;
    const int64_t value = ToInt(row[1]);
    const auto [it, inserted] = days.emplace(day, value);
    if (!inserted) {
      it->second = std::max(it->second, value);
    }
  }
  std::vector<DayValue> out;
  out.reserve(days.size());
  for (const auto& [day, value] : days) {
    out.push_back({day, value});
  }
  return out;
}

/// The rows of a daily workspace table in [first, last) months: (time, value).
Result<std::vector<TextRow>> DailyRows(HistoryReader& reader, std::string_view table,
                                       std::string_view value, YearMonth first, YearMonth last) {
  return reader.Select("SELECT " + reader.Timestamp("\"timestamp\"") + ", " + std::string(value) +
                       " FROM " + reader.Qualify(table) + " WHERE \"timestamp\" >= " +
                       MonthBound(first) + " AND \"timestamp\" < " + MonthBound(last));
}

/// The sources with the largest of `value` in the month (their latest cumulative figure).
Result<std::vector<NamedValue>> TopSources(Tables& tables, std::string_view table,
                                           std::string_view value, YearMonth month) {
  HistoryReader& reader = tables.reader();
  SEGSYNC_ASSIGN_OR_RETURN(const bool sources, tables.Has("sources"));
  std::string sql = "SELECT u.\"sourceId\", " + std::string(sources ? "MAX(s.name)" : "NULL") +
                    ", MAX(" + std::string(value) + ") AS v FROM " + reader.Qualify(table) + " u ";
  if (sources) {
    sql += "LEFT JOIN " + reader.Qualify("sources") + " s ON s.id = u.\"sourceId\" ";
  }
  sql += "WHERE u.\"timestamp\" >= " + MonthBound(month) + " AND u.\"timestamp\" < " +
         MonthBound(month.Next()) +
         " GROUP BY u.\"sourceId\" ORDER BY v DESC, u.\"sourceId\" LIMIT " +
         std::to_string(kTopSources);
  SEGSYNC_ASSIGN_OR_RETURN(auto rows, reader.Select(sql));
  std::vector<NamedValue> out;
  out.reserve(rows.size());
  for (const TextRow& row : rows) {
    out.push_back({row[0].value_or(""), row[1].value_or(""), ToInt(row[2])});
  }
  return out;
}

std::string NoMonthData(std::string_view table, YearMonth month) {
  return "No data for " + month.Text() + ": " + std::string(table) +
         " holds no day of that month; choose another with --month YYYY-MM.";
}

Status LoadUsage(Tables& tables, Missing& missing, YearMonth month, UsageSection& usage) {
  HistoryReader& reader = tables.reader();
  usage.month = month;
  const auto series = [&](std::string_view table, std::string_view value,
                          std::vector<DayValue>& days, std::vector<DayValue>* previous,
                          std::string& why) -> Status {
    SEGSYNC_ASSIGN_OR_RETURN(const bool has, tables.Has(std::string(table)));
    if (has) {
      SEGSYNC_ASSIGN_OR_RETURN(auto rows,
                               DailyRows(reader, table, value, month.Previous(), month.Next()));
      days = ByDay(rows, month);
      if (previous != nullptr) {
        *previous = ByDay(rows, month.Previous());
      }
    }
    SEGSYNC_ASSIGN_OR_RETURN(const int64_t all, has ? tables.Count(std::string(table)) : 0);
    SEGSYNC_ASSIGN_OR_RETURN(why, missing.Why(table, all));
    if (why.empty() && days.empty()) {
      why = NoMonthData(table, month);
    }
    return Status::Ok();
  };
  SEGSYNC_RETURN_NOT_OK(series("usage_mtu_workspace_daily", kMtuExpression, usage.mtu,
                               &usage.mtu_previous, usage.mtu_missing));
  SEGSYNC_RETURN_NOT_OK(series("usage_api_calls_workspace_daily", "\"apiCalls\"", usage.api_calls,
                               nullptr, usage.api_missing));
  const auto top = [&](std::string_view table, std::string_view value, std::vector<NamedValue>& out,
                       std::string& why) -> Status {
    SEGSYNC_ASSIGN_OR_RETURN(const bool has, tables.Has(std::string(table)));
    if (has) {
      SEGSYNC_ASSIGN_OR_RETURN(out, TopSources(tables, table, value, month));
    }
    SEGSYNC_ASSIGN_OR_RETURN(const int64_t all, has ? tables.Count(std::string(table)) : 0);
    SEGSYNC_ASSIGN_OR_RETURN(why, missing.Why(table, all));
    if (why.empty() && out.empty()) {
      why = NoMonthData(table, month);
    }
    return Status::Ok();
  };
  SEGSYNC_RETURN_NOT_OK(top("usage_mtu_per_source_daily",
                            std::string("u.identified + "
                                        "u.anonymous - "
                                        "u.\"anonymousIdentified\""),
                            usage.top_mtu, usage.top_mtu_missing));
  return top("usage_api_calls_per_source_daily", "u.\"apiCalls\"", usage.top_api,
             usage.top_api_missing);
}

Status LoadDelivery(Tables& tables, Missing& missing, DeliverySection& delivery) {
  HistoryReader& reader = tables.reader();
  const std::string table(kDeliveryMetricsStream);
  SEGSYNC_ASSIGN_OR_RETURN(const bool has, tables.Has(table));
  std::vector<TextRow> rows;
  if (has) {
    SEGSYNC_ASSIGN_OR_RETURN(const bool destinations, tables.Has("destinations"));
    SEGSYNC_ASSIGN_OR_RETURN(const bool sources, tables.Has("sources"));
    SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns(table));
    std::string metrics_type;
    for (const auto& [name, type] : columns) {
      if (name == "metrics") {
        metrics_type = type;
      }
    }
    std::string sql =
        "SELECT m.\"sourceId\", m.\"destinationId\", " + reader.Text("m.metrics", metrics_type) +
        ", " + reader.Timestamp("m.\"startTime\"") + ", " + reader.Timestamp("m.\"endTime\"") +
        ", " + (destinations ? "d.name" : "NULL") + ", " + (sources ? "s.name" : "NULL") +
        " FROM " + reader.Qualify(table) + " m ";
    if (destinations) {
      sql += "LEFT JOIN " + reader.Qualify("destinations") +
             " d ON d.id = m.\"destinationId\" AND d.\"sourceId\" = m.\"sourceId\" ";
    }
    if (sources) {
      sql += "LEFT JOIN " + reader.Qualify("sources") + " s ON s.id = m.\"sourceId\" ";
    }
    sql += "WHERE m._deleted_at IS NULL";
    SEGSYNC_ASSIGN_OR_RETURN(rows, reader.Select(sql));
  }
  SEGSYNC_ASSIGN_OR_RETURN(delivery.missing, missing.Why(table, static_cast<int64_t>(rows.size())));
  simdjson::dom::parser parser;
  for (const TextRow& row : rows) {
    DeliveryRow out;
    out.source_id = row[0].value_or("");
    out.destination_id = row[1].value_or("");
    out.destination_name = row[5].value_or("");
    out.source_name = row[6].value_or("");
    simdjson::dom::array metrics;
    if (row[2] && parser.parse(*row[2]).get_array().get(metrics) == simdjson::SUCCESS) {
      for (simdjson::dom::element metric : metrics) {
        std::string_view name;
        double total = 0;
        if (metric["metricName"].get_string().get(name) != simdjson::SUCCESS ||
            metric["total"].get_double().get(total) != simdjson::SUCCESS || !std::isfinite(total)) {
          continue;
        }
        const auto value = static_cast<int64_t>(std::llround(total));
        if (name == "successes") {
          out.delivered = value;
        } else if (name == "discarded") {
          out.discarded = value;
        } else if (name == "retried") {
          out.retried = value;
        } else if (name == "expired") {
          out.failed = value;
        }
      }
    }
    delivery.window_start = std::max(delivery.window_start, NormalTime(row[3].value_or("")));
    delivery.window_end = std::max(delivery.window_end, NormalTime(row[4].value_or("")));
    delivery.rows.push_back(std::move(out));
  }
  std::sort(
      delivery.rows.begin(), delivery.rows.end(), [](const DeliveryRow& a, const DeliveryRow& b) {
        const double sa = a.NotDeliveredShare();
        const double sb = b.NotDeliveredShare();
        if (sa != sb) {
          return sa > sb;
        }
        if (a.failed != b.failed) {
          return a.failed > b.failed;
        }
        if (a.retried != b.retried) {
          return a.retried > b.retried;
        }
        return std::tie(a.destination_id, a.source_id) < std::tie(b.destination_id, b.source_id);
      });
  return Status::Ok();
}

Result<std::vector<Resource>> Resources(HistoryReader& reader, std::string_view kind,
                                        const std::string& sql) {
  SEGSYNC_ASSIGN_OR_RETURN(auto rows, reader.Select(sql));
  std::vector<Resource> out;
  out.reserve(rows.size());
  for (const TextRow& row : rows) {
    out.push_back({std::string(kind), row[0].value_or(""), row[1].value_or("")});
  }
  return out;
}

Status LoadInventory(Tables& tables, InventorySection& inventory) {
  HistoryReader& reader = tables.reader();
  const std::vector<std::pair<std::string, std::string>> counted = {
      {"sources", "sources"},
      {"destinations", "destinations"},
      {"warehouses", "warehouses"},
      {"users", "users"},
      {"groups", "groups"}};
  bool any = false;
  for (const auto& [label, table] : counted) {
    SEGSYNC_ASSIGN_OR_RETURN(const bool has, tables.Has(table));
    InventoryCount count{label, table, std::nullopt};
    if (has) {
      SEGSYNC_ASSIGN_OR_RETURN(count.count, tables.Count(table, "WHERE _deleted_at IS NULL"));
      any = true;
    }
    inventory.counts.push_back(std::move(count));
  }
  if (!any) {
    inventory.missing =
        "Not synced: the destination has none of the tables sources, destinations, warehouses, "
        "users, groups; sync them with segsync sync.";
    return Status::Ok();
  }
  SEGSYNC_ASSIGN_OR_RETURN(const bool sources, tables.Has("sources"));
  SEGSYNC_ASSIGN_OR_RETURN(const bool destinations, tables.Has("destinations"));
  SEGSYNC_ASSIGN_OR_RETURN(const bool warehouses, tables.Has("warehouses"));
  const auto disabled = [&](std::string_view kind, const std::string& table,
                            const std::string& name) -> Status {
    SEGSYNC_ASSIGN_OR_RETURN(
        auto found, Resources(reader, kind,
                              "SELECT id, " + name + " FROM " + reader.Qualify(table) +
                                  " WHERE _deleted_at IS NULL AND NOT enabled ORDER BY id"));
    inventory.disabled.insert(inventory.disabled.end(), found.begin(), found.end());
    return Status::Ok();
  };
  if (sources) {
    SEGSYNC_RETURN_NOT_OK(disabled("source", "sources", "name"));
  }
  if (destinations) {
    SEGSYNC_RETURN_NOT_OK(disabled("destination", "destinations", "name"));
  }
  if (warehouses) {
    SEGSYNC_RETURN_NOT_OK(disabled("warehouse", "warehouses", "NULL"));
  }
  if (sources && destinations) {
    SEGSYNC_ASSIGN_OR_RETURN(
        inventory.sources_without_destination,
        Resources(reader, "source",
                  "SELECT s.id, s.name FROM " + reader.Qualify("sources") +
                      " s WHERE s._deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM " +
                      reader.Qualify("destinations") +
                      " d WHERE d.\"sourceId\" = s.id AND d._deleted_at IS NULL) ORDER BY s.id"));
    SEGSYNC_ASSIGN_OR_RETURN(
        inventory.destinations_without_source,
        Resources(reader, "destination",
                  "SELECT d.id, d.name FROM " + reader.Qualify("destinations") +
                      " d WHERE d._deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM " +
                      reader.Qualify("sources") +
                      " s WHERE s.id = d.\"sourceId\" AND s._deleted_at IS NULL) ORDER BY d.id"));
  }
  return Status::Ok();
}

Status LoadChanges(Tables& tables, Missing& missing, ChangesSection& changes) {
  HistoryReader& reader = tables.reader();
  SEGSYNC_ASSIGN_OR_RETURN(const auto runs, ReadHistoryRuns(reader));
  if (runs.empty()) {
    changes.missing = "Not synced: the destination has no recorded run (_segsync_runs).";
    return Status::Ok();
  }
  const Result<UnixMillis> latest = ParseRfc3339(runs.back().ended_at);
  const UnixMillis until = latest.ok() ? *latest : 0;
  changes.since = FormatRfc3339Millis(until - kChangeDays * kMillisPerDay);
  SEGSYNC_ASSIGN_OR_RETURN(const auto audit, ReadAuditTrail(reader));
  SEGSYNC_ASSIGN_OR_RETURN(
      changes.who_missing,
      missing.Why("audit_events", audit.has_value() ? static_cast<int64_t>(audit->size()) : 0));
  bool any_history = false;
  std::map<size_t, RunChanges> by_run;  // index into runs; runs.size(): no recorded run
  for (const StreamSpec* spec : ChangeStreams(false)) {
    SEGSYNC_ASSIGN_OR_RETURN(const StreamChanges stream,
                             ReadStreamChanges(reader, *spec, changes.since));
    any_history = any_history || !stream.columns.empty();
    for (const DetectedChange& change : stream.changes) {
      size_t run = runs.size();
      for (size_t i = 0; i < runs.size(); ++i) {
        if (runs[i].ended_at >= change.detected_at) {
          run = i;
          break;
        }
      }
      RunChanges& group = by_run[run];
      if (run < runs.size()) {
        group.run_id = runs[run].run_id;
        group.started_at = runs[run].started_at;
      }
      ++group.total;
      switch (change.kind) {
        case ChangeKind::kAdded:
          ++group.added;
          break;
        case ChangeKind::kUpdated:
          ++group.updated;
          break;
        case ChangeKind::kDeleted:
          ++group.deleted;
          break;
        case ChangeKind::kRestored:
          ++group.restored;
          break;
      }
      if (group.shown.size() >= kShownChangesPerRun) {
        continue;
      }
      const HistoryVersion& current = CurrentVersion(stream, change);
      ChangeLine line;
      line.detected_at = change.detected_at;
      line.stream = stream.stream;
      line.kind = std::string(ChangeKindName(change.kind));
      for (size_t k = 0; k < stream.key_count; ++k) {
        line.key += (k == 0 ? "" : "/") + PlainCell(current.cells[k]);
      }
      if (const auto name = ColumnIndex(stream.columns, "name"); name && current.cells[*name]) {
        line.name = PlainCell(current.cells[*name]);
      }
      for (const size_t f : change.fields) {
        line.fields.push_back(
            stream.columns[f] + ": " +
            Abbreviate(stream.versions[*change.before].cells[f].value_or("null"),
                       kShownValueBytes) +
            " \u2192 " +
            Abbreviate(stream.versions[*change.after].cells[f].value_or("null"), kShownValueBytes));
      }
      if (audit) {
        for (const AuditEntry* entry : AuditFor(*audit, runs, stream, change)) {
          line.who.push_back(entry->actor + ": " + entry->action + " (" + entry->at_text + ")");
        }
      }
      group.shown.push_back(std::move(line));
    }
  }
  if (!any_history) {
    changes.missing =
        "Not synced: the destination has no history tables (<stream>_history); a sync into it "
        "by this version of segsync starts them.";
    return Status::Ok();
  }
  for (auto it = by_run.rbegin(); it != by_run.rend() && changes.runs.size() < kShownRuns; ++it) {
    std::stable_sort(
        it->second.shown.begin(), it->second.shown.end(),
        [](const ChangeLine& a, const ChangeLine& b) { return a.detected_at < b.detected_at; });
    changes.runs.push_back(std::move(it->second));
  }
  if (changes.runs.empty()) {
    changes.missing = "No changes: the runs detected none in the " + std::to_string(kChangeDays) +
                      " days up to the latest run (" + runs.back().ended_at + ").";
  }
  return Status::Ok();
}

Status LoadRuns(Tables& tables, RunsSection& section) {
  SEGSYNC_ASSIGN_OR_RETURN(const bool has, tables.Has("_segsync_runs"));
  if (!has) {
    section.missing = "Not synced: the destination has no table _segsync_runs.";
    return Status::Ok();
  }
  HistoryReader& reader = tables.reader();
  SEGSYNC_ASSIGN_OR_RETURN(
      auto rows,
      reader.Select("SELECT run_id, " + reader.Timestamp("started_at") + ", " +
                    reader.Timestamp("ended_at") + ", status, " + reader.Text("streams", "jsonb") +
                    " FROM " + reader.Qualify("_segsync_runs") + " ORDER BY run_id DESC LIMIT " +
                    std::to_string(kShownRuns)));
  simdjson::dom::parser parser;
  for (const TextRow& row : rows) {
    RunRow run;
    run.run_id = ToInt(row[0]);
    run.started_at = NormalTime(row[1].value_or(""));
    run.ended_at = NormalTime(row[2].value_or(""));
    const Result<UnixMillis> started = ParseRfc3339(run.started_at);
    const Result<UnixMillis> ended = ParseRfc3339(run.ended_at);
    if (started.ok() && ended.ok()) {
      run.duration_ms = *ended - *started;
    }
    run.status = row[3].value_or("");
    simdjson::dom::array streams;
    if (row[4] && parser.parse(*row[4]).get_array().get(streams) == simdjson::SUCCESS) {
      for (simdjson::dom::element stream : streams) {
        StreamRun out;
        std::string_view text;
        int64_t number = 0;
        if (stream["stream"].get_string().get(text) == simdjson::SUCCESS) {
          out.stream = std::string(text);
        }
        if (stream["outcome"].get_string().get(text) == simdjson::SUCCESS) {
          out.outcome = std::string(text);
        }
        if (stream["message"].get_string().get(text) == simdjson::SUCCESS) {
          out.message = std::string(text);
        }
        if (stream["rows_written"].get_int64().get(number) == simdjson::SUCCESS) {
          out.rows = number;
        }
        if (stream["requests"].get_int64().get(number) == simdjson::SUCCESS) {
          out.requests = number;
        }
        if (stream["duration_ms"].get_int64().get(number) == simdjson::SUCCESS) {
          out.duration_ms = number;
        }
        run.requests += out.requests;
        run.streams.push_back(std::move(out));
      }
    }
    section.runs.push_back(std::move(run));
  }
  if (section.runs.empty()) {
    section.missing = "No data yet: _segsync_runs is empty; a finished sync records its run there.";
  }
  return Status::Ok();
}

}  // namespace

std::string YearMonth::Text() const {
  std::string out = std::to_string(year) + "-";
  if (month < 10) {
    out += "0";
  }
  return out + std::to_string(month);
}

YearMonth YearMonth::Previous() const {
  return month == 1 ? YearMonth{year - 1, 12} : YearMonth{year, month - 1};
}

YearMonth YearMonth::Next() const {
  return month == 12 ? YearMonth{year + 1, 1} : YearMonth{year, month + 1};
}

int YearMonth::Days() const { return static_cast<int>((Next().Start() - Start()) / kMillisPerDay); }

UnixMillis YearMonth::Start() const {
  return DaysFromCivil(year, static_cast<unsigned>(month), 1) * kMillisPerDay;
}

std::optional<YearMonth> ParseYearMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') {
    return std::nullopt;
  }
  const auto digits = [](std::string_view part) -> std::optional<int> {
    int value = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  };
  const auto year = digits(text.substr(0, 4));
  const auto month = digits(text.substr(5, 2));
  if (!year || !month || *year < 1970 || *month < 1 || *month > 12) {
    return std::nullopt;
  }
  return YearMonth{*year, *month};
}

YearMonth MonthOf(UnixMillis t) {
  const std::string date = FormatDate(t);  // YYYY-MM-DD
  return ParseYearMonth(date.substr(0, 7)).value_or(YearMonth{1970, 1});
}

std::string Abbreviate(std::string text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
      --cut;  // not inside a UTF-8 sequence
    }
    text.resize(cut);
    text += "\u2026";
  }
  return text;
}

double DeliveryRow::NotDeliveredShare() const {
  const int64_t lost = failed + discarded;
  const int64_t all = delivered + lost;
  return all <= 0 ? 0.0 : static_cast<double>(lost) / static_cast<double>(all);
}

Result<std::optional<YearMonth>> LatestUsageMonth(HistoryReader& reader) {
  std::optional<UnixMillis> latest;
  for (const std::string_view table :
       {"usage_mtu_workspace_daily", "usage_api_calls_workspace_daily"}) {
    SEGSYNC_ASSIGN_OR_RETURN(const auto columns, reader.Columns(table));
    if (columns.empty()) {
      continue;
    }
    SEGSYNC_ASSIGN_OR_RETURN(
        auto rows, reader.Select("SELECT " + reader.Timestamp("MAX(\"timestamp\")") + " FROM " +
                                 reader.Qualify(table)));
    if (!rows.empty() && rows[0][0]) {
      if (const Result<UnixMillis> at = ParseRfc3339(*rows[0][0]); at.ok()) {
        latest = std::max(latest.value_or(*at), *at);
      }
    }
  }
  if (!latest) {
    return std::optional<YearMonth>();
  }
  return std::optional<YearMonth>(MonthOf(*latest));
}

Result<ReportData> LoadReport(HistoryReader& reader, YearMonth month, UnixMillis now) {
  ReportData data;
  data.generated_at = FormatRfc3339Millis(now);
  Tables tables(reader);
  SEGSYNC_ASSIGN_OR_RETURN(auto outcomes, LatestOutcomes(tables));
  Missing missing(tables, std::move(outcomes));
  SEGSYNC_RETURN_NOT_OK(LoadUsage(tables, missing, month, data.usage));
  SEGSYNC_RETURN_NOT_OK(LoadDelivery(tables, missing, data.delivery));
  SEGSYNC_RETURN_NOT_OK(LoadInventory(tables, data.inventory));
  SEGSYNC_RETURN_NOT_OK(LoadChanges(tables, missing, data.changes));
  SEGSYNC_RETURN_NOT_OK(LoadRuns(tables, data.runs));
  return data;
}

}  // namespace segsync
