// SPDX-License-Identifier: Apache-2.0
// Generates the simulated workspace from a seed and a scale.
#include "sim/workspace.h"

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <utility>

#include "core/json_writer.h"
#include "sim/catalog.h"
#include "sim/extras.h"
#include "sim/random.h"
#include "sim/text.h"

namespace segsync::sim {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;

constexpr std::array<ListStreamInfo, kListStreamCount> kListStreams = {{
    {ListStream::kSources, "sources", "/sources", "sources"},
    {ListStream::kDestinations, "destinations", "/destinations", "destinations"},
    {ListStream::kWarehouses, "warehouses", "/warehouses", "warehouses"},
    {ListStream::kCatalogSources, "catalog_sources", "/catalog/sources", "sourcesCatalog"},
    {ListStream::kCatalogDestinations, "catalog_destinations", "/catalog/destinations",
     "destinationsCatalog"},
    {ListStream::kCatalogWarehouses, "catalog_warehouses", "/catalog/warehouses",
     "warehousesCatalog"},
    {ListStream::kUsers, "users", "/users", "users"},
    {ListStream::kGroups, "groups", "/groups", "userGroups"},
    {ListStream::kTransformations, "transformations", "/transformations", "transformations"},
}};
// ---------------------------------------------------------------------------------------------
// Vocabulary

constexpr std::array<std::string_view, 6> kRoleNames = {
    "Workspace Owner",  "Workspace Member", "Source Admin",
    "Source Read-only", "Warehouse Admin",  "Unify Read-only",
};

constexpr std::array<std::string_view, 12> kFirstNames = {
    "Ana", "Kenji",  "Fatima", "Olu",     "Priya", "Mateo",
    "Zoë", "Łukasz", "Nguyễn", "Siobhán", "Chidi", "Ingrid",
};
constexpr std::array<std::string_view, 10> kLastNames = {
    "García", "Tanaka",  "Haddad", "Adeyemi",  "Sharma",
    "Rossi",  "O'Brien", "Müller", "Kowalski", "Johansson",
};

constexpr std::array<std::string_view, 8> kAuditVerbs = {
    "Created",  "Modified", "Deleted",   "Enabled",
    "Disabled", "Renamed",  "Connected", "Settings Modified",
};
// ---------------------------------------------------------------------------------------------
// Helpers

std::string WithoutMillis(UnixMillis t) {
  std::string text = FormatRfc3339Millis(t - t % 1000);
  text.erase(text.size() - 5, 4);  // "...:22.000Z" -> "...:22Z", the audit example's form
  return text;
}

// ---------------------------------------------------------------------------------------------
// Workspace objects

struct GeneratedSource {
  std::string id;
  std::string name;  // "" when the item has no name
  std::string slug;
};

void WriteLabels(JsonWriter& w, Rng& rng) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kLabels = {{
      {"environment", "prod"},
      {"environment", "dev"},
      {"team", "growth"},
      {"region", "eu"},
      {"cost-center", "4711"},
  }};
  const int64_t n = rng.Between(0, 3);
  for (int64_t i = 0; i < n; ++i) {
    const auto& [key, value] = kLabels[static_cast<size_t>(i + rng.Between(0, 2))];
    w.BeginObject();
    w.Key("key").String(key);
    w.Key("value").String(value);
    if (rng.Chance(0.3)) {
      w.Key("description").String(Decorate(rng, "", kHostileShare));
    }
    w.EndObject();
  }
}

