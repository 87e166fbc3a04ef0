// SPDX-License-Identifier: Apache-2.0
// The report's rendering: escaping, the sentences of empty sections, and charts in their bounds.
#include "report/report_html.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>

#include "report/report_data.h"

namespace segsync {
namespace {

constexpr std::string_view kHostile = "<script>alert('x')</script> & \"q\"";

/// Every number an SVG coordinate attribute holds. (A scan, not std::regex: GCC 12's
/// -Wmaybe-uninitialized fires inside <regex> in the sanitizer build.)
std::vector<std::pair<std::string, double>> Coordinates(const std::string& svg) {
  static const std::set<std::string, std::less<>> kNames{"x",  "y",  "x1", "x2",    "y1",
                                                         "y2", "cx", "cy", "width", "height"};
  const auto name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  };
  std::vector<std::pair<std::string, double>> out;
  size_t at = 0;
  while ((at = svg.find("=\"", at)) != std::string::npos) {
    size_t name_begin = at;
    while (name_begin > 0 && name_char(svg[name_begin - 1])) {
      --name_begin;
    }
    const std::string name = svg.substr(name_begin, at - name_begin);
    const size_t value_begin = at + 2;
    const size_t value_end = svg.find('"', value_begin);
    if (value_end == std::string::npos) {
      break;
    }
    const std::string value = svg.substr(value_begin, value_end - value_begin);
    if (kNames.contains(name)) {
      out.emplace_back(name, std::stod(value));
    } else if (name == "points") {
      std::istringstream pairs(value);
      std::string pair;
      while (pairs >> pair) {
        const size_t comma = pair.find(',');
        out.emplace_back("x", std::stod(pair.substr(0, comma)));
        out.emplace_back("y", std::stod(pair.substr(comma + 1)));
      }
    }
    at = value_end + 1;
  }
  return out;
}

/// The chart stays inside its viewBox and holds no NaN or infinity.
void ExpectInBounds(const std::string& svg) {
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(svg.find("nan"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("inf"), std::string::npos) << svg;
  EXPECT_NE(svg.find("viewBox=\"0 0 640 240\""), std::string::npos);
  const auto coordinates = Coordinates(svg);
  ASSERT_FALSE(coordinates.empty());
  for (const auto& [name, value] : coordinates) {
    EXPECT_TRUE(std::isfinite(value)) << name;
    EXPECT_GE(value, 0) << name << " in " << svg;
    const bool vertical = name.starts_with('y') || name == "cy" || name == "height";
    EXPECT_LE(value, vertical ? kChartHeight : kChartWidth) << name << " in " << svg;
  }
}

TEST(HtmlEscape, EscapesEveryCharacterThatCouldOpenMarkup) {
  EXPECT_EQ(HtmlEscape(kHostile),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  EXPECT_EQ(HtmlEscape("plain caf\u00e9"), "plain caf\u00e9");
}

TEST(FormatCount, GroupsThousands) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1234), "-1,234");
  EXPECT_EQ(FormatCount(INT64_MIN), "-9,223,372,036,854,775,808");
}

TEST(LineChart, NoPointDrawsNothing) {
  EXPECT_EQ(LineChartSvg("t", {}, 1, 31), "");
  EXPECT_EQ(LineChartSvg("t", {{"a", "s1", {}}}, 1, 31), "");
}

TEST(LineChart, OnePointStaysInBounds) {
  ExpectInBounds(LineChartSvg("t", {{"a", "s1", {{1, 5}}}}, 1, 1));
  ExpectInBounds(LineChartSvg("t", {{"a", "s1", {{1, 0}}}}, 1, 31));
}

TEST(LineChart, ManyPointsStayInBounds) {
  ChartSeries month{"2025-05", "s1", {}};
  ChartSeries before{"2025-04", "s2", {}};
  for (int day = 1; day <= 31; ++day) {
    month.points.emplace_back(day, day * 1e9);
    if (day <= 30) {
      before.points.emplace_back(day, day * 3.0);
    }
  }
  const std::string svg = LineChartSvg("MTUs", {month, before}, 1, 31);
  ExpectInBounds(svg);
  EXPECT_NE(svg.find("2025-05"), std::string::npos);
  // Points beyond the axis are clamped, not drawn outside.
  ExpectInBounds(LineChartSvg("t", {{"a", "s1", {{-3, -5}, {40, 1e300}}}}, 1, 31));
}

TEST(ColumnChart, ZeroOneAndManyBars) {
  EXPECT_EQ(ColumnChartSvg("t", {}), "");
  ExpectInBounds(ColumnChartSvg("t", {{"1", 0}}));
  ExpectInBounds(ColumnChartSvg("t", {{"1", 42}}));
  std::vector<std::pair<std::string, double>> bars;
  for (int day = 1; day <= 31; ++day) {
    bars.emplace_back(std::to_string(day), day % 3 == 0 ? 0 : day * 12345.0);
  }
  ExpectInBounds(ColumnChartSvg("t", bars));
}

TEST(BarChart, ZeroOneAndManyBarsWithHostileLabels) {
  EXPECT_EQ(BarChartSvg("t", {}), "");
  ExpectInBounds(BarChartSvg("t", {{std::string(kHostile), 0}}));
  const std::string svg = BarChartSvg(kHostile, {{std::string(kHostile), 7}, {"b", 1e12}});
  ExpectInBounds(svg);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  std::vector<std::pair<std::string, double>> bars;
  bars.reserve(10);
  for (int i = 0; i < 10; ++i) {
    bars.emplace_back(std::string(40, 'n') + std::to_string(i), i);
  }
  ExpectInBounds(BarChartSvg("t", bars));
}

