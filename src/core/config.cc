// SPDX-License-Identifier: Apache-2.0
// The configuration as data: the settings table, and its resolution from flags, env and file.
#include "core/config.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>

#include "core/log.h"
#include "core/suggest.h"

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

/// The parts of an http(s) URL that matter before connecting.
struct UrlParts {
  std::string_view scheme;    // "http" or "https"
  std::string_view userinfo;  // "user:password", or empty
  std::string_view host;      // without brackets or port
};

UrlParts SplitUrl(std::string_view url) {
  UrlParts parts;
  const size_t colon = url.find("://");
  parts.scheme = url.substr(0, colon);
  std::string_view authority = url.substr(colon + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    parts.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    parts.host = authority.substr(1, authority.find(']') - 1);
  } else {
    parts.host = authority.substr(0, authority.find(':'));
  }
  return parts;
}

/// Whether a host is this machine, where clear text never crosses a network.
bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") ||
         host == "::1";
}

std::vector<Setting> MakeSettings() {
  std::vector<Setting> s;
  s.push_back({.id = SettingId::kApiToken,
               .key = "api_token",
               .flag = "--api-token",
               .env = "SEGMENT_API_TOKEN",
               .title = "API token",
               .description = "Segment Public API token (Settings > Workspace settings > Access "
                              "Management > Tokens). A read-only token is enough.",
               .secret = true,
               .required = true,
               .text = &ConfigFlags::api_token});
  s.push_back({.id = SettingId::kRegion,
               .key = "region",
               .flag = "--region",
               .default_value = "us",
               .title = "Region",
               .description = "Where the workspace lives: us (api.segmentapis.com) or eu "
                              "(eu1.api.segmentapis.com).",
               .choices = {"us", "eu"},
               .text = &ConfigFlags::region});
  s.push_back({.id = SettingId::kStartDate,
               .key = "start_date",
               .flag = "--start-date",
               .title = "Start date",
               .description = "Earliest data read by the usage and audit streams: MM/DD/YYYY, "
                              "YYYY-MM-DD or RFC 3339. Default: the first day of the month 12 "
                              "months ago.",
               // The three accepted forms; no JSON Schema `format` names all three.
               .pattern =
                   "^([0-9]{2}/[0-9]{2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
                   "([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?)$",
               .examples = {"2024-01-01", "2024-01-01T00:00:00Z"},
               .text = &ConfigFlags::start_date});
  s.push_back({.id = SettingId::kApiUrl,
               .key = "api_url",
               .flag = "--api-url",
               .title = "API URL",
               .description = "Overrides the host chosen by region: a proxy, or a test server.",
               .text = &ConfigFlags::api_url});
  s.push_back({.id = SettingId::kStreams,
               .key = "streams",
               .type = SettingType::kStringList,
               .flag = "--streams",
               .title = "Streams",
               .description = "Streams to sync (for Singer, when no catalog is given); "
                              "comma-separated on the command line.",
               .singer_only = true,
               .text = &ConfigFlags::streams});
  s.push_back({.id = SettingId::kDestination,
               .key = "destination",
               .flag = "--destination",
               .default_value = "sqlite:segment.db",
               .title = "Destination",
               .description = "Where rows go: sqlite:PATH, postgresql://USER@HOST/DB or jsonl:DIR.",
               .in_schema = false,
               .text = &ConfigFlags::destination});
  s.push_back({.id = SettingId::kDeliveryMetricsWindow,
               .key = "delivery_metrics_window",
               .flag = "--delivery-metrics-window",
               .default_value = "24h",
               .title = "Delivery metrics window",
               .description = "Window of destination_delivery_metrics_summary, ending now: e.g. "
                              "90m, 24h, 7d.",
               .pattern = "^[0-9]+[mhd]$",
               .text = &ConfigFlags::delivery_metrics_window});
  Setting granularity{.id = SettingId::kDeliveryMetricsGranularity,
                      .key = "delivery_metrics_granularity",
                      .flag = "--delivery-metrics-granularity",
                      .default_value = "HOUR",
                      .title = "Delivery metrics granularity",
                      .text = &ConfigFlags::delivery_metrics_granularity};
  const auto& rules = DeliveryGranularities();
  for (size_t i = 0; i < rules.size(); ++i) {
    granularity.description += std::string(i == 0                  ? ""
                                           : i + 1 == rules.size() ? " or "
                                                                   : ", ") +
                               std::string(rules[i].name) + " (" +
                               (i == 0 ? "window up to " : "up to ") +
                               std::string(rules[i].max_text) + ")";
    granularity.choices.emplace_back(rules[i].name);
  }
  granularity.description += ".";
  s.push_back(std::move(granularity));
  s.push_back({.id = SettingId::kMaxRetries,
               .key = "max_retries",
               .type = SettingType::kInteger,
               .flag = "--max-retries",
               .default_value = "5",
               .title = "Maximum retries",
               .description = "Retries of a failed request before its stream fails.",
               .minimum = 0,
               .maximum = 100,
               .number = &ConfigFlags::max_retries});
  s.push_back({.id = SettingId::kRequestTimeout,
               .key = "request_timeout_s",
               .type = SettingType::kInteger,
               .flag = "--request-timeout",
               .default_value = "60",
               .title = "Request timeout (seconds)",
               .description = "Seconds before a request is abandoned and retried.",
               .minimum = 1,
               .maximum = 3600,
               .unit = "seconds",
               .number = &ConfigFlags::request_timeout_s});
  s.push_back({.id = SettingId::kMaxConcurrency,
               .key = "max_concurrency",
               .type = SettingType::kInteger,
               .flag = "--max-concurrency",
               .default_value = "4",
               .title = "Maximum concurrency",
               .description = "Requests in flight at once.",
               .minimum = 1,
               .maximum = 64,
               .number = &ConfigFlags::max_concurrency});
  s.push_back({.id = SettingId::kCaBundle,
               .key = "ca_bundle",
               .flag = "--ca-bundle",
               .title = "CA bundle",
               .description = "PEM file of CA certificates, for networks that intercept TLS.",
               .text = &ConfigFlags::ca_bundle});
  s.push_back({.id = SettingId::kDestinationTimeout,
               .key = "destination_timeout_s",
               .type = SettingType::kInteger,
               .flag = "--destination-timeout",
               .default_value = "300",
               .title = "Destination timeout (seconds)",
               .description = "Seconds one statement on the PostgreSQL destination may take, "
                              "waiting for a lock included, before its stream fails; a server "
                              "that stops answering is given up this long after that.",
               .minimum = 1,
               .maximum = 86400,
               .unit = "seconds",
               .in_schema = false,  // Singer and Airbyte write to stdout, not to a database
               .number = &ConfigFlags::destination_timeout_s});
  return s;
}