void WritePermissions(JsonWriter& w, Rng& rng, const Workspace& ws,
                      const std::vector<std::string>& role_ids) {
  w.Key("permissions").BeginArray();
  const int64_t n = rng.Between(0, 3);
  for (int64_t i = 0; i < n; ++i) {
    const size_t role = rng.Below(kRoleNames.size());
    w.BeginObject();
    w.Key("roleName").String(kRoleNames[role]);
    w.Key("roleId").String(role_ids[role]);
    w.Key("resources").BeginArray();
    const auto& sources = ws.list(ListStream::kSources);
    const auto& warehouses = ws.list(ListStream::kWarehouses);
    switch (rng.Below(4)) {
      case 0:
        w.BeginObject().Key("id").String(ws.workspace_id).Key("type").String("WORKSPACE");
        w.EndObject();
        break;
      case 1:
        if (!sources.empty()) {
          w.BeginObject().Key("id").String(rng.Pick(sources).id).Key("type").String("SOURCE");
          if (rng.Chance(0.3)) {
            w.Key("labels").BeginArray();
            w.BeginObject().Key("key").String("environment").Key("value").String("prod");
            w.EndObject();
            w.EndArray();
          }
          w.EndObject();
        }
        break;
      case 2:
        if (!warehouses.empty()) {
          w.BeginObject().Key("id").String(rng.Pick(warehouses).id);
          w.Key("type").String("WAREHOUSE").EndObject();
        }
        break;
      default:
        w.BeginObject().Key("id").String("sfnc_" + AlnumId(rng, 10)).Key("type").String("FUNCTION");
        w.EndObject();
        w.BeginObject().Key("id").String(Base58Id(rng)).Key("type").String("SPACE").EndObject();
        break;
    }
    w.EndArray();
    if (rng.Chance(0.3)) {
      w.Key("labels").BeginArray();
      w.BeginObject().Key("key").String("team").Key("value").String("growth");
      if (rng.Chance(0.5)) {
        w.Key("description").String("Growth team resources");
      }
      w.EndObject();
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
}

void GenerateSources(Workspace& ws, const std::vector<CatalogEntry>& catalog, int count,
                     std::vector<GeneratedSource>& out) {
  static constexpr std::array<std::string_view, 6> kEnvironments = {
      "Production", "Staging", "Dev", "(EU)", "QA", "Backfill"};
  SlugSet slugs;
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(ws.seed, "sources", static_cast<uint64_t>(i));
    const CatalogEntry& metadata = rng.Pick(catalog);
    Item item;
    item.id = Base58Id(rng);
    const std::string name =
        Decorate(rng, metadata.name + " " + std::string(rng.Pick(kEnvironments)), kHostileShare);
    const bool named = rng.Chance(0.9);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    const std::string slug = slugs.Claim(name, "source_" + std::to_string(i));
    w.Key("slug").String(slug);
    if (named) {
      w.Key("name").String(name);
    }
    w.Key("workspaceId").String(ws.workspace_id);
    w.Key("enabled").Bool(rng.Chance(0.85));
    w.Key("writeKeys").BeginArray();
    // An empty list is what a token without source-admin rights sees.
    if (rng.Chance(0.85)) {
      const int64_t keys = rng.Between(1, 2);
      for (int64_t k = 0; k < keys; ++k) {
        w.String(AlnumId(rng, 32));
      }
    }
    w.EndArray();
    if (rng.Chance(0.7)) {
      w.Key("settings");
      WriteFreeFormObject(w, rng, 3);
    }
    w.Key("labels").BeginArray();
    WriteLabels(w, rng);
    w.EndArray();
    w.Key("metadata").Raw(metadata.json);
    if (rng.Chance(0.1)) {
      w.Key("x_segsync_extra").BeginObject().Key("note").String(HostileText(rng)).EndObject();
    }
    w.EndObject();
    item.json = w.Take();
    out.push_back({item.id, named ? name : std::string(), slug});
    ws.list(ListStream::kSources).push_back(std::move(item));
  }
}

void GenerateWarehouses(Workspace& ws, const std::vector<CatalogEntry>& catalog, int count,
                        int max_depth) {
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(ws.seed, "warehouses", static_cast<uint64_t>(i));
    const CatalogEntry& metadata = rng.Pick(catalog);
    Item item;
    item.id = Base58Id(rng);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    w.Key("metadata").Raw(metadata.json);
    w.Key("workspaceId").String(ws.workspace_id);
    w.Key("enabled").Bool(rng.Chance(0.8));
    w.Key("settings").BeginObject();
    w.Key("name").String(Decorate(rng, metadata.name + " warehouse", kHostileShare));
    if (rng.Chance(0.5)) {
      w.Key("ciphertext").String(AlnumId(rng, 48));
      w.Key("encrypted").Bool(true);
    }
    if (rng.Chance(0.4)) {
      w.Key("gc-project").String("analytics-" + HexId(rng, 6));
      w.Key("location").String(rng.Chance(0.5) ? "US" : "EU");
    }
    w.Key("port").Int(rng.Chance(0.5) ? 5439 : 443);
    w.Key("advanced");
    WriteFreeFormObject(w, rng, max_depth);
    w.EndObject();
    w.EndObject();
    item.json = w.Take();
    ws.audit_resources.push_back({item.id, "warehouse", "Warehouse", metadata.name});
    ws.list(ListStream::kWarehouses).push_back(std::move(item));
  }
}