ReportData EmptyReport() {
  ReportData data;
  data.destination = "SQLite file /tmp/x.db";
  data.generated_at = "2025-05-02T00:00:00.000Z";
  data.usage.month = {2025, 5};
  data.usage.mtu_missing = "Not synced: the destination has no table usage_mtu_workspace_daily.";
  data.usage.api_missing = "No data for 2025-05: usage_api_calls_workspace_daily holds none.";
  data.usage.top_mtu_missing = "Not entitled: needs a plan.";
  data.usage.top_api_missing = "No data yet: empty.";
  data.delivery.missing = "Not synced: delivery.";
  data.inventory.missing = "Not synced: inventory.";
  data.changes.missing = "No changes: none in 30 days.";
  data.runs.missing = "No data yet: _segsync_runs is empty.";
  return data;
}

TEST(RenderReport, EmptySectionsSayWhyAndDrawNoAxis) {
  const ReportData data = EmptyReport();
  const std::string html = RenderReportHtml(data);
  for (const std::string& why :
       {data.usage.mtu_missing, data.usage.api_missing, data.usage.top_mtu_missing,
        data.usage.top_api_missing, data.delivery.missing, data.inventory.missing,
        data.changes.missing, data.runs.missing}) {
    EXPECT_NE(html.find("<p class=\"missing\">" + HtmlEscape(why) + "</p>"), std::string::npos)
        << why;
  }
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  for (const char* section : {"usage", "delivery", "inventory", "changes", "runs"}) {
    EXPECT_NE(html.find("<section id=\"" + std::string(section) + "\""), std::string::npos);
  }
}

TEST(RenderReport, IsSelfContained) {
  const std::string html = RenderReportHtml(EmptyReport());
  EXPECT_TRUE(html.starts_with("<!DOCTYPE html>"));
  EXPECT_NE(html.find(kReportGenerator), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

TEST(RenderReport, EscapesEveryValueFromTheDestination) {
  const std::string bad(kHostile);
  ReportData data;
  data.destination = bad;
  data.generated_at = bad;
  data.usage.month = {2025, 5};
  data.usage.mtu = {{1, 10}, {2, 20}};
  data.usage.mtu_previous = {{1, 5}};
  data.usage.api_calls = {{1, 100}, {2, 250}};
  data.usage.top_mtu = {{bad, bad, 20}};
  data.usage.top_api = {{bad, "", 250}};
  DeliveryRow row;
  row.source_id = row.source_name = row.destination_id = row.destination_name = bad;
  row.delivered = 10;
  row.failed = 1;
  data.delivery.rows = {row};
  data.delivery.window_start = data.delivery.window_end = bad;
  data.inventory.counts = {{"sources", "sources", 1}, {"users", "users", std::nullopt}};
  data.inventory.disabled = {{"source", bad, bad}};
  data.inventory.sources_without_destination = {{"source", bad, bad}};
  data.inventory.destinations_without_source = {{"destination", bad, bad}};
  RunChanges run;
  run.run_id = 2;
  run.started_at = bad;
  run.total = run.updated = 1;
  run.shown = {{bad, bad, "updated", bad, bad, {bad}, {bad}}};
  data.changes.since = bad;
  data.changes.who_missing = bad;
  data.changes.runs = {run};
  data.runs.runs = {{2, bad, bad, 1500, bad, 3, {{bad, bad, 1, 3, 1500, bad}}}};
  const std::string html = RenderReportHtml(data);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("'x'"), std::string::npos);
  EXPECT_EQ(html.find("\"q\""), std::string::npos);
  EXPECT_NE(html.find(HtmlEscape(bad)), std::string::npos);
  // The numbers are there, and each chart has its table.
  for (const char* id : {"usage-mtu", "usage-api", "top-mtu", "top-api", "delivery-table",
                         "inventory-counts", "inventory-disabled", "changes-runs", "runs-table"}) {
    EXPECT_NE(html.find("id=\"" + std::string(id) + "\""), std::string::npos) << id;
  }
  EXPECT_NE(html.find("<td class=\"num\">150</td>"), std::string::npos);  // day 2's own calls
  EXPECT_NE(html.find("9.09%"), std::string::npos);                       // 1 of 11 not delivered
  EXPECT_NE(html.find("not synced (no table users)"), std::string::npos);
}

TEST(Abbreviate, CutsLongTextBetweenCharacters) {
  EXPECT_EQ(Abbreviate("short", 10), "short");
  EXPECT_EQ(Abbreviate("abcdefghij", 4), "abcd\u2026");
  // "é" is two bytes: a cut after its first byte backs off before it.
  EXPECT_EQ(Abbreviate("ab\u00e9cd", 3), "ab\u2026");
}

TEST(YearMonth, ParsesOnlyRealMonths) {
  EXPECT_EQ(ParseYearMonth("2025-05"), (YearMonth{2025, 5}));
  EXPECT_EQ(ParseYearMonth("2025-12")->Next(), (YearMonth{2026, 1}));
  EXPECT_EQ(ParseYearMonth("2025-01")->Previous(), (YearMonth{2024, 12}));
  EXPECT_EQ(ParseYearMonth("2024-02")->Days(), 29);
  for (const char* bad : {"", "2025-13", "2025-00", "2025-5", "25-05", "2025/05", "2025-05-01",
                          "abcd-ef", "2025-0x"}) {
    EXPECT_FALSE(ParseYearMonth(bad).has_value()) << bad;
  }
  EXPECT_EQ(MonthOf(ParseYearMonth("2025-03")->Start() + 1), (YearMonth{2025, 3}));
}

}  // namespace
}  // namespace segsync