const Setting* FindSetting(std::string_view key) {
  for (const Setting& setting : AllSettings()) {
    if (setting.key == key) {
      return &setting;
    }
  }
  return nullptr;
}

Status UnknownKeyError(const std::string& path, std::string_view key) {
  std::vector<std::string> keys;
  for (const Setting& setting : AllSettings()) {
    keys.emplace_back(setting.key);
  }
  return Status::Config("configuration error: the config file '" + path +
                        "' has the unknown key '" + std::string(key) + "'" + DidYouMean(key, keys) +
                        " (valid keys: " + JoinNames(keys) + ")");
}

/// For a start date written in a valid form whose day does not exist (2025-02-30): the message
/// saying so, or nullopt.
std::optional<std::string> NonexistentDate(std::string_view text) {
  auto number = [](std::string_view digits, int& out) {
    return std::from_chars(digits.data(), digits.data() + digits.size(), out).ptr ==
           digits.data() + digits.size();
  };
  int y = 0;
  int m = 0;
  int d = 0;
  bool parsed = false;
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-' &&
      (text.size() == 10 || text[10] == 'T' || text[10] == 't')) {
    parsed = number(text.substr(0, 4), y) && number(text.substr(5, 2), m) &&
             number(text.substr(8, 2), d);
  } else if (text.size() == 10 && text[2] == '/' && text[5] == '/') {
    parsed = number(text.substr(0, 2), m) && number(text.substr(3, 2), d) &&
             number(text.substr(6, 4), y);
  }
  if (!parsed || m < 1 || m > 12 || d < 1 || d > 31) {
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int days = kDays[static_cast<size_t>(m - 1)] + (m == 2 && leap ? 1 : 0);
  if (d <= days) {
    return std::nullopt;
  }
  return "that date does not exist: " + std::string(kMonths[static_cast<size_t>(m - 1)]) + " " +
         std::to_string(y) + " has " + std::to_string(days) + " days";
}