void WriteSubscription(JsonWriter& w, Rng& rng, const std::string& destination_id,
                       const ActionRef& action) {
  w.BeginObject();
  w.Key("id").String(Base58Id(rng));
  w.Key("name").String(Decorate(rng, action.name, kHostileShare));
  w.Key("actionId").String(action.id);
  w.Key("actionSlug").String(action.slug);
  w.Key("destinationId").String(destination_id);
  w.Key("enabled").Bool(rng.Chance(0.8));
  w.Key("settings").BeginObject();
  w.Key("userId").BeginObject().Key("@path").String("$.userId").EndObject();
  if (rng.Chance(0.5)) {
    w.Key("properties").BeginObject().Key("@path").String("$.properties").EndObject();
  }
  w.EndObject();
  w.Key("trigger").String(rng.Chance(0.5) ? "type = \"track\" and event = \"Order Completed\""
                                          : "type = \"identify\"");
  switch (rng.Below(3)) {
    case 0:
      break;
    case 1:
      w.Key("modelId").String("");
      break;  // as in the spec example
    default:
      w.Key("modelId").String(Base58Id(rng));
      break;
  }
  if (rng.Chance(0.3)) {
    w.Key("reverseETLSchedule").BeginObject();
    switch (rng.Below(4)) {
      case 0:
        w.Key("strategy").String("PERIODIC");
        w.Key("config").BeginObject().Key("interval").String("15m").EndObject();
        break;
      case 1:
        w.Key("strategy").String("SPECIFIC_DAYS");
        w.Key("config").BeginObject();
        w.Key("days").BeginArray().Int(1).Int(3).EndArray();
        w.Key("hours").BeginArray().Int(6).EndArray();
        w.Key("timezone").String("Europe/Berlin");
        w.EndObject();
        break;
      case 2:
        w.Key("strategy").String("MANUAL");
        w.Key("config").Null();
        break;
      default:
        w.Key("strategy").String("CRON");
        w.Key("config").BeginObject().Key("spec").String("0 */6 * * *");
        w.Key("timezone").String("UTC").EndObject();
        break;
    }
    w.EndObject();
  }
  w.EndObject();
}

