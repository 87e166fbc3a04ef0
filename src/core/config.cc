// SPDX-License-Identifier: Apache-2.0
#include "core/config.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "core/log.h"

namespace segsync {
namespace {

constexpr std::string_view kDateForms =
    "accepted forms: MM/DD/YYYY, YYYY-MM-DD, or RFC 3339 such as 2024-01-31T00:00:00Z";

Status ConfigError(std::string_view key, std::string_view value, std::string_view accepted) {
  return Status::Config("configuration error: " + std::string(key) + " = '" + MaskSecrets(value) +
                        "' is not valid; " + std::string(accepted));
}

std::vector<std::string> SplitNames(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view part = text.substr(start, end - start);
    while (!part.empty() && part.front() == ' ') {
      part.remove_prefix(1);
    }
    while (!part.empty() && part.back() == ' ') {
      part.remove_suffix(1);
    }
    if (!part.empty()) {
      out.emplace_back(part);
    }
    start = end + 1;
  }
  return out;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += out.empty() ? n : ", " + n;
  }
  return out;
}

/// The configuration file, read as JSON; values not given stay unset.
struct FileValues {
  ConfigFlags values;
  std::optional<std::vector<std::string>> streams;
};

Result<FileValues> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Config("configuration error: cannot read the config file '" + path +
                          "'; check the path given to --config and its permissions");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto error = parser.parse(text).get(doc); error != simdjson::SUCCESS) {
    return Status::Config("configuration error: the config file '" + path +
                          "' is not valid JSON (" + simdjson::error_message(error) +
                          "); it must be one JSON object such as {\"start_date\": \"2024-01-01\"}");
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    return Status::Config("configuration error: the config file '" + path +
                          "' must hold one JSON object, such as {\"start_date\": \"2024-01-01\"}");
  }
  FileValues file;
  auto string_value = [&](std::string_view key, simdjson::dom::element value,
                          std::optional<std::string>& out) -> Status {
    std::string_view s;
    if (value.get_string().get(s) != simdjson::SUCCESS) {
      return ConfigError(key, simdjson::to_string(value), "expected a JSON string");
    }
    out = std::string(s);
    return Status::Ok();
  };
  auto int_value = [&](std::string_view key, simdjson::dom::element value,
                       std::optional<int>& out) -> Status {
    int64_t i = 0;
    if (value.get_int64().get(i) != simdjson::SUCCESS || i < 0 || i > 1'000'000) {
      std::string_view s;
      if (value.get_string().get(s) == simdjson::SUCCESS &&
          std::from_chars(s.data(), s.data() + s.size(), i).ec == std::errc() && i >= 0 &&
          i <= 1'000'000) {
        out = static_cast<int>(i);
        return Status::Ok();
      }
      return ConfigError(key, simdjson::to_string(value), "expected a non-negative integer");
    }
    out = static_cast<int>(i);
    return Status::Ok();
  };
  for (auto [key, value] : object) {
    if (key == "api_token") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.api_token));
    } else if (key == "region") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.region));
    } else if (key == "api_url") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.api_url));
    } else if (key == "start_date") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.start_date));
    } else if (key == "destination") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.destination));
    } else if (key == "ca_bundle") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.ca_bundle));
    } else if (key == "streams") {
      std::vector<std::string> names;
      simdjson::dom::array array;
      std::string_view s;
      if (value.get_array().get(array) == simdjson::SUCCESS) {
        for (auto item : array) {
          if (item.get_string().get(s) != simdjson::SUCCESS) {
            return ConfigError(key, simdjson::to_string(value),
                               "expected a list of stream names, e.g. [\"sources\", \"users\"]");
          }
          names.emplace_back(s);
        }
      } else if (value.get_string().get(s) == simdjson::SUCCESS) {
        names = SplitNames(s);
      } else {
        return ConfigError(key, simdjson::to_string(value),
                           "expected a list of stream names, e.g. [\"sources\", \"users\"]");
      }
      file.streams = std::move(names);
    } else if (key == "delivery_metrics_window") {
      simdjson::dom::object window;
      if (value.get_object().get(window) == simdjson::SUCCESS) {
        for (auto [wkey, wvalue] : window) {
          if (wkey == "duration") {
            SEGSYNC_RETURN_NOT_OK(string_value("delivery_metrics_window.duration", wvalue,
                                               file.values.delivery_metrics_window));
          } else if (wkey == "granularity") {
            SEGSYNC_RETURN_NOT_OK(string_value("delivery_metrics_window.granularity", wvalue,
                                               file.values.delivery_metrics_granularity));
          }
        }
      } else {
        SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.delivery_metrics_window));
      }
    } else if (key == "delivery_metrics_granularity") {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.delivery_metrics_granularity));
    } else if (key == "max_concurrency") {
      SEGSYNC_RETURN_NOT_OK(int_value(key, value, file.values.max_concurrency));
    } else if (key == "max_retries") {
      SEGSYNC_RETURN_NOT_OK(int_value(key, value, file.values.max_retries));
    } else if (key == "request_timeout_s") {
      SEGSYNC_RETURN_NOT_OK(int_value(key, value, file.values.request_timeout_s));
    } else {
      // Orchestrators pass their own keys in the same file; an unknown key is not fatal.
      LogDebug("config: ignoring unknown key '" + std::string(key) + "'");
    }
  }
  return file;
}

