// SPDX-License-Identifier: Apache-2.0
// Parsing a `postgresql://` destination URI (see pg_uri.h).
#include "dest/pg_uri.h"

#include <optional>
#include <utility>

#include "core/digits.h"

namespace segsync {
namespace {

constexpr std::string_view kDefaultSchema = "segment";
// PostgreSQL silently truncates longer identifiers, which would make a schema name mean another.
constexpr size_t kMaxIdentifierBytes = 63;

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    const int high = HexDigitValue(text[i + 1]);
    const int low = HexDigitValue(text[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

Result<PostgresTarget> ParsePostgresUri(std::string_view uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) {
    // Not echoed: whatever follows could hold a password.
    return Status::Config("the destination is not a postgresql:// URI");
  }
  const std::string_view scheme = uri.substr(0, scheme_end + 3);
  std::string_view rest = uri.substr(scheme.size());
  std::string_view query;
  if (const size_t mark = rest.find('?'); mark != std::string_view::npos) {
    query = rest.substr(mark + 1);
    rest = rest.substr(0, mark);
  }
  const size_t authority_end = rest.find('/');
  std::string_view authority = rest.substr(0, authority_end);
  const std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  PostgresTarget target;
  target.schema = kDefaultSchema;
  std::string display_authority(authority);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    if (const size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      target.password = PercentDecode(userinfo.substr(colon + 1)).value_or("");
      display_authority =
          std::string(userinfo.substr(0, colon)) + ":****" + std::string(authority.substr(at));
    }
  }

  std::string kept_query;
  std::string display_query;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t equals = param.find('=');
    const std::string_view key = param.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : param.substr(equals + 1);
    std::string shown(param);
    if (key == "schema") {
      std::optional<std::string> schema = PercentDecode(value);
      // PostgreSQL reserves names starting with pg_ for its own schemas.
      if (!schema || schema->empty() || schema->size() > kMaxIdentifierBytes ||
          schema->find('\0') != std::string::npos || schema->starts_with("pg_")) {
        return Status::Config("destination URI parameter schema=" + std::string(value) +
                              " is not a usable schema name; expected 1 to 63 bytes, not "
                              "starting with pg_, percent-encoded where needed, e.g. "
                              "postgresql://host/db?schema=segment");
      }
      target.schema = std::move(*schema);
    } else {
      if (key == "password") {
        target.password = PercentDecode(value).value_or("");
        shown = "password=****";
      }
      kept_query += (kept_query.empty() ? "" : "&") + std::string(param);
    }
    display_query += (display_query.empty() ? "" : "&") + shown;
  }

  target.conninfo = std::string(scheme) + std::string(authority) + std::string(path);
  if (!kept_query.empty()) {
    target.conninfo += "?" + kept_query;
  }
  target.display = std::string(scheme) + display_authority + std::string(path);
  if (!display_query.empty()) {
    target.display += "?" + display_query;
  }
  return target;
}

}  // namespace segsync