std::string DeliveryMetrics(uint64_t seed, const std::string& destination_id,
                            const std::string& source_id, const std::string& metadata_id) {
  Rng rng(HashCombine(seed, HashString(destination_id)));
  const int64_t first = rng.Between(0, 50000);
  const int64_t retried = rng.Between(0, 500);
  const int64_t after_retry = std::min(retried, rng.Between(0, 500));
  JsonWriter w;
  w.BeginObject();
  w.Key("sourceId").String(source_id);
  w.Key("destinationMetadataId").String(metadata_id);
  w.Key("metrics").BeginArray();
  w.BeginObject().Key("metricName").String("successes").Key("total").Int(first + after_retry);
  w.Key("breakdown").BeginArray();
  w.BeginObject().Key("metricName").String("successes_on_first_attempt").Key("value").Int(first);
  w.EndObject();
  w.BeginObject().Key("metricName").String("successes_after_retry").Key("value").Int(after_retry);
  w.EndObject();
  w.EndArray().EndObject();
  for (std::string_view name : {"expired", "discarded"}) {
    w.BeginObject().Key("metricName").String(name).Key("total").Int(rng.Between(0, 40)).EndObject();
  }
  w.BeginObject().Key("metricName").String("retried").Key("total").Int(retried).EndObject();
  for (std::string_view name : {"time_to_success", "time_to_first_attempt"}) {
    const int64_t average = rng.Between(20, 900);
    w.BeginObject().Key("metricName").String(name).Key("total").Int(average);
    w.Key("breakdown").BeginArray();
    w.BeginObject().Key("metricName").String(std::string(name) + "_average");
    w.Key("value").Int(average).EndObject();
    w.BeginObject().Key("metricName").String(std::string(name) + "_p95");
    w.Key("value").Double(static_cast<double>(average) * 2.5).EndObject();
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take();
}

// The catalog entry of the hub destination: the first with actions, so that it can carry many
// subscriptions; nullptr when no entry has actions.
const CatalogEntry* FirstWithActions(const std::vector<CatalogEntry>& catalog) {
  auto it = std::find_if(catalog.begin(), catalog.end(),
                         [](const CatalogEntry& entry) { return !entry.actions.empty(); });
  return it == catalog.end() ? nullptr : &*it;
}

void GenerateDestinations(Workspace& ws, const std::vector<CatalogEntry>& catalog,
                          const std::vector<GeneratedSource>& sources, int count, int max_depth,
                          int hub_children) {
  if (sources.empty()) {
    return;
  }
  const CatalogEntry* hub_metadata = FirstWithActions(catalog);
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(ws.seed, "destinations", static_cast<uint64_t>(i));
    // Squaring the draw piles destinations onto the first sources and leaves some with none;
    // the first hub_children all go to the first source, whose list then spans several pages.
    const double u = rng.Unit();
    const GeneratedSource& source =
        i < hub_children
            ? sources.front()
            : sources[static_cast<size_t>(u * u * static_cast<double>(sources.size()))];
    const CatalogEntry& picked = rng.Pick(catalog);
    const bool hub = i == 0 && hub_children > 0 && hub_metadata != nullptr;
    const CatalogEntry& metadata = hub ? *hub_metadata : picked;
    Item item;
    item.id = Base58Id(rng);
    item.source_id = source.id;
    const std::string name = Decorate(rng, metadata.name, kHostileShare);
    const bool named = rng.Chance(0.85);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    if (named) {
      w.Key("name").String(name);
    }
    w.Key("enabled").Bool(rng.Chance(0.75));
    w.Key("metadata").Raw(metadata.json);
    w.Key("sourceId").String(source.id);
    w.Key("settings");
    WriteFreeFormObject(w, rng, max_depth);
    w.EndObject();
    item.json = w.Take();

    DestinationExtras extras;
    if (!metadata.actions.empty() && rng.Chance(0.6)) {
      const size_t n =
          std::min<size_t>(metadata.actions.size(), static_cast<size_t>(rng.Between(1, 4)));
      for (size_t a = 0; a < n; ++a) {
        JsonWriter sub;
        WriteSubscription(sub, rng, item.id, metadata.actions[a]);
        extras.subscriptions.push_back(sub.Take());
      }
    }
    if (hub) {
      // Several subscriptions per action, as when one action maps many events.
      Rng hub_rng = Rng::For(ws.seed, "hub_subscriptions");
      extras.subscriptions.clear();
      for (size_t a = 0; a < static_cast<size_t>(hub_children); ++a) {
        JsonWriter sub;
        WriteSubscription(sub, hub_rng, item.id, metadata.actions[a % metadata.actions.size()]);
        extras.subscriptions.push_back(sub.Take());
      }
    }
    extras.delivery_metrics = DeliveryMetrics(ws.seed, item.id, source.id, metadata.id);
    ws.destination_extras.emplace(item.id, std::move(extras));
    ws.audit_resources.push_back(
        {item.id, "destination", "Destination", named ? name : std::string()});
    ws.list(ListStream::kDestinations).push_back(std::move(item));
  }
}

void ConnectWarehouses(Workspace& ws, int hub_children) {
  const auto& warehouses = ws.list(ListStream::kWarehouses);
  for (size_t i = 0; i < ws.list(ListStream::kSources).size(); ++i) {
    const std::string& source_id = ws.list(ListStream::kSources)[i].id;
    Rng rng = Rng::For(ws.seed, "connected_warehouses", i);
    std::vector<std::string>& connected = ws.connected_warehouses[source_id];
    auto n = static_cast<size_t>(
        rng.Between(0, std::min<int64_t>(3, static_cast<int64_t>(warehouses.size()))));
    const size_t start = warehouses.empty() ? 0 : rng.Below(warehouses.size());
    if (i == 0 && hub_children > 0) {
      // The hub source loads into many warehouses (a warehouse per team or region).
      n = std::min(warehouses.size(), static_cast<size_t>(hub_children));
    }
    for (size_t k = 0; k < n; ++k) {
      connected.push_back(warehouses[(start + k) % warehouses.size()].id);
    }
  }
}

