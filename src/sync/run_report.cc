// SPDX-License-Identifier: Apache-2.0
// The run report's status, exit code and per-stream JSON, and how a person sees it: the live
// progress line and the summary.
#include "sync/run_report.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log.h"
#include "streams/stream_spec.h"

namespace segsync {

std::string RunReport::StatusName() const {
  if (fatal.code() == StatusCode::kInterrupted) {
    return "interrupted";
  }
  if (!fatal.ok()) {
    return "failed";
  }
  for (const auto& s : streams) {
    if (s.selected && s.outcome != StreamOutcome::kOk && s.outcome != StreamOutcome::kNotEntitled) {
      return "partial";
    }
  }
  return "ok";
}

int RunReport::ExitCode() const {
  if (fatal.code() == StatusCode::kInterrupted) {
    return InterruptedExitCode();
  }
  if (!fatal.ok()) {
    return MeaningOf(fatal.code()).exit_code;
  }
  return StatusName() == "ok" ? kExitOk : kExitStreamFailed;
}

int64_t RunReport::WallMs() const {
  const auto started = ParseRfc3339(started_at);
  const auto ended = ParseRfc3339(ended_at);
  return started.ok() && ended.ok() ? *ended - *started : 0;
}

std::string RunReport::StreamsJson() const {
  JsonWriter w;
  w.BeginArray();
  for (const auto& s : streams) {
    if (!s.selected) {
      continue;
    }
    w.BeginObject()
        .Key("stream")
        .String(s.name)
        .Key("outcome")
        .String(StreamOutcomeName(s.outcome))
        .Key("rows_written")
        .Int(s.rows_written)
        .Key("rows_deleted")
        .Int(s.rows_deleted)
        .Key("pages")
        .Int(s.pages)
        .Key("requests")
        .Int(s.requests.requests)
        .Key("retries")
        .Int(s.requests.retries)
        .Key("rate_limited")
        .Int(s.requests.rate_limited)
        .Key("duration_ms")
        .Int(s.duration_ms);
    if (!s.message.empty()) {
      w.Key("message").String(s.message);
    }
    if (!s.warning.empty()) {
      w.Key("warning").String(s.warning);
    }
    w.EndObject();
  }
  w.EndArray();
  return w.Take();
}

std::string PadColumn(std::string s, size_t width) {
  s.append(s.size() < width ? width - s.size() : 1, ' ');
  return s;
}

std::string FormatSeconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(ms) / 1000.0);
  return buf;
}

namespace {

/// An estimate of the time left is shown once this share of the run is done, after this long.
constexpr double kEstimateFromShare = 0.05;
constexpr int64_t kEstimateFromMs = 1000;

}  // namespace

namespace {

/// A live line never wraps: a wrapped line could not be redrawn in place.
std::string CutToWidth(std::string line, size_t width) {
  if (line.size() > width && width > 3) {
    line.resize(width - 3);
    line += "...";
  }
  return line;
}

}  // namespace

std::string FormatDuration(int64_t ms) {
  const int64_t seconds = (std::max<int64_t>(ms, 0) + 500) / 1000;
  if (seconds < 60) {
    return std::to_string(seconds) + "s";
  }
  const int64_t minutes = seconds / 60;
  if (minutes < 60) {
    return std::to_string(minutes) + "m" + (seconds % 60 < 10 ? "0" : "") +
           std::to_string(seconds % 60) + "s";
  }
  return std::to_string(minutes / 60) + "h" + (minutes % 60 < 10 ? "0" : "") +
         std::to_string(minutes % 60) + "m";
}

std::string FormatProgress(const StreamReport& s, const ProgressView& view, size_t width) {
  std::string line = s.name + ": " + std::to_string(s.rows_written);
  // How far the stream is: of the list's total where the API says it, else of its partitions.
  double fraction = -1;
  if (s.total_entries >= 0) {
    line += "/" + std::to_string(s.total_entries);
    fraction = s.total_entries == 0 ? 1.0
                                    : std::min(1.0, static_cast<double>(s.rows_written) /
                                                        static_cast<double>(s.total_entries));
  }
  line += " rows, " + std::to_string(s.pages) + " pages, " + std::to_string(s.requests.requests) +
          " requests";
  if (s.total_entries < 0 && s.partitions > 1) {
    const StreamSpec* spec = FindStream(s.name);
    line += ", " + std::to_string(s.partitions_read) + "/" + std::to_string(s.partitions) + " " +
            (spec != nullptr && spec->partitioning == Partitioning::kMonth ? std::string("months")
             : spec != nullptr && !spec->parent.empty() ? std::string(spec->parent)
                                                        : std::string("parts")) +
            " read";
    fraction = static_cast<double>(s.partitions_read) / static_cast<double>(s.partitions);
  }
  if (s.requests.retries > 0) {
    line += ", " + std::to_string(s.requests.retries) + " retries";
  }
  if (s.requests.waited_ms > 0) {
    line += ", " + FormatSeconds(s.requests.waited_ms) + " waiting on the rate limit";
  }
  line += " | " + std::to_string(view.streams_done) + "/" + std::to_string(view.streams_selected) +
          " streams done, " + FormatDuration(view.elapsed_ms);
  // The estimate: the run's share done so far (finished streams, and this one's fraction),
  // projected at the pace so far; only once there is enough of it to mean something.
  if (view.streams_selected > 0) {
    const double done = (view.streams_done + std::max(fraction, 0.0)) / view.streams_selected;
    if (done >= kEstimateFromShare && done < 1.0 && view.elapsed_ms >= kEstimateFromMs) {
      const auto left =
          static_cast<int64_t>(static_cast<double>(view.elapsed_ms) * (1 - done) / done);
      line += ", about " + FormatDuration(left) + " left";
    }
  }
  return CutToWidth(std::move(line), width);
}

