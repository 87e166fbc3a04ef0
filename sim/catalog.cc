// SPDX-License-Identifier: Apache-2.0
// Generates the source, warehouse and destination catalogs, Actions included.
#include "sim/catalog.h"

#include <array>
#include <span>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "core/json_writer.h"
#include "sim/random.h"
#include "sim/text.h"

namespace segsync::sim {
namespace {

// ---------------------------------------------------------------------------------------------
// Vocabulary

struct KnownSource {
  std::string_view name;
  std::string_view category;
  bool cloud;
};
constexpr std::array<KnownSource, 32> kKnownSources = {{
    {"JavaScript", "Website", false},
    {"iOS", "Mobile", false},
    {"Android", "Mobile", false},
    {"Node.js", "Server", false},
    {"Python", "Server", false},
    {"Go", "Server", false},
    {"Java", "Server", false},
    {"Ruby", "Server", false},
    {"PHP", "Server", false},
    {".NET", "Server", false},
    {"HTTP API", "Server", false},
    {"Kotlin", "Mobile", false},
    {"Swift", "Mobile", false},
    {"React Native", "Mobile", false},
    {"Flutter", "Mobile", false},
    {"AMP", "Website", false},
    {"Pixel Tracking API", "Server", false},
    {"Clojure", "Server", false},
    {"Salesforce", "CRM", true},
    {"Stripe", "Payments", true},
    {"Zendesk", "Helpdesk", true},
    {"HubSpot", "CRM", true},
    {"Mailchimp", "Email Marketing", true},
    {"Intercom", "Helpdesk", true},
    {"Twilio", "SMS & Push Notifications", true},
    {"SendGrid", "Email Marketing", true},
    {"Facebook Lead Ads", "Advertising", true},
    {"Google Ads", "Advertising", true},
    {"Shopify (by Littledata)", "Ecommerce", true},
    {"Braze", "Email Marketing", true},
    {"Iterable", "Email Marketing", true},
    {"Klaviyo", "Email Marketing", true},
}};

constexpr std::array<std::string_view, 8> kKnownWarehouses = {
    "Snowflake",         "BigQuery",
    "Redshift",          "Postgres",
    "Databricks",        "Azure SQL Data Warehouse",
    "IBM Db2 Warehouse", "Amazon Redshift Serverless",
};

struct KnownDestination {
  std::string_view name;
  bool actions;
};
constexpr std::array<KnownDestination, 36> kKnownDestinations = {{
    {"Google Analytics 4 Cloud", true},
    {"Amplitude (Actions)", true},
    {"Mixpanel (Actions)", true},
    {"Braze Cloud Mode (Actions)", true},
    {"Google Ads Conversions", true},
    {"Facebook Conversions API (Actions)", true},
    {"HubSpot Cloud Mode (Actions)", true},
    {"Salesforce (Actions)", true},
    {"Webhooks (Actions)", true},
    {"Slack (Actions)", true},
    {"Customer.io (Actions)", true},
    {"Iterable (Actions)", true},
    {"Klaviyo (Actions)", true},
    {"LinkedIn Conversions API", true},
    {"TikTok Conversions", true},
    {"Pinterest Conversions API", true},
    {"Snap Conversions API", true},
    {"Intercom Web (Actions)", true},
    {"Google Sheets", true},
    {"Amazon Kinesis", false},
    {"Amazon S3", false},
    {"Optimizely Full Stack", false},
    {"LaunchDarkly Events", false},
    {"FullStory", false},
    {"Hotjar", false},
    {"Heap", false},
    {"Pendo", false},
    {"Vero", false},
    {"Zendesk", false},
    {"Marketo V2", false},
    {"Bing Ads", false},
    {"Criteo", false},
    {"AppsFlyer", false},
    {"Adjust", false},
    {"Branch Metrics", false},
    {"Firebase", false},
}};

constexpr std::array<std::string_view, 16> kVendorPrefixes = {
    "Bright", "Cloud", "Data",  "Nova", "Pulse",  "Quantum", "Signal", "Orbit",
    "Vector", "Lumen", "North", "Echo", "Cobalt", "Atlas",   "Prism",  "Tidal",
};
constexpr std::array<std::string_view, 12> kVendorSuffixes = {
    "CRM",      "Analytics", "Desk",   "Mail", "Pay",     "Ads",
    "Insights", "Push",      "Survey", "Lake", "Metrics", "Loop",
};

constexpr std::array<std::string_view, 14> kDestinationCategories = {
    "Analytics",
    "Advertising",
    "Attribution",
    "CRM",
    "Email Marketing",
    "Heatmaps & Recordings",
    "Raw Data",
    "Surveys",
    "A/B Testing",
    "Customer Success",
    "Enrichment",
    "Feature Flagging",
    "Marketing Automation",
    "SMS & Push Notifications",
};

constexpr std::array<std::string_view, 7> kStatuses = {
    "PUBLIC", "PUBLIC", "PUBLIC", "PUBLIC_BETA", "DEPRECATED", "PRIVATE_BETA", "UNAVAILABLE",
};

constexpr std::array<std::string_view, 24> kActionNames = {
    "Track Event",       "Identify User",
    "Page View",         "Screen View",
    "Group Identify",    "Alias",
    "Order Completed",   "Add to Cart",
    "Upsert Contact",    "Create or Update Lead",
    "Send Conversion",   "Update User Profile",
    "Send Custom Event", "Post to Channel",
    "Sync Audience",     "Upload Click Conversion",
    "Purchase",          "Sign Up",
    "Log Event V2",      "Delete User",
    "Add to List",       "Remove from List",
    "Upsert Company",    "Send Email",
};

struct FieldTemplate {
  std::string_view key;
  std::string_view label;
  std::string_view type;
  std::string_view default_path;  // "" when the default is not a @path directive
};
constexpr std::array<FieldTemplate, 20> kFieldTemplates = {{
    {"userId", "User ID", "STRING", "$.userId"},
    {"anonymousId", "Anonymous ID", "STRING", "$.anonymousId"},
    {"email", "Email", "STRING", "$.traits.email"},
    {"event_name", "Event Name", "STRING", "$.event"},
    {"properties", "Event Properties", "OBJECT", "$.properties"},
    {"timestamp", "Timestamp", "DATETIME", "$.timestamp"},
    {"revenue", "Revenue", "NUMBER", "$.properties.revenue"},
    {"currency", "Currency", "STRING", ""},
    {"products", "Products", "OBJECT", ""},
    {"ip", "IP Address", "STRING", "$.context.ip"},
    {"user_agent", "User Agent", "TEXT", "$.context.userAgent"},
    {"page_url", "Page URL", "STRING", "$.context.page.url"},
    {"enable_batching", "Batch Data", "BOOLEAN", ""},
    {"batch_size", "Batch Size", "INTEGER", ""},
    {"api_secret", "API Secret", "PASSWORD", ""},
    {"traits", "User Traits", "OBJECT", "$.traits"},
    {"session_id", "Session ID", "INTEGER", "$.integrations.Actions Amplitude.session_id"},
    {"list_id", "List", "STRING", ""},
    {"hidden_marker", "Internal", "HIDDEN", ""},
    {"group_id", "Group ID", "STRING", "$.groupId"},
}};

constexpr std::array<std::string_view, 9> kOptionTypes = {
    "string", "boolean", "number", "array", "select", "map", "text", "password", "object",
};
constexpr std::array<std::string_view, 12> kOptionNames = {
    "apiKey",      "trackNamedPages", "siteId",   "region",     "useBeaconApi",   "mappings",
    "sendRevenue", "secretKey",       "endpoint", "eventTypes", "identifyTraits", "timeout",
};

// ---------------------------------------------------------------------------------------------
// Helpers

// Hands out names: the known ones in order, then made-up vendors, never the same twice.
class NameSource {
 public:
  std::string Next(Rng& rng, std::span<const std::string_view> known) {
    if (next_known_ < known.size()) {
      std::string name(known[next_known_++]);
      used_.insert(name);
      return name;
    }
    std::string base =
        std::string(rng.Pick(kVendorPrefixes)) + std::string(rng.Pick(kVendorSuffixes));
    std::string name = base;
    for (int n = 2; used_.count(name) > 0; ++n) {
      name = base + " " + std::to_string(n);
    }
    used_.insert(name);
    return name;
  }

