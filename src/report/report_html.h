// SPDX-License-Identifier: Apache-2.0
// The report as one self-contained HTML page: inline CSS, inline SVG charts, no script.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "report/report_data.h"

namespace segsync {

/// The size every chart's viewBox has; everything drawn stays inside it.
inline constexpr int kChartWidth = 640;
inline constexpr int kChartHeight = 240;

/// The mark every report carries in its <head>: `demo` replaces only an HTML file with it.
inline constexpr std::string_view kReportGenerator =
    "<meta name=\"generator\" content=\"segsync\">";

/// `text` safe inside an element or a quoted attribute: & < > " ' escaped.
std::string HtmlEscape(std::string_view text);

/// 1234567 as "1,234,567".
std::string FormatCount(int64_t value);

/// One line of a line chart: (x, y) points, in x order.
struct ChartSeries {
  std::string label;
  std::string css_class;  // the line's colour (CSS class of the page)
  std::vector<std::pair<double, double>> points;
};

/// Lines over x in [x_min, x_max] and y from 0; "" when no series has a point.
std::string LineChartSvg(std::string_view title, const std::vector<ChartSeries>& series,
                         double x_min, double x_max);
/// One vertical bar per (label, value), in order; "" when there is none.
std::string ColumnChartSvg(std::string_view title,
                           const std::vector<std::pair<std::string, double>>& bars);
/// One horizontal bar per (label, value), labels on the left; "" when there is none.
std::string BarChartSvg(std::string_view title,
                        const std::vector<std::pair<std::string, double>>& bars);

/// The whole page.
std::string RenderReportHtml(const ReportData& data);

}  // namespace segsync