/// The longest window `rule` allows, in the unit the user wrote ('m', 'h' or 'd') when it is a
/// whole number of it.
std::string LimitInUnit(const DeliveryGranularity& rule, char unit) {
  const int64_t per = unit == 'd' ? int64_t{24} * 60 : unit == 'h' ? 60 : 1;
  if (rule.max_minutes % per != 0) {
    return std::string(rule.max_text);
  }
  return std::to_string(rule.max_minutes / per) + unit;
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
  std::string text(kMaxConfigFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxConfigFileBytes) {
    return Status::Config("configuration error: the config file '" + path + "' is larger than " +
                          std::to_string(kMaxConfigFileBytes >> 20) +
                          " MiB; it must be one small JSON object such as "
                          "{\"start_date\": \"2024-01-01\"}");
  }
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
    const Setting* setting = FindSetting(key);
    if (setting == nullptr) {
      // A mistyped key ("start-date") silently ignored would run with the default instead.
      return UnknownKeyError(path, key);
    }
    if (setting->type == SettingType::kStringList) {
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
    } else if (simdjson::dom::object window; setting->id == SettingId::kDeliveryMetricsWindow &&
                                             value.get_object().get(window) == simdjson::SUCCESS) {
      // The window may also be written {"duration": "24h", "granularity": "HOUR"}.
      for (auto [wkey, wvalue] : window) {
        if (wkey == "duration") {
          SEGSYNC_RETURN_NOT_OK(string_value("delivery_metrics_window.duration", wvalue,
                                             file.values.delivery_metrics_window));
        } else if (wkey == "granularity") {
          SEGSYNC_RETURN_NOT_OK(string_value("delivery_metrics_window.granularity", wvalue,
                                             file.values.delivery_metrics_granularity));
        }
      }
    } else if (setting->type == SettingType::kInteger) {
      SEGSYNC_RETURN_NOT_OK(int_value(key, value, file.values.*(setting->number)));
    } else {
      SEGSYNC_RETURN_NOT_OK(string_value(key, value, file.values.*(setting->text)));
    }
  }
  return file;
}

template <typename T>
std::optional<T> First(const std::optional<T>& a, const std::optional<T>& b) {
  return a ? a : b;
}

/// A text setting: the flag, else the file, else its default.
std::string TextSetting(SettingId id, const ConfigFlags& flags, const ConfigFlags& file) {
  const Setting& setting = SettingOf(id);
  return First(flags.*(setting.text), file.*(setting.text))
      .value_or(std::string(setting.default_value));
}

/// An integer setting: the flag, else the file, else its default; within its range.
Result<int> IntSetting(SettingId id, const ConfigFlags& flags, const ConfigFlags& file) {
  const Setting& setting = SettingOf(id);
  const int value = First(flags.*(setting.number), file.*(setting.number)).value_or(DefaultInt(id));
  if (value < setting.minimum || value > setting.maximum) {
    return ConfigError(
        setting.key, std::to_string(value),
        "expected " + std::string(setting.unit.empty() ? "an integer" : setting.unit) + " from " +
            std::to_string(setting.minimum) + " to " + std::to_string(setting.maximum));
  }
  return value;
}

}  // namespace

const std::vector<DeliveryGranularity>& DeliveryGranularities() {
  // The API's rules: a MINUTE window spans at most 4 hours, HOUR 7 days, DAY 14 days
  // (https://docs.segmentapis.com/tag/Delivery-Overview).
  static const std::vector<DeliveryGranularity> rules = {
      {"MINUTE", 1, int64_t{4} * 60, "minutes", "4h"},
      {"HOUR", 60, int64_t{7} * 24 * 60, "hours", "7d"},
      {"DAY", int64_t{24} * 60, int64_t{14} * 24 * 60, "days", "14d"},
  };
  return rules;
}

