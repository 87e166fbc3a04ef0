// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace segsync {

/// The resolved configuration of a run (CONTRACT.md §2). Plain data.
struct Config {
  std::string api_token;
  std::string region = "us";
  std::string api_url;  // from region unless overridden
  UnixMillis start_date = 0;
  std::vector<std::string> streams;  // selected stream names, never empty once resolved
  std::string destination = "sqlite:segment.db";
  int64_t delivery_window_minutes = int64_t{24} * 60;
  std::string delivery_granularity = "HOUR";
  int max_concurrency = 4;
  int max_retries = 5;
  int request_timeout_s = 60;
  std::string ca_bundle;
};

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
};

/// Where the pieces come from, so LoadConfig stays testable.
struct ConfigSources {
  ConfigFlags flags;
  std::optional<std::string> env_token;    // $SEGMENT_API_TOKEN
  std::vector<std::string> valid_streams;  // the 18 names
  UnixMillis now = 0;
  bool require_token = true;
};

/// Merge flag > environment > file, validate every value, and resolve defaults. Every failure is
/// a kConfig Status with one line naming the key, the value and the accepted forms.
Result<Config> LoadConfig(const ConfigSources& sources);

/// "https://api.segmentapis.com" for us, "https://eu1.api.segmentapis.com" for eu.
std::optional<std::string> HostForRegion(std::string_view region);

/// Parse "24h", "90m", "2d" into minutes.
std::optional<int64_t> ParseDurationMinutes(std::string_view text);

/// Check a delivery-metrics window against the API's rules for its granularity.
Status ValidateDeliveryWindow(int64_t minutes, std::string_view granularity);

}  // namespace segsync
