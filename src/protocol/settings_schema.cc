// SPDX-License-Identifier: Apache-2.0
// The configuration's settings table as the JSON Schema that Singer and Airbyte publish.
#include "protocol/settings_schema.h"

#include "core/json_writer.h"
#include "streams/stream_spec.h"

namespace segsync {

std::string ConfigSettingsSchema(SettingsDialect dialect) {
  const bool airbyte = dialect == SettingsDialect::kAirbyte;
  JsonWriter w;
  w.BeginObject();
  w.Key("$schema").String("http://json-schema.org/draft-07/schema#");
  w.Key("title").String("segsync (Segment Public API)");
  w.Key("type").String("object");
  w.Key("required").BeginArray().String("api_token").EndArray();
  w.Key("additionalProperties").Bool(true);
  w.Key("properties").BeginObject();
  int order = 0;
  auto property = [&](std::string_view name, std::string_view type, std::string_view title,
                      std::string_view description) {
    w.Key(name).BeginObject().Key("type").String(type).Key("title").String(title);
    w.Key("description").String(description);
    if (airbyte) {
      w.Key("order").Int(order++);
    }
  };

  property("api_token", "string", "API token",
           "Segment Public API token (Settings > Workspace settings > Access Management > "
           "Tokens). A read-only token is enough. May also come from SEGMENT_API_TOKEN.");
  if (airbyte) {
    w.Key("airbyte_secret").Bool(true);
  } else {
    w.Key("secret").Bool(true).Key("writeOnly").Bool(true);
  }
  w.EndObject();

  property("region", "string", "Region",
           "Where the workspace lives: us (api.segmentapis.com) or eu "
           "(eu1.api.segmentapis.com).");
  w.Key("enum").BeginArray().String("us").String("eu").EndArray();
  w.Key("default").String("us").EndObject();

  property("start_date", "string", "Start date",
           "Earliest data read by the usage and audit streams: MM/DD/YYYY, YYYY-MM-DD or "
           "RFC 3339. Default: the first day of the month 12 months ago.");
  w.Key("examples").BeginArray().String("2024-01-01").String("2024-01-01T00:00:00Z").EndArray();
  w.EndObject();

  property("api_url", "string", "API URL",
           "Overrides the host chosen by region: a proxy, or a test server.");
  w.EndObject();

  if (!airbyte) {
    // Airbyte selects streams in its configured catalog; Singer runs without a catalog too.
    property("streams", "array", "Streams",
             "Streams to sync when no catalog is given (default: all 18).");
    w.Key("items").BeginObject().Key("type").String("string").Key("enum").BeginArray();
    for (const auto& spec : AllStreams()) {
      w.String(spec.name);
    }
    w.EndArray().EndObject().EndObject();
  }

  property("delivery_metrics_window", "string", "Delivery metrics window",
           "Window of destination_delivery_metrics_summary, ending now: e.g. 90m, 24h, 7d "
           "(default 24h).");
  w.Key("pattern").String("^[0-9]+[mhd]$").EndObject();

  property("delivery_metrics_granularity", "string", "Delivery metrics granularity",
           "MINUTE (window up to 4h), HOUR (up to 7d, default) or DAY (up to 14d).");
  w.Key("enum").BeginArray().String("MINUTE").String("HOUR").String("DAY").EndArray();
  w.Key("default").String("HOUR").EndObject();

  property("max_retries", "integer", "Maximum retries",
           "Retries of a failed request before its stream fails (default 5).");
  w.Key("minimum").Int(0).Key("default").Int(5).EndObject();

  property("request_timeout_s", "integer", "Request timeout (seconds)",
           "Seconds before a request is abandoned and retried (default 60).");
  w.Key("minimum").Int(1).Key("default").Int(60).EndObject();

  property("max_concurrency", "integer", "Maximum concurrency",
           "Requests in flight at once (default 4).");
  w.Key("minimum").Int(1).Key("default").Int(4).EndObject();

  property("ca_bundle", "string", "CA bundle",
           "PEM file of CA certificates, for networks that intercept TLS.");
  w.EndObject();

  w.EndObject().EndObject();
  return w.Take();
}

}  // namespace segsync