const DeliveryGranularity* FindDeliveryGranularity(std::string_view name) {
  for (const auto& rule : DeliveryGranularities()) {
    if (rule.name == name) {
      return &rule;
    }
  }
  return nullptr;
}

const std::vector<Setting>& AllSettings() {
  static const std::vector<Setting> settings = MakeSettings();
  return settings;
}

const Setting& SettingOf(SettingId id) { return AllSettings()[static_cast<size_t>(id)]; }

std::string DescribeSetting(const Setting& setting, size_t stream_count) {
  std::string text = setting.description;
  if (setting.type == SettingType::kStringList) {
    text += " Default: all " + std::to_string(stream_count) + ".";
  } else if (!setting.default_value.empty()) {
    text += " Default: " + std::string(setting.default_value) + ".";
  }
  if (!setting.env.empty()) {
    text += " May also come from " + std::string(setting.env) + ".";
  }
  return text;
}

int DefaultInt(SettingId id) {
  const std::string_view text = SettingOf(id).default_value;
  int value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

int64_t DefaultDeliveryWindowMinutes() {
  return ParseDurationMinutes(SettingOf(SettingId::kDeliveryMetricsWindow).default_value)
      .value_or(0);
}

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
  // segsync's window ends now, so it must fit the span the API allows for the granularity.
  const DeliveryGranularity* rule = FindDeliveryGranularity(granularity);
  if (rule == nullptr) {
    return ConfigError(
        "delivery_metrics_window.granularity", granularity,
        "accepted values: " + JoinNames(SettingOf(SettingId::kDeliveryMetricsGranularity).choices));
  }
  if (minutes > rule->max_minutes || minutes < rule->unit_minutes ||
      minutes % rule->unit_minutes != 0) {
    return ConfigError("delivery_metrics_window", std::to_string(minutes) + " minutes",
                       "with granularity " + std::string(granularity) +
                           " the window must be a whole number of " + std::string(rule->unit_name) +
                           " and at most " + std::string(rule->max_text));
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
    const Setting& setting = SettingOf(SettingId::kApiToken);
    return Status::Config(
        "configuration error: api_token is missing; set the environment "
        "variable " +
        std::string(setting.env) + ", pass " + std::string(setting.flag) +
        ", or put \"api_token\" in the --config file");
  }

  config.region = TextSetting(SettingId::kRegion, flags, f);
  // "EU" and "eu" name the same region.
  std::transform(config.region.begin(), config.region.end(), config.region.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto host = HostForRegion(config.region);
  if (!host) {
    return ConfigError("region", config.region,
                       "accepted values: " + JoinNames(SettingOf(SettingId::kRegion).choices));
  }
  config.api_url = First(flags.api_url, f.api_url).value_or(*host);
  if (!(config.api_url.starts_with("https://") || config.api_url.starts_with("http://"))) {
    return ConfigError("api_url", config.api_url,
                       "expected an http:// or https:// URL such as https://api.segmentapis.com");
  }
  const UrlParts url = SplitUrl(config.api_url);
  if (const size_t colon = url.userinfo.find(':'); colon != std::string_view::npos) {
    // A proxy's credential in the URL is as secret as the token.
    RegisterSecret(url.userinfo.substr(colon + 1));
  }
  if (url.scheme == "http" && !IsLoopbackHost(url.host) && !flags.allow_insecure_http) {
    return Status::Config("configuration error: api_url " + MaskSecrets(config.api_url) +
                          " is plain http to " + std::string(url.host) +
                          ", which would send the API token in clear text over the network; "
                          "use https://, or pass --allow-insecure-http to send it anyway");
  }

  if (auto start = First(flags.start_date, f.start_date)) {
    auto parsed = ParseStartDate(*start);
    if (!parsed.ok()) {
      if (auto nonexistent = NonexistentDate(*start)) {
        return ConfigError("start_date", *start, *nonexistent);
      }
      return ConfigError("start_date", *start, kDateForms);
    }
    if (*parsed > sources.now) {
      return ConfigError("start_date", *start, "the start date must not be in the future");
    }
    if (const auto earliest = ParseStartDate(kEarliestStartDate);
        earliest.ok() && *parsed < *earliest) {
      return ConfigError("start_date", *start,
                         "Segment holds no data before " + std::string(kEarliestStartDate) +
                             ", and every month before it costs requests for nothing (a start "
                             "in 1900 costs 1,524 requests per usage stream); choose " +
                             std::string(kEarliestStartDate) + " or later");
    }
    config.start_date = *parsed;
    config.start_date_given = true;
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
  if ((flags.streams || file.streams) && names.empty()) {
    // An empty list is more likely a script's mistake than a wish for every stream.
    return ConfigError("streams", flags.streams.value_or("[]"),
                       "name at least one stream, or leave streams out to sync all " +
                           std::to_string(sources.valid_streams.size()));
  }
  if (names.empty()) {
    names = sources.valid_streams;
  }
  for (const auto& name : names) {
    if (std::find(sources.valid_streams.begin(), sources.valid_streams.end(), name) ==
        sources.valid_streams.end()) {
      const std::string suggestion = DidYouMean(name, sources.valid_streams);
      return ConfigError("streams", name,
                         (suggestion.empty() ? std::string() : suggestion.substr(2) + " ") +
                             "valid stream names: " + JoinNames(sources.valid_streams));
    }
  }
  config.streams = std::move(names);

  config.destination = TextSetting(SettingId::kDestination, flags, f);
  if (!(config.destination.starts_with("sqlite:") || config.destination.starts_with("jsonl:") ||
        config.destination.starts_with("postgresql://") ||
        config.destination.starts_with("postgres://")) ||
      config.destination.find(':') + 1 == config.destination.size()) {
    return ConfigError("destination", config.destination,
                       "accepted forms: sqlite:PATH, postgresql://USER@HOST/DB, jsonl:DIR");
  }

  const std::string window = TextSetting(SettingId::kDeliveryMetricsWindow, flags, f);
  auto minutes = ParseDurationMinutes(window);
  if (!minutes) {
    return ConfigError("delivery_metrics_window", window,
                       "expected a duration such as 90m, 24h or 7d");
  }
  config.delivery_window_minutes = *minutes;
  config.delivery_granularity = TextSetting(SettingId::kDeliveryMetricsGranularity, flags, f);
  if (const DeliveryGranularity* rule = FindDeliveryGranularity(config.delivery_granularity);
      rule != nullptr && *minutes > rule->max_minutes) {
    // Said in the unit the user wrote: "30d" is over "7d", not over "10080 minutes".
    std::string accepted = "with granularity " + std::string(rule->name) +
                           " the window is at most " + LimitInUnit(*rule, window.back());
    for (const auto& wider : DeliveryGranularities()) {
      if (wider.max_minutes >= *minutes && *minutes % wider.unit_minutes == 0) {
        accepted += "; for " + window + " use --delivery-metrics-granularity " +
                    std::string(wider.name) + " (up to " + std::string(wider.max_text) + ")";
        break;
      }
    }
    return ConfigError("delivery_metrics_window", window, accepted);
  }
  SEGSYNC_RETURN_NOT_OK(
      ValidateDeliveryWindow(config.delivery_window_minutes, config.delivery_granularity));

  SEGSYNC_ASSIGN_OR_RETURN(config.max_concurrency,
                           IntSetting(SettingId::kMaxConcurrency, flags, f));
  SEGSYNC_ASSIGN_OR_RETURN(config.max_retries, IntSetting(SettingId::kMaxRetries, flags, f));
  SEGSYNC_ASSIGN_OR_RETURN(config.request_timeout_s,
                           IntSetting(SettingId::kRequestTimeout, flags, f));
  SEGSYNC_ASSIGN_OR_RETURN(config.destination_timeout_s,
                           IntSetting(SettingId::kDestinationTimeout, flags, f));
  config.ca_bundle = TextSetting(SettingId::kCaBundle, flags, f);
  if (!config.ca_bundle.empty() && !std::ifstream(config.ca_bundle)) {
    return ConfigError("ca_bundle", config.ca_bundle, "expected a readable PEM file");
  }
  return config;
}

}  // namespace segsync
