// SPDX-License-Identifier: Apache-2.0
// Logging to stderr, as text or JSON, with every registered secret masked.
#include "core/log.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "core/json_writer.h"

namespace segsync {
namespace {

struct LogState {
  std::mutex mu;
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  std::vector<std::string> secrets;
};

LogState& State() {
  static LogState state;
  return state;
}

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kQuiet:
      return "quiet";
  }
  return "info";
}

}  // namespace

void SetLogLevel(LogLevel level) {
  std::lock_guard lock(State().mu);
  State().level = level;
}

LogLevel GetLogLevel() {
  std::lock_guard lock(State().mu);
  return State().level;
}

void SetLogFormat(LogFormat format) {
  std::lock_guard lock(State().mu);
  State().format = format;
}

LogFormat GetLogFormat() {
  std::lock_guard lock(State().mu);
  return State().format;
}

void RegisterSecret(std::string_view secret) {
  // Very short secrets would mask ordinary words; a real token is long.
  if (secret.size() < 4) {
    return;
  }
  std::lock_guard lock(State().mu);
  // Registered once however often it is loaded, so masking stays as cheap as the secrets are few.
  auto& secrets = State().secrets;
  if (std::find(secrets.begin(), secrets.end(), secret) == secrets.end()) {
    secrets.emplace_back(secret);
  }
}

std::string MaskSecrets(std::string_view text) {
  std::string out(text);
  std::vector<std::string> secrets;
  {
    std::lock_guard lock(State().mu);
    secrets = State().secrets;
  }
  for (const auto& secret : secrets) {
    size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), "****");
      pos += 4;
    }
  }
  return out;
}

std::string FormatJsonLogLine(std::string_view time, LogLevel level, std::string_view message,
                              const LogFields& fields) {
  JsonWriter w;
  w.BeginObject().Key("time").String(time).Key("level").String(LevelName(level));
  w.Key("message").String(message);
  for (const auto& field : fields) {
    if (field.key == "time" || field.key == "level" || field.key == "message") {
      continue;  // the line's own keys are never overwritten
    }
    w.Key(field.key);
    if (const auto* number = std::get_if<int64_t>(&field.value)) {
      w.Int(*number);
    } else {
      w.String(MaskSecrets(std::get<std::string>(field.value)));
    }
  }
  w.EndObject();
  return w.Take();
}

void Log(LogLevel level, std::string_view message, const LogFields& fields) {
  LogFormat format = LogFormat::kText;
  {
    std::lock_guard lock(State().mu);
    if (level < State().level || State().level == LogLevel::kQuiet) {
      if (!(State().level == LogLevel::kQuiet && level == LogLevel::kError)) {
        return;
      }
    }
    format = State().format;
  }
  const std::string masked = MaskSecrets(message);
  std::string line;
  if (format == LogFormat::kJson) {
    line = FormatJsonLogLine(FormatRfc3339Millis(SystemClock::Instance().Now()), level, masked,
                             fields);
  } else {
    line = "segsync: ";
    if (level == LogLevel::kWarn) {
      line += "warning: ";
    } else if (level == LogLevel::kError) {
      line += "error: ";
    }
    line += masked;
  }
  line.push_back('\n');
  std::lock_guard lock(State().mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace segsync