template <typename T>
std::optional<T> First(const std::optional<T>& a, const std::optional<T>& b) {
  return a ? a : b;
}

}  // namespace

std::optional<std::string> HostForRegion(std::string_view region) {
  if (region == "us") {
    return "https://api.segmentapis.com";
  }
  if (region == "eu") {
    return "https://eu1.api.segmentapis.com";
  }
  return std::nullopt;
}

std::optional<int64_t> ParseDurationMinutes(std::string_view text) {
  if (text.size() < 2) {
    return std::nullopt;
  }
  const char unit = text.back();
  int64_t n = 0;
  const std::string_view digits = text.substr(0, text.size() - 1);
  auto res = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (res.ec != std::errc() || res.ptr != digits.data() + digits.size() || n <= 0 || n > 100'000) {
    return std::nullopt;
  }
  switch (unit) {
    case 'm':
      return n;
    case 'h':
      return n * 60;
    case 'd':
      return n * 60 * 24;
    default:
      return std::nullopt;
  }
}

Status ValidateDeliveryWindow(int64_t minutes, std::string_view granularity) {
  // The API's rules (segment-public-api.md §2.14): MINUTE ≤ 4 h, HOUR ≤ 7 days, DAY ≤ 14 days,
  // and the window must start no earlier than those spans ago; segsync's window ends now.
  int64_t max_minutes = 0;
  int64_t unit = 1;
  if (granularity == "MINUTE") {
    max_minutes = int64_t{4} * 60;
  } else if (granularity == "HOUR") {
    max_minutes = int64_t{7} * 24 * 60;
    unit = 60;
  } else if (granularity == "DAY") {
    max_minutes = int64_t{14} * 24 * 60;
    unit = int64_t{24} * 60;
  } else {
    return ConfigError("delivery_metrics_window.granularity", granularity,
                       "accepted values: MINUTE, HOUR, DAY");
  }
  const std::string given = std::to_string(minutes) + " minutes";
  if (minutes > max_minutes || minutes < unit || minutes % unit != 0) {
    return ConfigError("delivery_metrics_window", given,
                       "with granularity " + std::string(granularity) +
                           " the window must be a whole number of " +
                           (unit == 1    ? "minutes"
                            : unit == 60 ? "hours"
                                         : "days") +
                           " and at most " +
                           (granularity == "MINUTE" ? "4h"
                            : granularity == "HOUR" ? "7d (168h)"
                                                    : "14d"));
  }
  return Status::Ok();
}