std::string FormatReadingAhead(const StreamReport& stream, size_t width) {
  if (stream.reading_ahead.empty()) {
    return "";
  }
  std::string line = "reading ahead:";
  for (const ReadAhead& r : stream.reading_ahead) {
    line += (&r == &stream.reading_ahead.front() ? " " : ", ") + r.name + " " +
            std::to_string(r.partitions_read) + "/" + std::to_string(r.partitions);
  }
  return CutToWidth(std::move(line), width);
}

std::string WrapText(std::string_view text, size_t width, size_t indent) {
  std::string out;
  size_t column = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view word = text.substr(pos, end - pos);
    pos = end + 1;
    if (column > 0) {
      // A word longer than any line (a URL, an id) starts where it is and is cut at the line's
      // end; any other word that does not fit starts the next line.
      const bool fits = column + 1 + word.size() <= width;
      const bool too_long = word.size() + indent > width;
      if (fits || (too_long && column + 1 < width)) {
        out += ' ';
        ++column;
      } else {
        out += "\n" + std::string(indent, ' ');
        column = indent;
      }
    }
    while (column + word.size() > width && column < width) {
      out += word.substr(0, width - column);
      word.remove_prefix(width - column);
      out += "\n" + std::string(indent, ' ');
      column = indent;
    }
    out += word;
    column += word.size();
  }
  return out;
}

std::string FormatSummary(const RunReport& report) {
  // The stream column is as wide as the longest selected name, so the table keeps within 100
  // columns even with every stream; what does not fit a row (why a stream failed or was not
  // entitled) follows the table.
  size_t name_width = 8;
  for (const auto& s : report.streams) {
    if (s.selected) {
      name_width = std::max(name_width, s.name.size() + 2);
    }
  }
  // Unknown without history, except that nothing written changed nothing.
  auto changed_text = [](int64_t added, int64_t updated, int64_t written) {
    return added >= 0 ? std::to_string(added + updated)
                      : (written == 0 ? std::string("0") : std::string("-"));
  };
  std::string out;
  out += PadColumn("stream", name_width) + PadColumn("rows", 8) + PadColumn("changed", 8) +
         PadColumn("deleted", 8) + PadColumn("requests", 9) + PadColumn("retries", 8) +
         PadColumn("time", 7) + "outcome\n";
  int64_t rows = 0;
  int64_t added = -1;
  int64_t updated = 0;
  int64_t deleted = 0;
  int64_t requests = 0;
  int64_t retries = 0;
  std::map<std::string_view, int> outcomes;
  std::string notes;
  std::string not_entitled;
  int selected = 0;
  for (const auto& s : report.streams) {
    if (!s.selected) {
      continue;
    }
    ++selected;
    out += PadColumn(s.name, name_width) + PadColumn(std::to_string(s.rows_written), 8) +
           PadColumn(changed_text(s.rows_added, s.rows_updated, s.rows_written), 8) +
           PadColumn(std::to_string(s.rows_deleted), 8) +
           PadColumn(std::to_string(s.requests.requests), 9) +
           PadColumn(std::to_string(s.requests.retries), 8) +
           PadColumn(FormatSeconds(s.duration_ms), 7) + std::string(StreamOutcomeName(s.outcome)) +
           "\n";
    rows += s.rows_written;
    if (s.rows_added >= 0) {
      added = std::max<int64_t>(added, 0) + s.rows_added;
      updated += s.rows_updated;
    }
    deleted += s.rows_deleted;
    requests += s.requests.requests;
    retries += s.requests.retries;
    ++outcomes[StreamOutcomeName(s.outcome)];
    if (s.outcome == StreamOutcome::kNotEntitled) {
      // One reason for them all: the plan; each stream names the feature it lacks.
      const StreamSpec* spec = FindStream(s.name);
      not_entitled += (not_entitled.empty() ? "" : "; ") + s.name;
      if (spec != nullptr && !spec->entitlement.empty()) {
        not_entitled += " needs " + std::string(spec->entitlement);
      }
    } else if (!s.message.empty()) {
      notes += WrapText(s.name + ": " + std::string(StreamOutcomeName(s.outcome)) + ": " +
                            MaskSecrets(s.message),
                        kSummaryWidth, 4) +
               "\n";
    }
  }
  const int64_t wall = report.WallMs();
  out += PadColumn("total", name_width) + PadColumn(std::to_string(rows), 8) +
         PadColumn(changed_text(added, updated, rows), 8) + PadColumn(std::to_string(deleted), 8) +
         PadColumn(std::to_string(requests), 9) + PadColumn(std::to_string(retries), 8) +
         PadColumn(FormatSeconds(wall), 7) + report.StatusName() + "\n";
  out += notes;
  if (!not_entitled.empty()) {
    out += WrapText(
               "not_entitled: the workspace's plan does not include what these streams read, "
               "so their tables exist, empty: " +
                   not_entitled + ".",
               kSummaryWidth, 4) +
           "\n";
  }
  if (added >= 0) {
    out += "changes: " + std::to_string(added) + " added, " + std::to_string(updated) +
           " updated, " + std::to_string(deleted) +
           " deleted (rows written: " + std::to_string(rows) + "; segsync changes lists them)\n";
  }
  std::string counts;
  for (const auto& [outcome, count] : outcomes) {
    counts += (counts.empty() ? "" : ", ") + std::to_string(count) + " " + std::string(outcome);
  }
  out += std::string("run") + (report.run_id ? " " + std::to_string(*report.run_id) : "") + ": " +
         report.StatusName() + " in " + FormatSeconds(wall) + ", " + std::to_string(selected) +
         " streams: " + counts + "\n";
  return out;
}

}  // namespace segsync
