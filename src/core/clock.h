// SPDX-License-Identifier: Apache-2.0
// Time: the Clock interface (tests pin it) and date and timestamp formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace segsync {

/// Milliseconds since the Unix epoch, UTC.
using UnixMillis = int64_t;

/// Where time comes from, so tests can pin it and skip real sleeps.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMillis Now() const = 0;
  virtual void SleepFor(int64_t millis) = 0;
};

/// The real wall clock; sleeps really sleep.
class SystemClock final : public Clock {
 public:
  UnixMillis Now() const override;
  void SleepFor(int64_t millis) override;
  static SystemClock& Instance();
};

/// "2024-03-01T00:00:00.000Z": fixed width, so strings compare in time order.
std::string FormatRfc3339Millis(UnixMillis t);
/// "2024-03-01"
std::string FormatDate(UnixMillis t);
/// Days since the epoch for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int year, unsigned month, unsigned day);
/// Whether y-m-d is a real calendar date.
bool IsValidDate(int year, int month, int day);

/// Parses RFC 3339 / ISO 8601 date-times: `Z` or `±hh:mm`, optional fractional seconds.
Result<UnixMillis> ParseRfc3339(std::string_view text);
/// Parses a start date in any accepted form: MM/DD/YYYY, YYYY-MM-DD, or RFC 3339.
Result<UnixMillis> ParseStartDate(std::string_view text);
/// Parses an RFC 5322 date such as "Tue, 01 Jul 2025 10:00:00 GMT" (X-RateLimit-Reset).
Result<UnixMillis> ParseRfc5322(std::string_view text);
/// Formats as RFC 5322 in GMT.
std::string FormatRfc5322(UnixMillis t);

/// First instant (UTC) of the calendar month containing t.
UnixMillis StartOfMonth(UnixMillis t);
/// First instant of the month after the one containing t.
UnixMillis StartOfNextMonth(UnixMillis t);

}  // namespace segsync