 private:
  size_t next_known_ = 0;
  std::unordered_set<std::string> used_;
};

// "O,N" fields: absent, null, or a value, a third of the time each.
template <typename WriteValue>
void OptionalNullable(JsonWriter& w, Rng& rng, std::string_view key, WriteValue write_value) {
  switch (rng.Below(3)) {
    case 0:
      return;
    case 1:
      w.Key(key).Null();
      return;
    default:
      w.Key(key);
      write_value();
      return;
  }
}

void WriteLogos(JsonWriter& w, Rng& rng) {
  w.Key("logos").BeginObject();
  w.Key("default").String("https://cdn.filepicker.io/api/file/" + AlnumId(rng, 20));
  OptionalNullable(w, rng, "mark", [&] {
    w.String("https://cdn-devcenter.segment.com/" + HexId(rng, 8) + "-" + HexId(rng, 4) + ".svg");
  });
  OptionalNullable(w, rng, "alt",
                   [&] { w.String("https://cdn.filepicker.io/api/file/" + AlnumId(rng, 20)); });
  w.EndObject();
}

void WriteAnyValue(JsonWriter& w, Rng& rng) {
  switch (rng.Below(6)) {
    case 0:
      w.String(Decorate(rng, "default", kHostileShare));
      break;
    case 1:
      w.Int(rng.Between(0, 5000));
      break;
    case 2:
      w.Bool(rng.Chance(0.5));
      break;
    case 3:
      w.BeginArray().String("track").String("page").EndArray();
      break;
    case 4:
      WriteFreeFormObject(w, rng, 2);
      break;
    default:
      w.Null();
      break;
  }
}

void WriteOptions(JsonWriter& w, Rng& rng) {
  w.Key("options").BeginArray();
  const int64_t n = rng.Between(0, 5);
  for (int64_t i = 0; i < n; ++i) {
    w.BeginObject();
    w.Key("name").String(std::string(kOptionNames[static_cast<size_t>(i) % kOptionNames.size()]));
    w.Key("type").String(rng.Pick(kOptionTypes));
    w.Key("required").Bool(rng.Chance(0.3));
    if (rng.Chance(0.8)) {
      w.Key("description").String(Decorate(rng, "Configures how data is sent.", kHostileShare));
    }
    OptionalNullable(w, rng, "defaultValue", [&] { WriteAnyValue(w, rng); });
    if (rng.Chance(0.7)) {
      w.Key("label").String(Decorate(rng, "Setting", kHostileShare));
    }
    w.EndObject();
  }
  w.EndArray();
}

template <typename Container>
void WriteStringArray(JsonWriter& w, const Container& values) {
  w.BeginArray();
  for (const auto& v : values) {
    w.String(v);
  }
  w.EndArray();
}

/// The names of a table of well-known entries.
template <typename Known>
std::vector<std::string_view> NamesOf(const Known& entries) {
  std::vector<std::string_view> names;
  names.reserve(entries.size());
  for (const auto& entry : entries) {
    names.push_back(entry.name);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// The three catalogs

std::vector<CatalogEntry> GenerateCatalogSources(uint64_t seed, int count) {
  std::vector<CatalogEntry> entries;
  NameSource names;
  SlugSet slugs;
  const std::vector<std::string_view> known = NamesOf(kKnownSources);
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(seed, "catalog_sources", static_cast<uint64_t>(i));
    const bool is_known = static_cast<size_t>(i) < kKnownSources.size();
    CatalogEntry entry;
    entry.id = AlnumId(rng, 10);
    entry.name = names.Next(rng, known);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(entry.id);
    w.Key("name").String(entry.name);
    w.Key("slug").String(slugs.Claim(entry.name, "source_" + std::to_string(i)));
    w.Key("description")
        .String(Decorate(rng, "Collects events from " + entry.name + " and sends them to Segment.",
                         kHostileShare));
    WriteLogos(w, rng);
    WriteOptions(w, rng);
    w.Key("categories").BeginArray();
    if (is_known) {
      w.String(kKnownSources[static_cast<size_t>(i)].category);
    } else if (rng.Chance(0.9)) {
      w.String(rng.Pick(kDestinationCategories));
    }
    w.EndArray();
    w.Key("isCloudEventSource")
        .Bool(is_known ? kKnownSources[static_cast<size_t>(i)].cloud : rng.Chance(0.5));
    w.Key("status").String(rng.Pick(kStatuses));
    if (rng.Chance(0.5)) {
      w.Key("partnerOwned").Bool(rng.Chance(0.3));
    }
    w.EndObject();
    entry.json = w.Take();
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<CatalogEntry> GenerateCatalogWarehouses(uint64_t seed, int count) {
  std::vector<CatalogEntry> entries;
  NameSource names;
  SlugSet slugs;
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(seed, "catalog_warehouses", static_cast<uint64_t>(i));
    CatalogEntry entry;
    entry.id = AlnumId(rng, 10);
    entry.name = names.Next(rng, kKnownWarehouses);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(entry.id);
    w.Key("name").String(entry.name);
    w.Key("slug").String(slugs.Claim(entry.name, "warehouse_" + std::to_string(i)));
    w.Key("description").String(Decorate(rng, entry.name + " data warehouse.", kHostileShare));
    WriteLogos(w, rng);
    WriteOptions(w, rng);
    w.EndObject();
    entry.json = w.Take();
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::string CamelSlug(std::string_view name, size_t index) {
  std::string slug;
  bool upper_next = false;
  for (char c : name) {
    if (c == ' ' || c == '(' || c == ')') {
      upper_next = !slug.empty();
      continue;
    }
    if (slug.empty() && c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    } else if (upper_next && c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
    upper_next = false;
    slug.push_back(c);
  }
  if (index >= kActionNames.size()) {
    slug += std::to_string(index / kActionNames.size() + 1);
  }
  return slug;
}

void WriteActionField(JsonWriter& w, Rng& rng, const FieldTemplate& field, int sort_order) {
  w.BeginObject();
  w.Key("id").String(Base58Id(rng));
  w.Key("sortOrder").Int(sort_order);
  w.Key("fieldKey").String(field.key);
  w.Key("label").String(field.label);
  w.Key("type").String(field.type);
  w.Key("description")
      .String(Decorate(rng, "The " + std::string(field.label) + " to send.", kHostileShare));
  if (rng.Chance(0.3)) {
    w.Key("placeholder").String(rng.Chance(0.5) ? "" : "e.g. " + AlnumId(rng, 6));
  }
  if (!field.default_path.empty()) {
    w.Key("defaultValue");
    if (rng.Chance(0.3)) {
      // Segment's mapping kit: a conditional default falling back to another path.
      w.BeginObject().Key("@if").BeginObject();
      w.Key("exists").BeginObject().Key("@path").String(field.default_path).EndObject();
      w.Key("then").BeginObject().Key("@path").String(field.default_path).EndObject();
      w.Key("else").BeginObject().Key("@path").String("$.anonymousId").EndObject();
      w.EndObject().EndObject();
    } else {
      w.BeginObject().Key("@path").String(field.default_path).EndObject();
    }
  } else if (field.key == "products") {
    w.Key("defaultValue").BeginObject().Key("@arrayPath").BeginArray();
    w.String("$.properties.products");
    w.BeginObject();
    w.Key("product_id").BeginObject().Key("@path").String("$.product_id").EndObject();
    w.Key("quantity").BeginObject().Key("@path").String("$.quantity").EndObject();
    w.EndObject();
    w.EndArray().EndObject();
  } else {
    OptionalNullable(w, rng, "defaultValue", [&] { WriteAnyValue(w, rng); });
  }
  w.Key("required").Bool(rng.Chance(0.3));
  w.Key("multiple").Bool(field.type == "OBJECT" && rng.Chance(0.3));
  OptionalNullable(w, rng, "choices", [&] {
    w.BeginArray();
    w.BeginObject().Key("label").String("US").Key("value").String("us").EndObject();
    w.BeginObject().Key("label").String("EU").Key("value").String("eu").EndObject();
    w.EndArray();
  });
  w.Key("dynamic").Bool(field.key == "list_id");
  w.Key("allowNull").Bool(rng.Chance(0.2));
  if (rng.Chance(0.5)) {
    w.Key("hidden").Bool(field.type == "HIDDEN");
  }
  w.EndObject();
}

std::vector<CatalogEntry> GenerateCatalogDestinations(uint64_t seed, const ScaleSpec& scale,
                                                      int count) {
  std::vector<CatalogEntry> entries;
  NameSource names;
  SlugSet slugs;
  const std::vector<std::string_view> known = NamesOf(kKnownDestinations);
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(seed, "catalog_destinations", static_cast<uint64_t>(i));
    const bool is_known = static_cast<size_t>(i) < kKnownDestinations.size();
    const bool has_actions =
        is_known ? kKnownDestinations[static_cast<size_t>(i)].actions : rng.Chance(0.5);
    CatalogEntry entry;
    entry.id = HexId(rng, 24);
    entry.name = names.Next(rng, known);
    if (!is_known && has_actions) {
      entry.name += " (Actions)";
    }
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(entry.id);
    w.Key("name").String(entry.name);
    w.Key("description")
        .String(Decorate(rng, "Send your data to " + entry.name + ".", kHostileShare));
    w.Key("slug").String(slugs.Claim(entry.name, "destination_" + std::to_string(i)));
    WriteLogos(w, rng);
    WriteOptions(w, rng);
    w.Key("status").String(rng.Pick(kStatuses));
    w.Key("previousNames").BeginArray();
    w.String(entry.name);
    if (rng.Chance(0.2)) {
      w.String(entry.name + " Classic");
    }
    w.EndArray();
    w.Key("categories").BeginArray();
    w.String(rng.Pick(kDestinationCategories));
    if (rng.Chance(0.3)) {
      w.String("Raw Data");
    }
    w.EndArray();
    w.Key("website").String(rng.Chance(0.1) ? std::string()
                                            : "https://www." + Slugify(entry.name, "x") + ".com");
    w.Key("components").BeginArray();
    if (!has_actions) {
      static constexpr std::array<std::string_view, 4> kComponentTypes = {"ANDROID", "BROWSER",
                                                                          "IOS", "SERVER"};
      const int64_t n = rng.Between(1, 3);
      for (int64_t c = 0; c < n; ++c) {
        w.BeginObject();
        w.Key("type").String(kComponentTypes[static_cast<size_t>(c)]);
        w.Key("code").String("https://github.com/segment-integrations/" + Slugify(entry.name, "x"));
        if (rng.Chance(0.5)) {
          w.Key("owner").String(rng.Chance(0.8) ? "SEGMENT" : "PARTNER");
        }
        w.EndObject();
      }
    }
    w.EndArray();
    w.Key("supportedFeatures").BeginObject();
    if (rng.Chance(0.8)) {
      static constexpr std::array<std::string_view, 5> kCloud = {"0", "1", "MULTIPLE", "NONE",
                                                                 "SINGLE"};
      w.Key("cloudModeInstances").String(rng.Pick(kCloud));
    }
    if (rng.Chance(0.8)) {
      static constexpr std::array<std::string_view, 4> kDevice = {"0", "1", "NONE", "SINGLE"};
      w.Key("deviceModeInstances").String(rng.Pick(kDevice));
    }
    if (rng.Chance(0.6)) {
      w.Key("replay").Bool(rng.Chance(0.5));
    }
    if (rng.Chance(0.5)) {
      w.Key("browserUnbundling").Bool(rng.Chance(0.5));
      w.Key("browserUnbundlingPublic").Bool(rng.Chance(0.5));
    }
    w.EndObject();
    w.Key("supportedMethods").BeginObject();
    for (std::string_view method : {"pageview", "identify", "alias", "track", "group"}) {
      if (rng.Chance(0.8)) {
        w.Key(method).Bool(rng.Chance(0.7));
      }
    }
    w.EndObject();
    w.Key("supportedPlatforms").BeginObject();
    for (std::string_view platform :
         {"browser", "server", "mobile", "warehouse", "cloudAppObject", "linkedAudiences"}) {
      if (rng.Chance(0.7)) {
        w.Key(platform).Bool(rng.Chance(0.6));
      }
    }
    w.EndObject();
    w.Key("actions").BeginArray();
    if (has_actions) {
      const auto action_count = static_cast<size_t>(rng.Between(1, scale.max_actions));
      const size_t first = rng.Below(kActionNames.size());
      for (size_t a = 0; a < action_count; ++a) {
        const size_t name_index = first + a;
        ActionRef action;
        action.id = Base58Id(rng);
        action.name = std::string(kActionNames[name_index % kActionNames.size()]);
        action.slug = CamelSlug(action.name, name_index);
        if (name_index >= kActionNames.size()) {
          action.name += " " + std::to_string(name_index / kActionNames.size() + 1);
        }
        w.BeginObject();
        w.Key("id").String(action.id);
        w.Key("slug").String(action.slug);
        w.Key("name").String(action.name);
        w.Key("description")
            .String(Decorate(rng, "Sends " + action.name + " events.", kHostileShare));
        w.Key("platform").String(rng.Chance(0.85) ? "CLOUD" : (rng.Chance(0.5) ? "WEB" : "MOBILE"));
        w.Key("hidden").Bool(rng.Chance(0.05));
        w.Key("defaultTrigger");
        if (rng.Chance(0.2)) {
          w.Null();
        } else {
          w.String(rng.Chance(0.5) ? "type = \"track\"" : "type = \"identify\" or type = \"page\"");
        }
        w.Key("fields").BeginArray();
        const auto field_count = static_cast<size_t>(rng.Between(1, scale.max_fields));
        const size_t first_field = rng.Below(kFieldTemplates.size());
        for (size_t f = 0; f < field_count; ++f) {
          WriteActionField(w, rng, kFieldTemplates[(first_field + f) % kFieldTemplates.size()],
                           static_cast<int>(f));
        }
        w.EndArray();
        w.EndObject();
        entry.actions.push_back(std::move(action));
      }
    }
    w.EndArray();
    w.Key("presets").BeginArray();
    if (has_actions) {
      const auto preset_count = static_cast<size_t>(rng.Between(0, 2));
      for (size_t p = 0; p < preset_count && p < entry.actions.size(); ++p) {
        w.BeginObject();
        w.Key("actionId").String(entry.actions[p].id);
        w.Key("name").String(entry.actions[p].name);
        w.Key("fields").BeginObject();
        w.Key("userId").BeginObject().Key("@path").String("$.userId").EndObject();
        w.Key("event_name").BeginObject().Key("@path").String("$.event").EndObject();
        w.EndObject();
        w.Key("trigger").String("type = \"track\"");
        w.EndObject();
      }
    }
    w.EndArray();
    if (rng.Chance(0.5)) {
      w.Key("contacts").BeginArray();
      w.BeginObject();
      if (rng.Chance(0.7)) {
        w.Key("name").String(Decorate(rng, "Partner Support", kHostileShare));
      }
      w.Key("email").String("support@" + Slugify(entry.name, "x") + ".example.com");
      if (rng.Chance(0.5)) {
        w.Key("role").String("Engineering");
      }
      if (rng.Chance(0.5)) {
        w.Key("isPrimary").Bool(true);
      }
      w.EndObject();
      w.EndArray();
    }
    if (rng.Chance(0.5)) {
      w.Key("partnerOwned").Bool(rng.Chance(0.3));
    }
    if (rng.Chance(0.6)) {
      static constexpr std::array<std::string_view, 2> kRegions = {"us-west-2", "eu-west-1"};
      w.Key("supportedRegions");
      WriteStringArray(w, kRegions);
      static constexpr std::array<std::string_view, 2> kEndpoints = {"US", "EU"};
      w.Key("regionEndpoints");
      WriteStringArray(w, kEndpoints);
    }
    if (rng.Chance(0.2)) {
      w.Key("multiInstanceSupportedVersion").String(rng.Chance(0.5) ? "SUPPORTED" : "UNSUPPORTED");
    }
    w.EndObject();
    entry.json = w.Take();
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

Catalog GenerateCatalog(uint64_t seed, const ScaleSpec& scale) {
  auto count = [&scale](ListStream s) { return scale.counts[static_cast<size_t>(s)]; };
  return {GenerateCatalogSources(seed, count(ListStream::kCatalogSources)),
          GenerateCatalogWarehouses(seed, count(ListStream::kCatalogWarehouses)),
          GenerateCatalogDestinations(seed, scale, count(ListStream::kCatalogDestinations))};
}

}  // namespace segsync::sim
