// SPDX-License-Identifier: Apache-2.0
// Draw the report: HTML tables beside inline SVG charts, every destination value escaped.
#include "report/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace segsync {
namespace {

// Inside the viewBox: room for the y labels on the left and the x labels below.
constexpr double kLeft = 64;
constexpr double kRight = 12;
constexpr double kTop = 12;
constexpr double kBottom = 28;
constexpr int kYTicks = 4;
constexpr double kLabelWidth = 200;  // horizontal bars: the names' column
constexpr size_t kBarLabelBytes = 27;

/// A coordinate as SVG text: finite, clamped to the chart, one decimal.
std::string Coord(double value, double limit) {
  if (!std::isfinite(value)) {
    value = 0;
  }
  value = std::clamp(value, 0.0, limit);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

std::string X(double value) { return Coord(value, kChartWidth); }
std::string Y(double value) { return Coord(value, kChartHeight); }

/// The smallest 1, 2 or 5 times a power of ten at or above `value` (1 for nothing).
double NiceCeiling(double value) {
  if (!(value > 0) || !std::isfinite(value)) {
    return 1;
  }
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (const double step : {1.0, 2.0, 5.0, 10.0}) {
    if (value <= step * power) {
      return step * power;
    }
  }
  return 10 * power;
}

/// The largest value of the bars, at least 0.
double Largest(const std::vector<std::pair<std::string, double>>& bars) {
  double largest = 0;
  for (const auto& bar : bars) {
    largest = std::max(largest, bar.second);
  }
  return largest;
}

/// A number for an axis label: 1.5k, 2M.
std::string Short(double value) {
  const char* suffix = "";
  for (const char* next : {"k", "M", "G", "T"}) {
    if (std::fabs(value) < 1000) {
      break;
    }
    value /= 1000;
    suffix = next;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, value == std::floor(value) ? "%.0f%s" : "%.1f%s", value,
                suffix);
  return buffer;
}

std::string SvgOpen(std::string_view title, std::string_view css_class) {
  return "<svg class=\"chart " + std::string(css_class) + "\" viewBox=\"0 0 " +
         std::to_string(kChartWidth) + " " + std::to_string(kChartHeight) +
         "\" role=\"img\"><title>" + HtmlEscape(title) + "</title>";
}

/// Horizontal grid lines and their labels for y in [0, y_max].
std::string YAxis(double y_max) {
  std::string out;
  const double height = kChartHeight - kTop - kBottom;
  for (int i = 0; i <= kYTicks; ++i) {
    const double value = y_max * i / kYTicks;
    const double y = kTop + height - height * i / kYTicks;
    out += "<line class=\"grid\" x1=\"" + X(kLeft) + "\" x2=\"" + X(kChartWidth - kRight) +
           "\" y1=\"" + Y(y) + "\" y2=\"" + Y(y) + "\"/><text class=\"axis\" x=\"" + X(kLeft - 6) +
           "\" y=\"" + Y(y + 4) + "\" text-anchor=\"end\">" + Short(value) + "</text>";
  }
  return out;
}

std::string Cell(std::string_view text, bool number = false) {
  return std::string(number ? "<td class=\"num\">" : "<td>") + HtmlEscape(text) + "</td>";
}

std::string NumberCell(int64_t value) { return Cell(FormatCount(value), true); }

/// Whether a name shows anything (the API allows " ").
bool Blank(std::string_view name) {
  return name.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// The name, or the id where the name shows nothing.
std::string LabelOf(std::string_view name, std::string_view id) {
  return std::string(Blank(name) ? id : name);
}

/// "Name (id)", or the id alone where there is no name.
std::string Named(std::string_view name, std::string_view id) {
  if (Blank(name)) {
    return HtmlEscape(id.empty() ? "(none)" : id);
  }
  return HtmlEscape(name) + " <span class=\"id\">" + HtmlEscape(id) + "</span>";
}

std::string MissingParagraph(std::string_view why) {
  return "<p class=\"missing\">" + HtmlEscape(why) + "</p>";
}

std::string Duration(int64_t ms) {
  char buffer[48];
  if (ms < 60'000) {
    std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else {
    std::snprintf(buffer, sizeof buffer, "%lldm %llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>((ms % 60'000) / 1000));
  }
  return buffer;
}

std::string Percent(double share) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f%%", share * 100.0);
  return buffer;
}

/// The day's value in a series, if it has that day.
std::optional<int64_t> OnDay(const std::vector<DayValue>& days, int day) {
  for (const DayValue& value : days) {
    if (value.day == day) {
      return value.value;
    }
  }
  return std::nullopt;
}

std::vector<std::pair<double, double>> Points(const std::vector<DayValue>& days) {
  std::vector<std::pair<double, double>> points;
  points.reserve(days.size());
  for (const DayValue& value : days) {
    points.emplace_back(value.day, static_cast<double>(value.value));
  }
  return points;
}

/// A day's own calls: the cumulative figure less the day before's (the first day: its own).
std::vector<std::pair<int, int64_t>> DailyIncrements(const std::vector<DayValue>& cumulative) {
  std::vector<std::pair<int, int64_t>> out;
  int64_t before = 0;
  int previous_day = 0;
  for (const DayValue& value : cumulative) {
    // A missing day in between: the difference spans it, so it is given to the later day.
    out.emplace_back(value.day, previous_day == 0 ? value.value : value.value - before);
    before = value.value;
    previous_day = value.day;
  }
  return out;
}

std::string UsageHtml(const UsageSection& usage) {
  const std::string month = usage.month.Text();
  const std::string previous = usage.month.Previous().Text();
  std::string out = "<section id=\"usage\" aria-labelledby=\"usage-h\"><h2 id=\"usage-h\">Usage " +
                    HtmlEscape(month) + "</h2>";

  out += "<h3>Monthly tracked users, cumulative by day, against " + HtmlEscape(previous) + "</h3>";
  if (!usage.mtu_missing.empty()) {
    out += MissingParagraph(usage.mtu_missing);
  } else {
    std::vector<ChartSeries> series = {{month, "s1", Points(usage.mtu)}};
    if (!usage.mtu_previous.empty()) {
      series.push_back({previous, "s2", Points(usage.mtu_previous)});
    }
    out += "<div class=\"pair\"><figure>" +
           LineChartSvg("MTUs of " + month + " and " + previous + " by day of month", series, 1,
                        std::max(usage.month.Days(), usage.month.Previous().Days())) +
           "<figcaption><span class=\"key s1\"></span>" + HtmlEscape(month) +
           " <span class=\"key s2\"></span>" + HtmlEscape(previous) +
           (usage.mtu_previous.empty() ? " (no data)" : "") + "</figcaption></figure>";
    out +=
        "<table id=\"usage-mtu\"><caption>MTUs by day (cumulative)</caption><thead><tr>"
        "<th>day</th><th>" +
        HtmlEscape(month) + "</th><th>" + HtmlEscape(previous) +
        " same day</th></tr></thead><tbody>";
    for (const DayValue& value : usage.mtu) {
      const auto before = OnDay(usage.mtu_previous, value.day);
      out += "<tr>" + Cell(std::to_string(value.day), true) + NumberCell(value.value) +
             (before ? NumberCell(*before) : Cell("", true)) + "</tr>";
    }
    out += "</tbody></table></div>";
  }

  out += "<h3>API calls per day</h3>";
  if (!usage.api_missing.empty()) {
    out += MissingParagraph(usage.api_missing);
  } else {
    const auto increments = DailyIncrements(usage.api_calls);
    std::vector<std::pair<std::string, double>> bars;
    bars.reserve(increments.size());
    for (const auto& [day, calls] : increments) {
      bars.emplace_back(std::to_string(day), static_cast<double>(calls));
    }
    out += "<div class=\"pair\"><figure>" + ColumnChartSvg("API calls per day of " + month, bars) +
           "</figure>";
    out +=
        "<table id=\"usage-api\"><caption>API calls by day</caption><thead><tr><th>day</th>"
        "<th>that day</th><th>cumulative</th></tr></thead><tbody>";
    for (size_t i = 0; i < increments.size(); ++i) {
      out += "<tr>" + Cell(std::to_string(increments[i].first), true) +
             NumberCell(increments[i].second) + NumberCell(usage.api_calls[i].value) + "</tr>";
    }
    out += "</tbody></table></div>";
  }

  const auto top = [&](std::string_view heading, std::string_view id, std::string_view what,
                       const std::vector<NamedValue>& sources, const std::string& missing) {
    out += "<h3>" + HtmlEscape(heading) + "</h3>";
    if (!missing.empty()) {
      out += MissingParagraph(missing);
      return;
    }
    std::vector<std::pair<std::string, double>> bars;
    bars.reserve(sources.size());
    for (const NamedValue& source : sources) {
      bars.emplace_back(LabelOf(source.name, source.id), static_cast<double>(source.value));
    }
    out += "<div class=\"pair\"><figure>" + BarChartSvg(heading, bars) + "</figure>";
    out += "<table id=\"" + std::string(id) + "\"><caption>" + HtmlEscape(heading) +
           "</caption><thead><tr><th>source</th><th>" + HtmlEscape(what) +
           "</th></tr></thead><tbody>";
    for (const NamedValue& source : sources) {
      out +=
          "<tr><td>" + Named(source.name, source.id) + "</td>" + NumberCell(source.value) + "</tr>";
    }
    out += "</tbody></table></div>";
  };
  top("Top sources by MTUs in " + month, "top-mtu", "MTUs", usage.top_mtu, usage.top_mtu_missing);
  top("Top sources by API calls in " + month, "top-api", "API calls", usage.top_api,
      usage.top_api_missing);
  return out + "</section>";
}

std::string DeliveryHtml(const DeliverySection& delivery) {
  std::string out =
      "<section id=\"delivery\" aria-labelledby=\"delivery-h\"><h2 id=\"delivery-h\">Delivery "
      "health</h2>";
  if (!delivery.missing.empty()) {
    return out + MissingParagraph(delivery.missing) + "</section>";
  }
  out += "<p>Per destination, over the window the latest sync asked for (" +
         HtmlEscape(delivery.window_start) + " to " + HtmlEscape(delivery.window_end) +
         "), worst first: the share not delivered is (failed + discarded) of all. Failed is the "
         "metric <code>expired</code>: retried until given up.</p>";
  std::vector<std::pair<std::string, double>> bars;
  for (const DeliveryRow& row : delivery.rows) {
    if (bars.size() < kTopSources) {
      bars.emplace_back(LabelOf(row.destination_name, row.destination_id),
                        row.NotDeliveredShare() * 100.0);
    }
  }
  out +=
      "<figure>" + BarChartSvg("Share not delivered (%), worst destinations", bars) + "</figure>";
  out +=
      "<div class=\"scroll\"><table id=\"delivery-table\"><caption>Delivery by "
      "destination</caption><thead><tr>"
      "<th>destination</th><th>source</th><th>delivered</th><th>discarded</th>"
      "<th>retried</th><th>failed</th><th>not delivered</th></tr></thead><tbody>";
  for (const DeliveryRow& row : delivery.rows) {
    out += "<tr><td>" + Named(row.destination_name, row.destination_id) + "</td><td>" +
           Named(row.source_name, row.source_id) + "</td>" + NumberCell(row.delivered) +
           NumberCell(row.discarded) + NumberCell(row.retried) + NumberCell(row.failed) +
           Cell(Percent(row.NotDeliveredShare()), true) + "</tr>";
  }
  return out + "</tbody></table></div></section>";
}

std::string ResourceList(std::string_view heading, std::string_view id,
                         const std::vector<Resource>& resources) {
  std::string out = "<h3>" + HtmlEscape(heading) + " (" +
                    FormatCount(static_cast<int64_t>(resources.size())) + ")</h3>";
  if (resources.empty()) {
    return out + "<p class=\"none\">None.</p>";
  }
  out += "<div class=\"scroll\"><table id=\"" + std::string(id) +
         "\"><thead><tr><th>kind</th><th>name</th></tr></thead>"
         "<tbody>";
  for (size_t i = 0; i < resources.size() && i < kListedResources; ++i) {
    out += "<tr>" + Cell(resources[i].kind) + "<td>" + Named(resources[i].name, resources[i].id) +
           "</td></tr>";
  }
  out += "</tbody></table></div>";
  if (resources.size() > kListedResources) {
    out += "<p>and " + FormatCount(static_cast<int64_t>(resources.size() - kListedResources)) +
           " more.</p>";
  }
  return out;
}

std::string InventoryHtml(const InventorySection& inventory) {
  std::string out =
      "<section id=\"inventory\" aria-labelledby=\"inventory-h\"><h2 id=\"inventory-h\">"
      "Inventory</h2>";
  if (!inventory.missing.empty()) {
    return out + MissingParagraph(inventory.missing) + "</section>";
  }
  out +=
      "<table id=\"inventory-counts\"><caption>What the workspace holds (rows not marked "
      "deleted)</caption><thead><tr><th>resource</th><th>count</th></tr></thead><tbody>";
  for (const InventoryCount& count : inventory.counts) {
    out += "<tr>" + Cell(count.label) +
           (count.count ? NumberCell(*count.count)
                        : Cell("not synced (no table " + count.table + ")", true)) +
           "</tr>";
  }
  out += "</tbody></table>";
  out += ResourceList("Disabled", "inventory-disabled", inventory.disabled);
  out += ResourceList("Sources with no destination", "inventory-lonely-sources",
                      inventory.sources_without_destination);
  out += ResourceList("Destinations whose source is gone", "inventory-orphans",
                      inventory.destinations_without_source);
  return out + "</section>";
}

std::string ChangesHtml(const ChangesSection& changes) {
  std::string out =
      "<section id=\"changes\" aria-labelledby=\"changes-h\"><h2 id=\"changes-h\">Changes</h2>";
  if (!changes.missing.empty()) {
    return out + MissingParagraph(changes.missing) + "</section>";
  }
  out += "<p>Detected since " + HtmlEscape(changes.since) + " (" + std::to_string(kChangeDays) +
         " days before the latest run ended), by run, newest first. " +
         (changes.who_missing.empty()
              ? std::string("Who: the audit events about the resource since the run before.")
              : "Who made them is unknown. " + HtmlEscape(changes.who_missing)) +
         " <code>segsync changes --since TIME</code> lists every change.</p>";
  out +=
      "<table id=\"changes-runs\"><caption>Changes by run</caption><thead><tr><th>run</th>"
      "<th>started</th><th>changes</th><th>added</th><th>updated</th><th>deleted</th>"
      "<th>restored</th></tr></thead><tbody>";
  for (const RunChanges& run : changes.runs) {
    out += "<tr>" +
           Cell(run.run_id == 0 ? std::string("(unrecorded)") : std::to_string(run.run_id), true) +
           Cell(run.started_at) + NumberCell(run.total) + NumberCell(run.added) +
           NumberCell(run.updated) + NumberCell(run.deleted) + NumberCell(run.restored) + "</tr>";
  }
  out += "</tbody></table>";
  for (const RunChanges& run : changes.runs) {
    out += "<details" + std::string(&run == &changes.runs.front() ? " open" : "") + "><summary>" +
           (run.run_id == 0
                ? std::string("A run that recorded no row")
                : "Run " + std::to_string(run.run_id) + ", started " + HtmlEscape(run.started_at)) +
           ": " + FormatCount(run.total) + " changes" +
           (run.total > static_cast<int64_t>(run.shown.size())
                ? ", the first " + std::to_string(run.shown.size()) + " shown"
                : std::string()) +
           "</summary><table class=\"changes\"><thead><tr><th>detected</th><th>stream</th>"
           "<th>change</th><th>resource</th><th>fields</th><th>who</th></tr></thead><tbody>";
    for (const ChangeLine& line : run.shown) {
      std::string fields;
      for (const std::string& field : line.fields) {
        fields += "<div>" + HtmlEscape(field) + "</div>";
      }
      std::string who;
      for (const std::string& entry : line.who) {
        who += "<div>" + HtmlEscape(entry) + "</div>";
      }
      out += "<tr>" + Cell(line.detected_at) + Cell(line.stream) + Cell(line.kind) + "<td>" +
             Named(line.name, line.key) + "</td><td>";
      out += fields;
      out += "</td><td>";
      out += who;
      out += "</td></tr>";
    }
    out += "</tbody></table></details>";
  }
  return out + "</section>";
}

std::string RunsHtml(const RunsSection& runs) {
  std::string out = "<section id=\"runs\" aria-labelledby=\"runs-h\"><h2 id=\"runs-h\">Runs</h2>";
  if (!runs.missing.empty()) {
    return out + MissingParagraph(runs.missing) + "</section>";
  }
  out +=
      "<table id=\"runs-table\"><caption>The latest syncs (_segsync_runs)</caption><thead><tr>"
      "<th>run</th><th>started</th><th>duration</th><th>status</th><th>requests</th>"
      "<th>streams by outcome</th></tr></thead><tbody>";
  for (const RunRow& run : runs.runs) {
    std::map<std::string, int> outcomes;
    for (const StreamRun& stream : run.streams) {
      ++outcomes[stream.outcome];
    }
    std::string by_outcome;
    for (const auto& [outcome, count] : outcomes) {
      by_outcome += (by_outcome.empty() ? "" : ", ") + std::to_string(count) + " " + outcome;
    }
    out += "<tr>" + Cell(std::to_string(run.run_id), true) + Cell(run.started_at) +
           Cell(run.duration_ms ? Duration(*run.duration_ms) : std::string("unknown"), true) +
           Cell(run.status) + NumberCell(run.requests) + Cell(by_outcome) + "</tr>";
  }
  out += "</tbody></table>";
  const RunRow& latest = runs.runs.front();
  out += "<h3>Run " + std::to_string(latest.run_id) +
         " by stream</h3><table id=\"runs-latest\"><thead><tr><th>stream</th><th>outcome</th>"
         "<th>rows</th><th>requests</th><th>time</th><th>message</th></tr></thead><tbody>";
  for (const StreamRun& stream : latest.streams) {
    out += "<tr" + std::string(stream.outcome == "ok" ? "" : " class=\"bad\"") + ">" +
           Cell(stream.stream) + Cell(stream.outcome) + NumberCell(stream.rows) +
           NumberCell(stream.requests) + Cell(Duration(stream.duration_ms), true) +
           Cell(stream.message) + "</tr>";
  }
  return out + "</tbody></table></section>";
}

constexpr std::string_view kStyle = R"(
:root{--ink:#1d2330;--muted:#5d6778;--line:#d9dee7;--s1:#2563eb;--s2:#9aa4b5;--bar:#0f766e;--bad:#b42318}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:#f6f7f9}
header{background:#111827;color:#fff;padding:20px 32px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#cbd2dc}
nav a{color:#93c5fd;margin-right:16px}
main{max-width:1180px;margin:0 auto;padding:8px 32px 48px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 24px 20px;margin:20px 0}
h2{font-size:19px;border-bottom:1px solid var(--line);padding-bottom:6px}
h3{font-size:15px;margin:20px 0 8px}
.pair{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:0;flex:1 1 560px;max-width:680px}
figcaption{color:var(--muted);font-size:13px}
.pair table{flex:0 1 360px;max-height:320px;overflow:auto;display:block}
svg.chart{width:100%;height:auto;display:block}
.grid{stroke:var(--line);stroke-width:1}
.axis{fill:var(--muted);font-size:11px}
.label{fill:var(--ink);font-size:12px}
.line{fill:none;stroke-width:2.5}
.s1{stroke:var(--s1);fill:var(--s1)}
.s2{stroke:var(--s2);fill:var(--s2)}
polyline.s1,polyline.s2{fill:none}
.bar{fill:var(--bar)}
.key{display:inline-block;width:18px;height:4px;vertical-align:middle;margin:0 4px 0 10px}
.key.s1{background:var(--s1)}.key.s2{background:var(--s2)}
table{border-collapse:collapse;font-size:13px;margin:4px 0 8px}
caption{text-align:left;color:var(--muted);padding-bottom:4px;white-space:nowrap}
th,td{border-bottom:1px solid var(--line);padding:3px 10px;text-align:left;vertical-align:top}
th{background:#f1f3f6;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.id{color:var(--muted);font-size:11px}
.missing{background:#fff7e6;border-left:4px solid #f0a500;padding:8px 12px}
.none{color:var(--muted)}
tr.bad td{color:var(--bad)}
details{margin:10px 0}
summary{cursor:pointer;font-weight:600}
code{background:#f1f3f6;padding:0 4px;border-radius:3px}
.scroll{max-height:440px;overflow:auto;display:inline-block;max-width:100%}
)";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatCount(int64_t value) {
  const uint64_t magnitude =
      value < 0 ? static_cast<uint64_t>(-(value + 1)) + 1 : static_cast<uint64_t>(value);
  const std::string digits = std::to_string(magnitude);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string LineChartSvg(std::string_view title, const std::vector<ChartSeries>& series,
                         double x_min, double x_max) {
  double y_max = 0;
  bool any = false;
  for (const ChartSeries& line : series) {
    for (const auto& [x, y] : line.points) {
      y_max = std::max(y_max, y);
      any = true;
    }
  }
  if (!any) {
    return "";
  }
  y_max = NiceCeiling(y_max);
  const double width = kChartWidth - kLeft - kRight;
  const double height = kChartHeight - kTop - kBottom;
  const double span = x_max > x_min ? x_max - x_min : 1;
  const auto px = [&](double x) { return kLeft + (x - x_min) / span * width; };
  const auto py = [&](double y) { return kTop + height - std::max(y, 0.0) / y_max * height; };
  std::string out = SvgOpen(title, "line-chart") + YAxis(y_max);
  // x labels: the first day, every fifth, and the last unless a fifth is next to it.
  const int first = static_cast<int>(x_min);
  const int last = static_cast<int>(x_max);
  for (int x = first; x <= last; ++x) {
    if (x == first || x % 5 == 0 || (x == last && last % 5 > 1)) {
      out += "<text class=\"axis\" x=\"" + X(px(x)) + "\" y=\"" + Y(kChartHeight - 10) +
             "\" text-anchor=\"middle\">" + std::to_string(x) + "</text>";
    }
  }
  // The later series first, so the first (the month shown) is drawn on top.
  for (auto line = series.rbegin(); line != series.rend(); ++line) {
    std::string points;
    for (const auto& [x, y] : line->points) {
      if (!points.empty()) {
        points += ' ';
      }
      points += X(px(x));
      points += ',';
      points += Y(py(y));
    }
    const std::string css = HtmlEscape(line->css_class);
    out += "<polyline class=\"line " + css + "\" points=\"";
    out += points;
    out += "\"><title>" + HtmlEscape(line->label) + "</title></polyline>";
    for (const auto& [x, y] : line->points) {
      out += "<circle class=\"" + css + "\" cx=\"" + X(px(x)) + "\" cy=\"" + Y(py(y)) +
             "\" r=\"2.5\"/>";
    }
  }
  return out + "</svg>";
}

std::string ColumnChartSvg(std::string_view title,
                           const std::vector<std::pair<std::string, double>>& bars) {
  if (bars.empty()) {
    return "";
  }
  const double y_max = NiceCeiling(Largest(bars));
  const double width = kChartWidth - kLeft - kRight;
  const double height = kChartHeight - kTop - kBottom;
  const double slot = width / static_cast<double>(bars.size());
  std::string out = SvgOpen(title, "column-chart") + YAxis(y_max);
  for (size_t i = 0; i < bars.size(); ++i) {
    const double value = std::max(bars[i].second, 0.0);
    const double h = value / y_max * height;
    const double x = kLeft + slot * static_cast<double>(i);
    out += "<rect class=\"bar\" x=\"" + X(x + slot * 0.15) + "\" y=\"" + Y(kTop + height - h) +
           "\" width=\"" + X(slot * 0.7) + "\" height=\"" + Y(h) + "\"><title>" +
           HtmlEscape(bars[i].first) + ": " + FormatCount(std::llround(value)) + "</title></rect>";
    const bool labelled = bars.size() <= 16 || i == 0 || (i + 1) % 5 == 0 || i + 1 == bars.size();
    if (labelled) {
      out += "<text class=\"axis\" x=\"" + X(x + slot / 2) + "\" y=\"" + Y(kChartHeight - 10) +
             "\" text-anchor=\"middle\">" + HtmlEscape(bars[i].first) + "</text>";
    }
  }
  return out + "</svg>";
}

std::string BarChartSvg(std::string_view title,
                        const std::vector<std::pair<std::string, double>>& bars) {
  if (bars.empty()) {
    return "";
  }
  const double x_max = std::max(Largest(bars), 1e-9);
  const double width = kChartWidth - kLabelWidth - kRight - 96;  // room for the value
  const double row = (kChartHeight - kTop * 2) / static_cast<double>(bars.size());
  std::string out = SvgOpen(title, "bar-chart");
  for (size_t i = 0; i < bars.size(); ++i) {
    const double value = std::max(bars[i].second, 0.0);
    const double y = kTop + row * static_cast<double>(i);
    const double w = value / x_max * width;
    const std::string label = Abbreviate(bars[i].first, kBarLabelBytes);
    out += "<text class=\"label\" x=\"" + X(kLabelWidth - 8) + "\" y=\"" + Y(y + row * 0.5 + 4) +
           "\" text-anchor=\"end\">" + HtmlEscape(label) + "</text>";
    out += "<rect class=\"bar\" x=\"" + X(kLabelWidth) + "\" y=\"" + Y(y + row * 0.15) +
           "\" width=\"" + X(w) + "\" height=\"" + Y(row * 0.7) + "\"><title>" +
           HtmlEscape(bars[i].first) + "</title></rect>";
    char value_text[32];
    std::snprintf(value_text, sizeof value_text, value == std::floor(value) ? "%.0f" : "%.2f",
                  value);
    const std::string shown = value == std::floor(value) && value < 9e15
                                  ? FormatCount(static_cast<int64_t>(value))
                                  : std::string(value_text);
    out += "<text class=\"axis\" x=\"" + X(kLabelWidth + w + 6) + "\" y=\"" + Y(y + row * 0.5 + 4) +
           "\">" + shown + "</text>";
  }
  return out + "</svg>";
}

std::string RenderReportHtml(const ReportData& data) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  out += kReportGenerator;
  // Nothing may load: no script, no network; styles only from the page itself.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\"><title>segsync report: " +
      HtmlEscape(data.destination) + "</title><style>" + std::string(kStyle) +
      "</style></head><body><header><h1>Segment workspace report</h1><p>" +
      HtmlEscape(data.destination) + " &middot; generated " + HtmlEscape(data.generated_at) +
      " by segsync report &middot; usage month " + HtmlEscape(data.usage.month.Text()) +
      "</p><nav><a href=\"#usage\">Usage</a><a href=\"#delivery\">Delivery health</a>"
      "<a href=\"#inventory\">Inventory</a><a href=\"#changes\">Changes</a>"
      "<a href=\"#runs\">Runs</a></nav></header><main>";
  out += UsageHtml(data.usage);
  out += DeliveryHtml(data.delivery);
  out += InventoryHtml(data.inventory);
  out += ChangesHtml(data.changes);
  out += RunsHtml(data.runs);
  return out + "</main></body></html>\n";
}

}  // namespace segsync