Result<Config> LoadConfig(const ConfigSources& sources) {
  const ConfigFlags& flags = sources.flags;
  FileValues file;
  if (flags.config_file) {
    SEGSYNC_ASSIGN_OR_RETURN(file, ReadConfigFile(*flags.config_file));
  }
  const ConfigFlags& f = file.values;
  Config config;

  // Token: flag, then environment, then file.
  auto token = First(flags.api_token, First(sources.env_token, f.api_token));
  if (token) {
    config.api_token = *token;
    RegisterSecret(config.api_token);
  }
  if (sources.require_token && config.api_token.empty()) {
    return Status::Config(
        "configuration error: api_token is missing; set the environment variable "
        "SEGMENT_API_TOKEN, pass --api-token, or put \"api_token\" in the --config file");
  }

  config.region = First(flags.region, f.region).value_or("us");
  auto host = HostForRegion(config.region);
  if (!host) {
    return ConfigError("region", config.region, "accepted values: us, eu");
  }
  config.api_url = First(flags.api_url, f.api_url).value_or(*host);
  if (!(config.api_url.starts_with("https://") || config.api_url.starts_with("http://"))) {
    return ConfigError("api_url", config.api_url,
                       "expected an http:// or https:// URL such as https://api.segmentapis.com");
  }

  if (auto start = First(flags.start_date, f.start_date)) {
    auto parsed = ParseStartDate(*start);
    if (!parsed.ok()) {
      return ConfigError("start_date", *start, kDateForms);
    }
    if (*parsed > sources.now) {
      return ConfigError("start_date", *start, "the start date must not be in the future");
    }
    config.start_date = *parsed;
  } else {
    // First day of the month, 12 months ago.
    UnixMillis month = StartOfMonth(sources.now);
    for (int i = 0; i < 12; ++i) {
      month = StartOfMonth(month - 1);
    }
    config.start_date = month;
  }

  std::vector<std::string> names;
  if (flags.streams) {
    names = SplitNames(*flags.streams);
  } else if (file.streams) {
    names = *file.streams;
  }
  if (names.empty()) {
    names = sources.valid_streams;
  }
  for (const auto& name : names) {
    if (std::find(sources.valid_streams.begin(), sources.valid_streams.end(), name) ==
        sources.valid_streams.end()) {
      return ConfigError("streams", name,
                         "valid stream names: " + JoinNames(sources.valid_streams));
    }
  }
  config.streams = std::move(names);

  config.destination = First(flags.destination, f.destination).value_or("sqlite:segment.db");
  if (!(config.destination.starts_with("sqlite:") || config.destination.starts_with("jsonl:") ||
        config.destination.starts_with("postgresql://") ||
        config.destination.starts_with("postgres://")) ||
      config.destination.find(':') + 1 == config.destination.size()) {
    return ConfigError("destination", config.destination,
                       "accepted forms: sqlite:PATH, postgresql://USER@HOST/DB, jsonl:DIR");
  }

  const std::string window =
      First(flags.delivery_metrics_window, f.delivery_metrics_window).value_or("24h");
  auto minutes = ParseDurationMinutes(window);
  if (!minutes) {
    return ConfigError("delivery_metrics_window", window,
                       "expected a duration such as 90m, 24h or 7d");
  }
  config.delivery_window_minutes = *minutes;
  config.delivery_granularity =
      First(flags.delivery_metrics_granularity, f.delivery_metrics_granularity).value_or("HOUR");
  SEGSYNC_RETURN_NOT_OK(
      ValidateDeliveryWindow(config.delivery_window_minutes, config.delivery_granularity));

  config.max_concurrency = First(flags.max_concurrency, f.max_concurrency).value_or(4);
  if (config.max_concurrency < 1 || config.max_concurrency > 64) {
    return ConfigError("max_concurrency", std::to_string(config.max_concurrency),
                       "expected an integer from 1 to 64");
  }
  config.max_retries = First(flags.max_retries, f.max_retries).value_or(5);
  if (config.max_retries > 100) {
    return ConfigError("max_retries", std::to_string(config.max_retries),
                       "expected an integer from 0 to 100");
  }
  config.request_timeout_s = First(flags.request_timeout_s, f.request_timeout_s).value_or(60);
  if (config.request_timeout_s < 1 || config.request_timeout_s > 3600) {
    return ConfigError("request_timeout_s", std::to_string(config.request_timeout_s),
                       "expected seconds from 1 to 3600");
  }
  config.ca_bundle = First(flags.ca_bundle, f.ca_bundle).value_or("");
  if (!config.ca_bundle.empty() && !std::ifstream(config.ca_bundle)) {
    return ConfigError("ca_bundle", config.ca_bundle, "expected a readable PEM file");
  }
  return config;
}

}  // namespace segsync
