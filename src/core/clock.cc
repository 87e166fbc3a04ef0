// SPDX-License-Identifier: Apache-2.0
// The system clock, and parsing and formatting of dates and timestamps.
#include "core/clock.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <thread>

#include "core/cancel.h"

namespace segsync {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

struct Civil {
  int year;
  unsigned month;
  unsigned day;
};

Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int>(y + (m <= 2 ? 1 : 0)), m, d};
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool ParseInt(std::string_view s, int& out) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

constexpr std::array<std::string_view, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"Thu", "Fri", "Sat", "Sun",
                                                       "Mon", "Tue", "Wed"};

}  // namespace

UnixMillis SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void SystemClock::SleepFor(int64_t millis) {
  // Sleep in slices so that a stop request ends a long rate-limit wait promptly.
  constexpr int64_t kSliceMs = 50;
  while (millis > 0 && !CancelRequested()) {
    const int64_t slice = std::min(millis, kSliceMs);
    std::this_thread::sleep_for(std::chrono::milliseconds(slice));
    millis -= slice;
  }
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

int64_t DaysFromCivil(int year, unsigned month, unsigned day) {
  const int64_t y = static_cast<int64_t>(year) - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool IsValidDate(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) {
    return false;
  }
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  const int max_day = kDays[static_cast<size_t>(month - 1)] + ((month == 2 && leap) ? 1 : 0);
  return day <= max_day;
}

std::string FormatRfc3339Millis(UnixMillis t) {
  const int64_t days = FloorDiv(t, kMillisPerDay);
  const int64_t ms_of_day = t - days * kMillisPerDay;
  const Civil c = CivilFromDays(days);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                static_cast<int>(ms_of_day / 3'600'000), static_cast<int>(ms_of_day / 60'000 % 60),
                static_cast<int>(ms_of_day / 1000 % 60), static_cast<int>(ms_of_day % 1000));
  return buf;
}

std::string FormatDate(UnixMillis t) {
  const Civil c = CivilFromDays(FloorDiv(t, kMillisPerDay));
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", c.year, c.month, c.day);
  return buf;
}

Result<UnixMillis> ParseRfc3339(std::string_view text) {
  auto bad = [&] {
    return Status::Parse("'" + std::string(text) +
                         "' is not an RFC 3339 date-time (expected e.g. 2024-03-01T00:00:00Z)");
  };
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || text[13] != ':' ||
      text[16] != ':') {
    return bad();
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!ParseInt(text.substr(0, 4), y) || !ParseInt(text.substr(5, 2), mo) ||
      !ParseInt(text.substr(8, 2), d) || !ParseInt(text.substr(11, 2), h) ||
      !ParseInt(text.substr(14, 2), mi) || !ParseInt(text.substr(17, 2), s)) {
    return bad();
  }
  if (!IsValidDate(y, mo, d) || h > 23 || mi > 59 || s > 60) {
    return bad();
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) {
        millis = millis * 10 + (text[pos] - '0');
      }
      ++digits;
      ++pos;
    }
    if (digits == 0) {
      return bad();
    }
    for (int i = digits; i < 3; ++i) {
      millis *= 10;
    }
  }
  int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (pos + 6 != text.size() || text[pos + 3] != ':' || !ParseInt(text.substr(pos + 1, 2), oh) ||
        !ParseInt(text.substr(pos + 4, 2), om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_minutes = sign * (int64_t{oh} * 60 + om);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != text.size()) {
    return bad();
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t secs = days * 86400 + int64_t{h} * 3600 + int64_t{mi} * 60 + std::min(s, 59);
  return (secs - int64_t{offset_minutes} * 60) * 1000 + millis;
}

Result<UnixMillis> ParseStartDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  auto from_ymd = [&]() -> Result<UnixMillis> {
    if (!IsValidDate(y, m, d)) {
      return Status::Config("");
    }
    return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * kMillisPerDay;
  };
  if (text.size() == 10 && text[2] == '/' && text[5] == '/' && ParseInt(text.substr(0, 2), m) &&
      ParseInt(text.substr(3, 2), d) && ParseInt(text.substr(6, 4), y)) {
    return from_ymd();
  }
  if (text.size() == 10 && text[4] == '-' && text[7] == '-' && ParseInt(text.substr(0, 4), y) &&
      ParseInt(text.substr(5, 2), m) && ParseInt(text.substr(8, 2), d)) {
    return from_ymd();
  }
  auto parsed = ParseRfc3339(text);
  if (parsed.ok()) {
    return parsed;
  }
  return Status::Config("");
}

Result<UnixMillis> ParseRfc5322(std::string_view text) {
  // "Tue, 01 Jul 2025 10:00:00 GMT"; the weekday is optional in RFC 5322.
  std::string_view rest = text;
  if (auto comma = rest.find(','); comma != std::string_view::npos) {
    rest = rest.substr(comma + 1);
  }
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  char mon[4] = {};
  int d = 0, y = 0, h = 0, mi = 0, s = 0;
  char zone[8] = {};
  const std::string copy(rest);
  if (std::sscanf(copy.c_str(), "%d %3s %d %d:%d:%d %7s", &d, mon, &y, &h, &mi, &s, zone) < 6) {
    return Status::Parse("'" + std::string(text) + "' is not an RFC 5322 date");
  }
  int month = 0;
  for (size_t i = 0; i < kMonthNames.size(); ++i) {
    if (kMonthNames[i] == mon) {
      month = static_cast<int>(i) + 1;
    }
  }
  if (month == 0 || !IsValidDate(y, month, d) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 ||
      s > 60) {
    return Status::Parse("'" + std::string(text) + "' is not an RFC 5322 date");
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(month), static_cast<unsigned>(d));
  return (days * 86400 + int64_t{h} * 3600 + int64_t{mi} * 60 + s) * 1000;
}

std::string FormatRfc5322(UnixMillis t) {
  const int64_t days = FloorDiv(t, kMillisPerDay);
  const int64_t secs = FloorDiv(t, 1000) - days * 86400;
  const Civil c = CivilFromDays(days);
  const auto weekday = static_cast<size_t>(((days % 7) + 7) % 7);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02u %s %04d %02d:%02d:%02d GMT",
                std::string(kDayNames[weekday]).c_str(), c.day,
                std::string(kMonthNames[c.month - 1]).c_str(), c.year,
                static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60),
                static_cast<int>(secs % 60));
  return buf;
}

UnixMillis StartOfMonth(UnixMillis t) {
  const Civil c = CivilFromDays(FloorDiv(t, kMillisPerDay));
  return DaysFromCivil(c.year, c.month, 1) * kMillisPerDay;
}

UnixMillis StartOfNextMonth(UnixMillis t) {
  const Civil c = CivilFromDays(FloorDiv(t, kMillisPerDay));
  const int year = c.month == 12 ? c.year + 1 : c.year;
  const unsigned month = c.month == 12 ? 1 : c.month + 1;
  return DaysFromCivil(year, month, 1) * kMillisPerDay;
}

}  // namespace segsync
