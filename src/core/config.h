// SPDX-License-Identifier: Apache-2.0
// The configuration as data: the settings table, and its resolution from flags, env and file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace segsync {

/// Values given on the command line; each wins over the environment and the file.
struct ConfigFlags {
  std::optional<std::string> config_file;
  std::optional<std::string> api_token;
  std::optional<std::string> region;
  std::optional<std::string> api_url;
  std::optional<std::string> start_date;
  std::optional<std::string> streams;  // comma-separated
  std::optional<std::string> destination;
  std::optional<std::string> delivery_metrics_window;
  std::optional<std::string> delivery_metrics_granularity;
  std::optional<int> max_concurrency;
  std::optional<int> max_retries;
  std::optional<int> request_timeout_s;
  std::optional<std::string> ca_bundle;
  std::optional<int> destination_timeout_s;
  // Only as a flag (--allow-insecure-http): sending the token in clear text is a choice made
  // on purpose for one run, never left behind in a shared config file.
  bool allow_insecure_http = false;
};

/// How a setting's value is written.
enum class SettingType { kString, kInteger, kStringList };

/// The settings, in the order the settings schema and the flags' help list them.
enum class SettingId {
  kApiToken,
  kRegion,
  kStartDate,
  kApiUrl,
  kStreams,
  kDestination,
  kDeliveryMetricsWindow,
  kDeliveryMetricsGranularity,
  kMaxRetries,
  kRequestTimeout,
  kMaxConcurrency,
  kCaBundle,
  kDestinationTimeout,
};

/// One setting as data: its names in the config file, on the command line and in the
/// environment, its default and the values it accepts. The `Config` defaults, `LoadConfig`, the
/// flags' help and the Singer/Airbyte settings schema all read this one table.
struct Setting {
  SettingId id{};
  std::string_view key{};  // in the config file and the settings schema
  SettingType type = SettingType::kString;
  std::string_view flag{};             // on the command line, e.g. "--api-token"
  std::string_view env{};              // environment variable that may give it, or empty
  std::string_view default_value{};    // empty: none, or computed when the configuration loads
  std::string_view title{};            // in the settings schema
  std::string description{};           // one or more sentences, without the default
  std::vector<std::string> choices{};  // accepted values, or empty for any
  int64_t minimum = 0;                 // integers only
  int64_t maximum = 0;
  std::string_view unit{};                   // what an integer counts in messages ("seconds")
  std::string_view pattern{};                // regular expression for the schema, or empty
  std::vector<std::string_view> examples{};  // for the schema
  bool secret = false;
  bool required = false;     // required in the settings schema (the token)
  bool in_schema = true;     // false: the protocols have no use for it (destination)
  bool singer_only = false;  // Airbyte chooses streams in its configured catalog
  std::optional<std::string> ConfigFlags::*text = nullptr;  // where a text value goes
  std::optional<int> ConfigFlags::*number = nullptr;        // where an integer value goes
};

/// Every setting, indexed by `SettingId`.
const std::vector<Setting>& AllSettings();
const Setting& SettingOf(SettingId id);

/// The description of a setting for people, with its default: the schema's description and the
/// flag's help. `stream_count` is the size of the stream table, the default of `streams`.
std::string DescribeSetting(const Setting& setting, size_t stream_count);

/// The default of an integer setting.
int DefaultInt(SettingId id);

/// The API's rules for one granularity of the delivery metrics: the window is a whole number
/// of `unit_minutes` and at most `max_minutes`, and ends now.
struct DeliveryGranularity {
  std::string_view name;  // MINUTE, HOUR or DAY
  int64_t unit_minutes;
  int64_t max_minutes;
  std::string_view unit_name;  // "minutes", "hours", "days"
  std::string_view max_text;   // the longest window, as a duration: "4h", "7d", "14d"
};

/// MINUTE, HOUR and DAY, from the finest.
const std::vector<DeliveryGranularity>& DeliveryGranularities();
/// The rules of `name`, or null when the API has no such granularity.
const DeliveryGranularity* FindDeliveryGranularity(std::string_view name);

/// Parse "24h", "90m", "2d" into minutes.
std::optional<int64_t> ParseDurationMinutes(std::string_view text);

/// The default delivery-metrics window, in minutes.
int64_t DefaultDeliveryWindowMinutes();

/// The resolved configuration of a run. Plain data; the defaults come from `AllSettings()`.
struct Config {
  std::string api_token;
  std::string region{SettingOf(SettingId::kRegion).default_value};
  std::string api_url;  // from region unless overridden
  UnixMillis start_date = 0;
  bool start_date_given = false;     // from a flag or the file, not the default
  std::vector<std::string> streams;  // selected stream names, never empty once resolved
  std::string destination{SettingOf(SettingId::kDestination).default_value};
  int64_t delivery_window_minutes = DefaultDeliveryWindowMinutes();
  std::string delivery_granularity{SettingOf(SettingId::kDeliveryMetricsGranularity).default_value};
  int max_concurrency = DefaultInt(SettingId::kMaxConcurrency);
  int max_retries = DefaultInt(SettingId::kMaxRetries);
  int request_timeout_s = DefaultInt(SettingId::kRequestTimeout);
  std::string ca_bundle;
  int destination_timeout_s = DefaultInt(SettingId::kDestinationTimeout);
};

/// Where the pieces come from, so LoadConfig stays testable.
struct ConfigSources {
  ConfigFlags flags;
  std::optional<std::string> env_token;    // $SEGMENT_API_TOKEN
  std::vector<std::string> valid_streams;  // the stream table's names
  UnixMillis now = 0;
  bool require_token = true;
};

/// Merge flag > environment > file, validate every value, and resolve defaults. Every failure is
/// a kConfig Status with one line naming the key, the value and the accepted forms.
Result<Config> LoadConfig(const ConfigSources& sources);

/// The largest config file read (1 MiB): a real one is a few hundred bytes, and `--config
/// /dev/zero` must fail at once instead of growing without end.
inline constexpr size_t kMaxConfigFileBytes = size_t{1} << 20;

/// The earliest start_date accepted: Segment (and so its API's history) began in 2012; an
/// earlier start only costs requests (1,524 per usage stream from 1900) for months with no data.
inline constexpr std::string_view kEarliestStartDate = "2012-01-01";

/// "https://api.segmentapis.com" for us, "https://eu1.api.segmentapis.com" for eu.
std::optional<std::string> HostForRegion(std::string_view region);

/// Check a delivery-metrics window against the API's rules for its granularity.
Status ValidateDeliveryWindow(int64_t minutes, std::string_view granularity);

}  // namespace segsync