void GenerateUsersAndGroups(Workspace& ws, int users, int groups, std::vector<UserBrief>& briefs) {
  Rng roles_rng = Rng::For(ws.seed, "roles");
  std::vector<std::string> role_ids;
  for (size_t r = 0; r < kRoleNames.size(); ++r) {
    role_ids.push_back(Base58Id(roles_rng, 27));
  }
  for (int i = 0; i < users; ++i) {
    Rng rng = Rng::For(ws.seed, "users", static_cast<uint64_t>(i));
    Item item;
    item.id = Base58Id(rng);
    const std::string first(rng.Pick(kFirstNames));
    const std::string last(rng.Pick(kLastNames));
    // Users who never set a name have "" (the field is required, not optional).
    std::string full_name = first;
    full_name.append(" ").append(last);
    std::string name = rng.Chance(0.1) ? std::string() : Decorate(rng, full_name, 0.1);
    std::string email =
        Slugify(first, "user") + "." + Slugify(last, "x") + std::to_string(i) + "@example.com";
    if (rng.Chance(0.05)) {
      email = "用户" + std::to_string(i) + "@例子.广告";
    }
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    w.Key("name").String(name);
    w.Key("email").String(email);
    if (rng.Chance(0.8)) {
      WritePermissions(w, rng, ws, role_ids);
    }
    if (rng.Chance(0.1)) {
      w.Key("x_segsync_extra").String(HostileText(rng));
    }
    w.EndObject();
    item.json = w.Take();
    ws.actors.push_back(item.id);
    ws.actor_emails.emplace(item.id, email);
    briefs.push_back({item.id, name, email});
    ws.audit_resources.push_back({item.id, "user", "User", name});
    ws.list(ListStream::kUsers).push_back(std::move(item));
  }
  for (int i = 0; i < groups; ++i) {
    Rng rng = Rng::For(ws.seed, "groups", static_cast<uint64_t>(i));
    Item item;
    item.id = Base58Id(rng);
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    w.Key("name").String(Decorate(rng, "Team " + std::to_string(i + 1), kHostileShare));
    w.Key("memberCount").Int(rng.Between(0, 40));
    if (rng.Chance(0.8)) {
      WritePermissions(w, rng, ws, role_ids);
    }
    w.EndObject();
    item.json = w.Take();
    ws.list(ListStream::kGroups).push_back(std::move(item));
  }
}

