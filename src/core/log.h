// SPDX-License-Identifier: Apache-2.0
// Logging to stderr, as text or JSON, with every registered secret masked.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace segsync {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kQuiet };
enum class LogFormat { kText, kJson };

/// Logs go to stderr only: stdout belongs to data in the protocol modes.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

/// Register a secret (the API token): every log line, error and report masks it from then on.
void RegisterSecret(std::string_view secret);
/// Replace every registered secret in `text` with a mask.
std::string MaskSecrets(std::string_view text);

/// One fact of a log line: in the JSON format a key of its own beside `message`, so a log
/// reader filters on `stream` or sums `rows` without parsing the sentence.
struct LogField {
  std::string key;
  std::variant<std::string, int64_t> value;
};
using LogFields = std::vector<LogField>;

void Log(LogLevel level, std::string_view message, const LogFields& fields = {});
/// The JSON object of one log line (pure: what `Log` writes in the JSON format).
std::string FormatJsonLogLine(std::string_view time, LogLevel level, std::string_view message,
                              const LogFields& fields);
inline void LogDebug(std::string_view m) { Log(LogLevel::kDebug, m); }
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarn(std::string_view m) { Log(LogLevel::kWarn, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }

}  // namespace segsync
