// SPDX-License-Identifier: Apache-2.0
// The simulated source, warehouse and destination catalogs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/workspace.h"

namespace segsync::sim {

/// An action of an Actions destination, as subscriptions refer to it.
struct ActionRef {
  std::string id;
  std::string slug;
  std::string name;
};

/// One catalog entry, serialised once; workspace objects embed it verbatim as `metadata`.
struct CatalogEntry {
  std::string id;
  std::string name;
  std::string json;
  std::vector<ActionRef> actions;  // destinations only
};

/// The source, warehouse and destination catalogs: well-known names first, made-up vendors when
/// a scale needs more.
struct Catalog {
  std::vector<CatalogEntry> sources;
  std::vector<CatalogEntry> warehouses;
  std::vector<CatalogEntry> destinations;
};

Catalog GenerateCatalog(uint64_t seed, const ScaleSpec& scale);

}  // namespace segsync::sim