void GenerateTransformations(Workspace& ws, const std::vector<CatalogEntry>& catalog_destinations,
                             int count) {
  const auto& sources = ws.list(ListStream::kSources);
  if (sources.empty()) {
    return;
  }
  static constexpr std::array<std::string_view, 5> kEvents = {
      "Order Completed", "Product Viewed", "Signed Up", "Button Clicked", "Ünïcödé Évent 🎉"};
  for (int i = 0; i < count; ++i) {
    Rng rng = Rng::For(ws.seed, "transformations", static_cast<uint64_t>(i));
    Item item;
    // Newer transformations carry 27-character KSUID-like ids, older ones base58 ids.
    item.id = rng.Chance(0.5) ? AlnumId(rng, 27) : Base58Id(rng);
    item.source_id = rng.Pick(sources).id;
    const std::string event(rng.Pick(kEvents));
    JsonWriter w;
    w.BeginObject();
    w.Key("id").String(item.id);
    if (rng.Chance(0.5)) {
      w.Key("workspaceId").String(ws.workspace_id);
    }
    w.Key("name").String(Decorate(rng, "Rename " + event, kHostileShare));
    w.Key("sourceId").String(item.source_id);
    if (rng.Chance(0.4) && !catalog_destinations.empty()) {
      w.Key("destinationMetadataId").String(rng.Pick(catalog_destinations).id);
    }
    w.Key("enabled").Bool(rng.Chance(0.7));
    std::string condition = "event = '" + event + "'";
    w.Key("if").String(condition);
    if (rng.Chance(0.3)) {
      w.Key("drop").Bool(rng.Chance(0.2));
    }
    if (rng.Chance(0.6)) {
      w.Key("newEventName").String(Slugify(event, "renamed_event"));
    }
    if (rng.Chance(0.5)) {
      w.Key("propertyDrops").BeginArray();
      if (rng.Chance(0.5)) {
        w.String("properties.password");
      }
      w.EndArray();
    }
    if (rng.Chance(0.6)) {
      w.Key("propertyRenames").BeginArray();
      const int64_t n = rng.Between(0, 2);
      for (int64_t r = 0; r < n; ++r) {
        w.BeginObject().Key("oldName").String("old_name_" + std::to_string(r));
        w.Key("newName").String("new-name-" + std::to_string(r)).EndObject();
      }
      w.EndArray();
    }
    if (rng.Chance(0.5)) {
      w.Key("propertyValueTransformations").BeginArray();
      if (rng.Chance(0.5)) {
        w.BeginObject().Key("propertyPaths").BeginArray();
        w.String("context.some-property").String("properties.some-property").EndArray();
        w.Key("propertyValue").String(Decorate(rng, "some property value", kHostileShare));
        w.EndObject();
      }
      w.EndArray();
    }
    if (rng.Chance(0.3)) {
      w.Key("fqlDefinedProperties").BeginArray();
      w.BeginObject().Key("fql").String("lowercase(properties.email)");
      w.Key("propertyName").String("properties.email_lower").EndObject();
      w.EndArray();
    }
    if (rng.Chance(0.3)) {
      w.Key("allowProperties").BeginArray().String("properties.plan").EndArray();
    }
    if (rng.Chance(0.2)) {
      w.Key("hashPropertiesConfiguration").BeginObject();
      w.Key("algorithm").String("SHA-256");
      if (rng.Chance(0.5)) {
        w.Key("key").String(AlnumId(rng, 16));
      }
      if (rng.Chance(0.5)) {
        w.Key("encoding").String(rng.Chance(0.5) ? "BASE64" : "HEX");
      }
      w.Key("paths").BeginArray().String("traits.email").EndArray();
      w.EndObject();
    }
    if (rng.Chance(0.2)) {
      w.Key("destinationId").String(Base58Id(rng));
    }
    w.EndObject();
    item.json = w.Take();
    ws.audit_resources.push_back({item.id, "transformation", "Transformation", event});
    ws.list(ListStream::kTransformations).push_back(std::move(item));
  }
}

std::string AuditEventJson(uint64_t number, UnixMillis timestamp, const AuditResource& resource,
                           std::string_view verb, const Workspace& ws, Rng& rng) {
  const std::string& actor = rng.Pick(ws.actors);
  JsonWriter w;
  w.BeginObject();
  w.Key("id").String("events/" + std::to_string(number));
  w.Key("timestamp").String(WithoutMillis(timestamp));
  w.Key("type").String(resource.noun + " " + std::string(verb));
  w.Key("actor").String(actor);
  if (auto email = ws.actor_emails.find(actor); email != ws.actor_emails.end() && rng.Chance(0.8)) {
    w.Key("actorEmail").String(email->second);
  }
  w.Key("resourceId").String(resource.id);
  w.Key("resourceType").String(resource.type);
  w.Key("resourceName").String(resource.name);
  w.EndObject();
  return w.Take();
}

void AddAuditResourcesAndActors(Workspace& ws, const std::vector<GeneratedSource>& sources) {
  Rng rng = Rng::For(ws.seed, "audit_resources");
  for (const GeneratedSource& source : sources) {
    ws.audit_resources.push_back({source.id, "source", "Source", source.name});
  }
  for (int i = 0; i < 6; ++i) {
    ws.audit_resources.push_back({"sfnc_" + AlnumId(rng, 10), "function", "Source Function",
                                  Decorate(rng, "Foo Func " + std::to_string(i), kHostileShare)});
    ws.audit_resources.push_back({"tp_" + Base58Id(rng, 27), "tracking_plan", "Tracking Plan",
                                  Decorate(rng, "Tracking Plan " + std::to_string(i), 0.2)});
  }
  ws.audit_resources.push_back({ws.workspace_id, "workspace", "Workspace", "My Workspace"});
  for (int i = 0; i < 3; ++i) {
    ws.actors.push_back("public-api-token/" + AlnumId(rng, 8));
  }
}

void GenerateAuditHistory(Workspace& ws, int count, int64_t history_millis, UnixMillis now) {
  Rng rng = Rng::For(ws.seed, "audit_events");
  const UnixMillis begin = now - history_millis;
  const int64_t span_seconds = (history_millis - 60'000) / 1000;
  std::vector<UnixMillis> stamps;
  stamps.reserve(static_cast<size_t>(count));
  while (stamps.size() < static_cast<size_t>(count)) {
    // Changes come in bursts: several events in the same second are common.
    const UnixMillis t = begin - begin % 1000 + rng.Between(0, span_seconds) * 1000;
    const auto burst = static_cast<size_t>(rng.Between(1, 4));
    for (size_t b = 0; b < burst && stamps.size() < static_cast<size_t>(count); ++b) {
      stamps.push_back(t);
    }
  }
  std::sort(stamps.begin(), stamps.end());
  ws.next_audit_number = 145'876'976;
  for (UnixMillis t : stamps) {
    const AuditResource& resource = rng.Pick(ws.audit_resources);
    AuditEvent event;
    event.timestamp = t;
    event.resource_id = resource.id;
    event.resource_type = resource.type;
    event.json = AuditEventJson(ws.next_audit_number, t, resource, rng.Pick(kAuditVerbs), ws, rng);
    ws.next_audit_number += static_cast<uint64_t>(rng.Between(1, 3));
    ws.audit_events.push_back(std::move(event));
  }
}

void GenerateUsageProfiles(Workspace& ws, int usage_sources) {
  const auto& sources = ws.list(ListStream::kSources);
  const size_t active = std::min(sources.size(), static_cast<size_t>(usage_sources));
  for (size_t i = 0; i < active; ++i) {
    Rng rng = Rng::For(ws.seed, "usage", i);
    UsageProfile profile;
    profile.source_id = sources[i].id;
    profile.salt = rng.Next();
    // The first source is a firehose: its monthly totals pass 2^32.
    profile.calls_per_day =
        i == 0 ? 250'000'000 : static_cast<uint64_t>(std::pow(10.0, rng.Unit() * 5.3));
    profile.users_per_day = profile.calls_per_day / static_cast<uint64_t>(rng.Between(20, 200)) + 1;
    ws.usage.push_back(std::move(profile));
  }
}

}  // namespace

const std::array<ListStreamInfo, kListStreamCount>& ListStreams() { return kListStreams; }

const ListStreamInfo& InfoFor(ListStream stream) {
  return kListStreams[static_cast<size_t>(stream)];
}

std::optional<ListStream> ListStreamNamed(std::string_view name) {
  for (const auto& info : kListStreams) {
    if (info.name == name) {
      return info.stream;
    }
  }
  return std::nullopt;
}

const Item* Workspace::Find(ListStream s, std::string_view id) const {
  for (const Item& item : list(s)) {
    if (item.id == id) {
      return &item;
    }
  }
  return nullptr;
}

Result<ScaleSpec> ScaleNamed(std::string_view name) {
  using enum ListStream;
  auto make = [](std::initializer_list<std::pair<ListStream, int>> counts, int audit,
                 int max_actions, int max_fields, int depth, int usage_sources, int hub_children,
                 ExtraScale extras) {
    ScaleSpec spec;
    for (const auto& [stream, n] : counts) {
      spec.counts[static_cast<size_t>(stream)] = n;
    }
    spec.audit_events = audit;
    spec.max_actions = max_actions;
    spec.max_fields = max_fields;
    spec.max_settings_depth = depth;
    spec.usage_sources = usage_sources;
    spec.hub_children = hub_children;
    spec.extras = extras;
    return spec;
  };
  if (name == "small") {
    return make({{kSources, 24},
                 {kDestinations, 60},
                 {kWarehouses, 6},
                 {kCatalogSources, 40},
                 {kCatalogDestinations, 60},
                 {kCatalogWarehouses, 8},
                 {kUsers, 20},
                 {kGroups, 6},
                 {kTransformations, 15}},
                300, 4, 6, 5, 24, 0, {5, 30, {{4, 3, 2}}, 12, 5, 10, 8, 24, 6});
  }
  if (name == "large") {
    // Several pages of 200 everywhere, and more than 1000 where a client at count 1000 must
    // still page: in the top-level lists and in one parent's list of every child stream.
    return make({{kSources, 1100},
                 {kDestinations, 1500},
                 {kWarehouses, 1050},
                 {kCatalogSources, 450},
                 {kCatalogDestinations, 650},
                 {kCatalogWarehouses, 410},
                 {kUsers, 1200},
                 {kGroups, 450},
                 {kTransformations, 1100}},
                2500, 6, 8, 5, 40, 1010, {1010, 25, {{1010, 250, 60}}, 1200, 1010, 1010, 8, 40, 8});
  }
  if (name == "bench") {
    // One parent of every child stream has more than two pages at count 1000.
    return make({{kSources, 1000},
                 {kDestinations, 3000},
                 {kWarehouses, 2100},
                 {kCatalogSources, 170},
                 {kCatalogDestinations, 500},
                 {kCatalogWarehouses, 20},
                 {kUsers, 2000},
                 {kGroups, 200},
                 {kTransformations, 1500}},
                100000, 30, 15, 6, 1000, 2050,
                {40, 25, {{1010, 250, 60}}, 1200, 1010, 1010, 8, 100, 6});
  }
  return Status::Config("scale '" + std::string(name) + "' is not one of small, large, bench");
}

Workspace GenerateWorkspace(uint64_t seed, const ScaleSpec& scale, UnixMillis now) {
  using enum ListStream;
  auto count = [&](ListStream s) { return scale.counts[static_cast<size_t>(s)]; };
  Workspace ws;
  ws.seed = seed;
  Rng rng = Rng::For(seed, "workspace");
  ws.workspace_id = Base58Id(rng);

  const Catalog catalog = GenerateCatalog(seed, scale);
  auto publish = [&ws](ListStream stream, const std::vector<CatalogEntry>& entries) {
    for (const CatalogEntry& entry : entries) {
      ws.list(stream).push_back({entry.id, entry.json, {}});
    }
  };
  publish(kCatalogSources, catalog.sources);
  publish(kCatalogWarehouses, catalog.warehouses);
  publish(kCatalogDestinations, catalog.destinations);

  std::vector<GeneratedSource> sources;
  GenerateSources(ws, catalog.sources, count(kSources), sources);
  GenerateWarehouses(ws, catalog.warehouses, count(kWarehouses), scale.max_settings_depth);
  GenerateDestinations(ws, catalog.destinations, sources, count(kDestinations),
                       scale.max_settings_depth, scale.hub_children);
  ConnectWarehouses(ws, scale.hub_children);
  std::vector<UserBrief> users;
  GenerateUsersAndGroups(ws, count(kUsers), count(kGroups), users);
  GenerateTransformations(ws, catalog.destinations, count(kTransformations));
  AddAuditResourcesAndActors(ws, sources);
  GenerateAuditHistory(ws, scale.audit_events, scale.audit_history_days * kMillisPerDay, now);
  GenerateUsageProfiles(ws, scale.usage_sources);
  std::vector<SourceBrief> source_briefs;
  source_briefs.reserve(sources.size());
  for (const GeneratedSource& source : sources) {
    source_briefs.push_back({source.id, source.name, source.slug});
  }
  GenerateExtras(ws, scale, source_briefs, users, now);
  return ws;
}

void AppendAuditEvents(Workspace& ws, int64_t count, UnixMillis now) {
  Rng rng = Rng::For(ws.seed, "audit_append", ws.audit_batches++);
  const UnixMillis stamp = now - now % 1000;
  for (int64_t i = 0; i < count; ++i) {
    const AuditResource& resource = rng.Pick(ws.audit_resources);
    AuditEvent event;
    event.timestamp = stamp;
    event.resource_id = resource.id;
    event.resource_type = resource.type;
    event.json =
        AuditEventJson(ws.next_audit_number, stamp, resource, rng.Pick(kAuditVerbs), ws, rng);
    ws.next_audit_number += static_cast<uint64_t>(rng.Between(1, 3));
    ws.audit_events.push_back(std::move(event));
  }
}

}  // namespace segsync::sim
