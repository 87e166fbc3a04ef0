// SPDX-License-Identifier: Apache-2.0
#include "dest/postgres_destination.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/log.h"

namespace segsync {
namespace {

constexpr std::string_view kDefaultSchema = "segment";
constexpr std::string_view kExtractedAt = "_extracted_at";
constexpr std::string_view kDeletedAt = "_deleted_at";
constexpr std::string_view kOrdinal = "_segsync_ord";  // staging only: the record's batch position
constexpr std::string_view kStaging = "pg_temp._segsync_stage";
// PostgreSQL silently truncates longer identifiers, which would make a schema name mean another.
constexpr size_t kMaxIdentifierBytes = 63;
// Encoded rows are sent once this many bytes are pending (and at commit): a COPY and a merge per
// engine page of 1000 records spent a fifth of the load time on per-statement costs.
constexpr size_t kFlushBytes = size_t{8} << 20;
// COPY data goes to libpq in pieces this big (its length argument is an int).
constexpr size_t kCopyChunkBytes = size_t{1} << 20;
// The first key of every advisory lock segsync takes ("segs"), so they cannot be confused with
// an application's own advisory locks on the same database.
constexpr std::string_view kLockSpace = "1936025459";
// The Unicode replacement character, for NUL, which PostgreSQL text and jsonb cannot hold.
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string QuoteIdentifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"') {
      quoted.push_back('"');
    }
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string Quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

/// libpq and server messages span lines ("...failed: ...\n\tIs the server running...?"): one
/// line, parts joined by "; ", runs of spaces collapsed.
std::string OneLine(std::string_view text) {
  std::string out;
  bool pending_break = false;
  bool pending_space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      pending_break = !out.empty();
      pending_space = false;
      continue;
    }
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_break) {
      out += "; ";
    } else if (pending_space) {
      out.push_back(' ');
    }
    pending_break = pending_space = false;
    out.push_back(c);
  }
  return out;
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// What the user can do about a failed connection, from libpq's message (there is no SQLSTATE
/// before a session exists).
std::string_view ConnectHint(std::string_view message) {
  if (Contains(message, "password authentication failed") ||
      Contains(message, "no password supplied") || Contains(message, "authentication failed")) {
    return "check the user name and password in the URI (or PGPASSWORD, ~/.pgpass)";
  }
  if (Contains(message, "database \"") && Contains(message, "does not exist")) {
    return "create the database first (createdb NAME) or fix the database name in the URI";
  }
  if (Contains(message, "role \"") && Contains(message, "does not exist")) {
    return "check the user name in the URI";
  }
  if (Contains(message, "permission denied for database")) {
    return "grant this role CONNECT on the database";
  }
  return "check that the server is running and that the host, port or socket directory in the "
         "URI are right";
}

/// What the user can do about a failed statement with this SQLSTATE.
std::string_view StatementHint(std::string_view sqlstate, bool connection_lost) {
  if (connection_lost || sqlstate.starts_with("08")) {
    return "the connection to the server was lost; check the server and run again";
  }
  if (sqlstate == "42501") {
    return "grant this role what segsync needs: CREATE on the database (to create the schema) or "
           "USAGE and CREATE on the schema, TEMPORARY on the database, and ownership of the "
           "tables it writes; or choose another schema with ?schema=NAME";
  }
  if (sqlstate == "53300") {
    return "the server has too many connections; run again later";
  }
  if (sqlstate.starts_with("53")) {
    return "the server is out of disk space or memory; free some and run again";
  }
  if (sqlstate.starts_with("57") || sqlstate.starts_with("40")) {
    return "the server stopped the statement; run again";
  }
  if (sqlstate.starts_with("42") || sqlstate.starts_with("23")) {
    return "if the table was changed by hand, drop it and sync again to rebuild it";
  }
  return "run again; if it fails the same way, report this message";
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

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
    const int high = HexDigit(text[i + 1]);
    const int low = HexDigit(text[i + 2]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

/// Whether PostgreSQL's timestamptz accepts `text` as the RFC 3339 instant it is.
bool IsStorableTimestamp(std::string_view text) {
  if (!ParseRfc3339(text).ok()) {
    return false;
  }
  // PostgreSQL has no year 0 and takes UTC offsets only up to 15:59.
  if (text.starts_with("0000")) {
    return false;
  }
  const size_t sign = text.size() - 6;
  if (text.size() >= 25 && (text[sign] == '+' || text[sign] == '-')) {
    return text.substr(sign + 1, 2) <= "15";
  }
  return true;
}

/// Append `text` in COPY's text format: backslash, newline, carriage return and tab escaped;
/// NUL (which PostgreSQL text cannot hold) replaced. Returns the number of NULs replaced.
int64_t AppendCopyText(std::string& out, std::string_view text) {
  static constexpr std::string_view kSpecial("\\\n\r\t\0", 5);
  int64_t nuls = 0;
  size_t start = 0;
  while (true) {
    const size_t at = text.find_first_of(kSpecial, start);
    out.append(
        text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) {
      return nuls;
    }
    switch (text[at]) {
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        out.append(kReplacement);
        ++nuls;
        break;
    }
    start = at + 1;
  }
}

/// jsonb cannot hold the escape \u0000: replace it with \ufffd. Outside strings valid JSON has no
/// backslashes, so each backslash starts an escape and the next character says which.
int64_t ReplaceJsonNulEscapes(std::string& json) {
  if (json.find("\\u0000") == std::string::npos) {
    return 0;
  }
  int64_t replaced = 0;
  for (size_t i = 0; i + 1 < json.size(); ++i) {
    if (json[i] != '\\') {
      continue;
    }
    if (json.compare(i + 1, 5, "u0000") == 0) {
      json.replace(i + 2, 4, "fffd");
      ++replaced;
    }
    ++i;  // skip the escaped character, so "\\u0000" (an escaped backslash) is left alone
  }
  return replaced;
}

void AppendInt(std::string& out, int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

void AppendDouble(std::string& out, double value) {
  if (std::isnan(value)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? "Infinity" : "-Infinity");
    return;
  }
  // The shortest text that reads back as the same double.
  char digits[32];
  const auto end = std::to_chars(digits, digits + sizeof(digits), value).ptr;
  out.append(digits, static_cast<size_t>(end - digits));
}

bool ParsesWhole(std::string_view text, auto& value) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

/// A short readable form of a value, for warnings.
std::string Example(const Value& value) {
  std::string text;
  if (value.kind == Value::Kind::kString || value.kind == Value::Kind::kJson) {
    text = value.text;
  } else {
    AppendValueJson(text, value);
  }
  constexpr size_t kMaxExample = 60;
  if (text.size() > kMaxExample) {
    text.resize(kMaxExample);
    text += "...";
  }
  return "\"" + text + "\"";
}

/// The type of a column added for a field the schema does not know.
ColumnType TypeOfValue(const Value& value) {
  switch (value.kind) {
    case Value::Kind::kInt:
      return ColumnType::kInteger;
    case Value::Kind::kDouble:
      return ColumnType::kNumber;
    case Value::Kind::kBool:
      return ColumnType::kBoolean;
    case Value::Kind::kJson:
      return ColumnType::kJson;
    case Value::Kind::kNull:
    case Value::Kind::kString:
      return ColumnType::kString;
  }
  return ColumnType::kString;
}

bool IsReserved(std::string_view name) {
  return name == kExtractedAt || name == kDeletedAt || name == kOrdinal;
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

PostgresDestination::Kind PostgresDestination::KindOf(std::string_view type) {
  return type == "text"                       ? Kind::kText
         : type == "bigint"                   ? Kind::kBigint
         : type == "double precision"         ? Kind::kDouble
         : type == "boolean"                  ? Kind::kBoolean
         : type == "timestamp with time zone" ? Kind::kTimestamp
         : type == "jsonb"                    ? Kind::kJsonb
                                              : Kind::kOther;
}

bool PostgresDestination::EncodeCell(const Value& value, Kind kind, std::string& cell,
                                     int64_t& nuls) {
  cell.clear();
  switch (kind) {
    case Kind::kText:
    case Kind::kOther:
      switch (value.kind) {
        case Value::Kind::kString:
        case Value::Kind::kJson:
          nuls = AppendCopyText(cell, value.text);
          return true;
        case Value::Kind::kInt:
          AppendInt(cell, value.integer);
          return true;
        case Value::Kind::kDouble:
          AppendDouble(cell, value.number);
          return true;
        case Value::Kind::kBool:
          cell = value.boolean ? "true" : "false";
          return true;
        case Value::Kind::kNull:
          return false;
      }
      return false;
    case Kind::kBigint: {
      int64_t parsed = 0;
      // 2^63 is exact as a double; anything at or beyond it does not fit.
      constexpr double kLimit = 9223372036854775808.0;
      if (value.kind == Value::Kind::kInt) {
        AppendInt(cell, value.integer);
      } else if (value.kind == Value::Kind::kDouble && std::trunc(value.number) == value.number &&
                 value.number >= -kLimit && value.number < kLimit) {
        AppendInt(cell, static_cast<int64_t>(value.number));
      } else if (value.kind == Value::Kind::kString && ParsesWhole(value.text, parsed)) {
        AppendInt(cell, parsed);
      } else {
        return false;
      }
      return true;
    }
    case Kind::kDouble: {
      double parsed = 0;
      if (value.kind == Value::Kind::kInt) {
        AppendInt(cell, value.integer);
      } else if (value.kind == Value::Kind::kDouble) {
        AppendDouble(cell, value.number);
      } else if (value.kind == Value::Kind::kString && ParsesWhole(value.text, parsed)) {
        AppendDouble(cell, parsed);
      } else {
        return false;
      }
      return true;
    }
    case Kind::kBoolean:
      if (value.kind != Value::Kind::kBool) {
        return false;
      }
      cell = value.boolean ? "t" : "f";
      return true;
    case Kind::kTimestamp:
      if (value.kind != Value::Kind::kString || !IsStorableTimestamp(value.text)) {
        return false;
      }
      cell = value.text;  // RFC 3339 has nothing COPY must escape
      return true;
    case Kind::kJsonb: {
      std::string json;
      if (value.kind == Value::Kind::kJson) {
        json = value.text;
      } else {
        AppendValueJson(json, value);
      }
      nuls = ReplaceJsonNulEscapes(json);
      AppendCopyText(cell, json);
      return true;
    }
  }
  return false;
}

std::string_view PostgresDestination::DeclaredType(ColumnType type) {
  switch (type) {
    case ColumnType::kInteger:
      return "bigint";
    case ColumnType::kNumber:
      return "double precision";
    case ColumnType::kBoolean:
      return "boolean";
    case ColumnType::kTimestamp:
      return "timestamp with time zone";
    case ColumnType::kJson:
      return "jsonb";
    case ColumnType::kString:
      return "text";
  }
  return "text";
}

void PostgresDestination::ConnCloser::operator()(pg_conn* conn) const { PQfinish(conn); }

void PostgresDestination::ResultClearer::operator()(pg_result* result) const { PQclear(result); }

Result<std::unique_ptr<PostgresDestination>> PostgresDestination::Make(std::string_view uri) {
  SEGSYNC_ASSIGN_OR_RETURN(PostgresTarget target, ParsePostgresUri(uri));
  // The password is no business of any log line or report, wherever a message might carry it.
  RegisterSecret(target.password);
  return std::unique_ptr<PostgresDestination>(new PostgresDestination(std::move(target)));
}

PostgresDestination::PostgresDestination(PostgresTarget target)
    : target_(std::move(target)), quoted_schema_(QuoteIdentifier(target_.schema)) {}

PostgresDestination::~PostgresDestination() { AbortStream(); }

Status PostgresDestination::Error(std::string_view what, const pg_result* result) const {
  std::string message = "PostgreSQL " + target_.display + ": " + std::string(what) + " failed: ";
  const char* primary =
      result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* sqlstate = result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (primary != nullptr) {
    message += OneLine(primary);
  } else {
    message += OneLine(PQerrorMessage(conn_.get()));
  }
  const bool lost = conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK;
  message += "; ";
  message += StatementHint(sqlstate == nullptr ? "" : sqlstate, lost);
  return Status::Io(std::move(message));
}

Status PostgresDestination::Connect() {
  if (conn_ != nullptr) {
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      return Status::Ok();
    }
    // The server went away after an earlier success: start a new session.
    conn_.reset();
  }
  if (connect_failure_) {
    // Every stream would wait for the same refusal or timeout again; say it once per stream
    // without trying again.
    return *connect_failure_;
  }
  // Entries before dbname are defaults the URI may override; client_encoding comes after it,
  // because everything segsync sends is UTF-8.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  "client_encoding", nullptr};
  const char* const values[] = {"10", "segsync", target_.conninfo.c_str(), "UTF8", nullptr};
  conn_.reset(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn_ == nullptr) {
    return Status::Io("PostgreSQL " + target_.display +
                      ": connecting failed: libpq could not allocate a connection");
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    // libpq's own advice line ("Is the server running ...?") is what the hint says already.
    std::string reason = OneLine(PQerrorMessage(conn_.get()));
    if (const size_t advice = reason.find("; Is the server running"); advice != std::string::npos) {
      reason.resize(advice);
    }
    Status status = Status::Io("PostgreSQL " + target_.display + ": connecting failed: " + reason +
                               "; " + std::string(ConnectHint(reason)));
    conn_.reset();
    if (!ever_connected_) {
      connect_failure_ = status;
    }
    return status;
  }
  ever_connected_ = true;
  // Notices ("relation already exists, skipping") would go to stderr; they belong in debug logs.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char* message) { LogDebug("PostgreSQL: " + OneLine(message)); },
      nullptr);
  return Status::Ok();
}

Result<PostgresDestination::ResultPtr> PostgresDestination::Execute(
    const std::string& sql, std::string_view what,
    const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& param : params) {
    values.push_back(param ? param->c_str() : nullptr);
  }
  ResultPtr result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = PQresultStatus(result.get());
  if (result == nullptr || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)) {
    return Error(what, result.get());
  }
  return result;
}

Result<std::optional<std::string>> PostgresDestination::FindRelation(std::string_view name) {
  const std::string qualified = quoted_schema_ + "." + QuoteIdentifier(name);
  SEGSYNC_ASSIGN_OR_RETURN(ResultPtr found, Execute("SELECT to_regclass($1)::oid",
                                                    "looking for table " + qualified, {qualified}));
  if (PQgetisnull(found.get(), 0, 0) != 0) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(PQgetvalue(found.get(), 0, 0));
}

Status PostgresDestination::EnsureBookkeeping() {
  if (bookkeeping_ready_ || bookkeeping_created_) {
    return Status::Ok();
  }
  SEGSYNC_ASSIGN_OR_RETURN(auto state, FindRelation("_segsync_state"));
  SEGSYNC_ASSIGN_OR_RETURN(auto runs, FindRelation("_segsync_runs"));
  if (state && runs) {
    bookkeeping_ready_ = true;
    return Status::Ok();
  }
  // IF NOT EXISTS does not cover two sessions creating the same object at once: the second
  // fails on a unique index. This lock lets the second wait, then find what the first made.
  SEGSYNC_RETURN_NOT_OK(
      Execute("SELECT pg_advisory_xact_lock(" + std::string(kLockSpace) + ", hashtext($1))",
              "waiting for another segsync creating schema " + quoted_schema_, {target_.schema})
          .status());
  // Only what is missing is created: CREATE ... IF NOT EXISTS checks the right to create before
  // it checks existence, and a role may have been given the tables without that right.
  SEGSYNC_ASSIGN_OR_RETURN(ResultPtr schema,
                           Execute("SELECT 1 FROM pg_namespace WHERE nspname = $1",
                                   "looking for schema " + quoted_schema_, {target_.schema}));
  if (PQntuples(schema.get()) == 0) {
    SEGSYNC_RETURN_NOT_OK(
        Execute("CREATE SCHEMA " + quoted_schema_, "creating schema " + quoted_schema_).status());
  }
  SEGSYNC_ASSIGN_OR_RETURN(state, FindRelation("_segsync_state"));
  if (!state) {
    SEGSYNC_RETURN_NOT_OK(
        Execute("CREATE TABLE " + quoted_schema_ +
                    "._segsync_state (stream text PRIMARY KEY, state text NOT NULL, "
                    "updated_at timestamptz NOT NULL)",
                "creating table _segsync_state")
            .status());
  }
  SEGSYNC_ASSIGN_OR_RETURN(runs, FindRelation("_segsync_runs"));
  if (!runs) {
    SEGSYNC_RETURN_NOT_OK(
        Execute("CREATE TABLE " + quoted_schema_ +
                    "._segsync_runs (run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                    "started_at timestamptz, ended_at timestamptz, status text, streams jsonb)",
                "creating table _segsync_runs")
            .status());
  }
  bookkeeping_created_ = true;
  return Status::Ok();
}

Result<std::optional<std::string>> PostgresDestination::ReadState(std::string_view stream) {
  SEGSYNC_RETURN_NOT_OK(Connect());
  if (!bookkeeping_ready_ && !bookkeeping_created_) {
    SEGSYNC_ASSIGN_OR_RETURN(auto table, FindRelation("_segsync_state"));
    if (!table) {
      return std::optional<std::string>();
    }
  }
  SEGSYNC_ASSIGN_OR_RETURN(
      ResultPtr found,
      Execute("SELECT state FROM " + quoted_schema_ + "._segsync_state WHERE stream = $1",
              "reading the state of stream " + std::string(stream), {std::string(stream)}));
  if (PQntuples(found.get()) == 0) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(std::string(
      PQgetvalue(found.get(), 0, 0), static_cast<size_t>(PQgetlength(found.get(), 0, 0))));
}

Status PostgresDestination::BeginStream(const TableSpec& table) {
  if (stream_) {
    return Status::Internal("stream " + table.name + " was begun while stream " + stream_->name +
                            " is still open");
  }
  if (table.primary_key.empty()) {
    return Status::Internal("stream " + table.name + " has no primary key");
  }
  SEGSYNC_RETURN_NOT_OK(Connect());
  stream_ = table;
  quoted_table_ = quoted_schema_ + "." + QuoteIdentifier(table.name);
  Status status = Execute("BEGIN", "starting the transaction for table " + quoted_table_).status();
  if (status.ok()) {
    // One writer per table at a time, as SQLite's write lock gives: two runs interleaving would
    // mark each other's rows deleted.
    auto locked =
        Execute("SELECT pg_try_advisory_xact_lock(" + std::string(kLockSpace) + ", hashtext($1))",
                "locking table " + quoted_table_, {quoted_table_});
    if (!locked.ok()) {
      status = locked.status();
    } else if (std::string_view(PQgetvalue(locked->get(), 0, 0)) != "t") {
      status = Status::Io("PostgreSQL " + target_.display + ": table " + quoted_table_ +
                          " is being written by another segsync run; run again when it has "
                          "finished (the session of a killed run holds the table until the "
                          "server notices: see pg_stat_activity, application_name segsync)");
    }
  }
  if (status.ok()) {
    status = EnsureBookkeeping();
  }
  if (status.ok()) {
    status = EnsureTable(table);
  }
  if (status.ok()) {
    status = CreateStaging();
  }
  if (!status.ok()) {
    AbortStream();
  }
  return status;
}

Status PostgresDestination::EnsureTable(const TableSpec& table) {
  const auto is_key = [&table](std::string_view name) {
    return std::find(table.primary_key.begin(), table.primary_key.end(), name) !=
           table.primary_key.end();
  };
  SEGSYNC_ASSIGN_OR_RETURN(std::optional<std::string> oid, FindRelation(table.name));
  if (!oid) {
    std::string create = "CREATE TABLE " + quoted_table_ + " (";
    for (const Column& column : table.columns) {
      create += QuoteIdentifier(column.name) + " " + std::string(DeclaredType(column.type));
      create += is_key(column.name) ? " NOT NULL, " : ", ";
    }
    // A key the schema does not declare (an id the connector injects) is still a column.
    for (const std::string& key : table.primary_key) {
      const bool declared =
          std::any_of(table.columns.begin(), table.columns.end(),
                      [&key](const Column& column) { return column.name == key; });
      if (!declared) {
        create += QuoteIdentifier(key) + " text NOT NULL, ";
      }
    }
    create += QuoteIdentifier(kExtractedAt) + " timestamptz NOT NULL, ";
    if (table.track_deletions) {
      create += QuoteIdentifier(kDeletedAt) + " timestamptz, ";
    }
    create += "PRIMARY KEY (";
    for (size_t i = 0; i < table.primary_key.size(); ++i) {
      create += (i == 0 ? "" : ", ") + QuoteIdentifier(table.primary_key[i]);
    }
    create += "))";
    SEGSYNC_RETURN_NOT_OK(Execute(create, "creating table " + quoted_table_).status());
    SEGSYNC_ASSIGN_OR_RETURN(oid, FindRelation(table.name));
  }

  // The table may predate this schema: read what it has and add what is missing.
  SEGSYNC_ASSIGN_OR_RETURN(
      ResultPtr info,
      Execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
              "WHERE attrelid = $1::oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
              "reading the columns of table " + quoted_table_, {oid}));
  std::vector<TableColumn> existing;
  existing.reserve(static_cast<size_t>(PQntuples(info.get())) + table.columns.size() + 1);
  for (int row = 0; row < PQntuples(info.get()); ++row) {
    existing.push_back({PQgetvalue(info.get(), row, 0), PQgetvalue(info.get(), row, 1)});
  }
  const auto exists = [&existing](std::string_view name) {
    return std::any_of(existing.begin(), existing.end(),
                       [name](const TableColumn& column) { return column.name == name; });
  };
  for (const Column& column : table.columns) {
    if (!exists(column.name)) {
      const std::string_view type = DeclaredType(column.type);
      SEGSYNC_RETURN_NOT_OK(AddColumn(column.name, type));
      existing.push_back({column.name, std::string(type)});
    }
  }
  if (table.track_deletions && !exists(kDeletedAt)) {
    SEGSYNC_RETURN_NOT_OK(AddColumn(kDeletedAt, "timestamp with time zone"));
  }

  columns_.clear();
  column_slots_.clear();
  for (const std::string& key : table.primary_key) {
    const auto found =
        std::find_if(existing.begin(), existing.end(),
                     [&key](const TableColumn& column) { return column.name == key; });
    if (found == existing.end()) {
      return Status::Io("PostgreSQL " + target_.display + ": table " + quoted_table_ +
                        " has no column for primary-key field " + Quoted(key) +
                        "; drop the table and sync again to rebuild it");
    }
    column_slots_.emplace(key, static_cast<int>(columns_.size()));
    columns_.push_back(*found);
  }
  for (TableColumn& column : existing) {
    if (!is_key(column.name) && column.name != kExtractedAt && column.name != kDeletedAt) {
      column_slots_.emplace(column.name, static_cast<int>(columns_.size()));
      columns_.push_back(std::move(column));
    }
  }
  for (TableColumn& column : columns_) {
    column.kind = KindOf(column.type);
  }
  return Status::Ok();
}

Status PostgresDestination::AddColumn(std::string_view name, std::string_view type) {
  return Execute("ALTER TABLE " + quoted_table_ + " ADD COLUMN " + QuoteIdentifier(name) + " " +
                     std::string(type),
                 "adding column " + Quoted(name) + " to table " + quoted_table_)
      .status();
}

Status PostgresDestination::CreateStaging() {
  std::string create = "CREATE TEMPORARY TABLE " + std::string(kStaging) + " (";
  for (const TableColumn& column : columns_) {
    create += QuoteIdentifier(column.name) + " " + column.type + ", ";
  }
  create += QuoteIdentifier(kExtractedAt) + " timestamptz, " + std::string(kOrdinal) +
            " bigint) ON COMMIT DROP";
  SEGSYNC_RETURN_NOT_OK(
      Execute(create, "creating the staging table for " + quoted_table_).status());
  staging_dirty_ = false;
  PrepareStatements();
  return Status::Ok();
}

void PostgresDestination::PrepareStatements() {
  const size_t key_count = stream_->primary_key.size();
  std::string names;
  std::string keys;
  std::string updates;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const std::string quoted = QuoteIdentifier(columns_[i].name);
    names += quoted + ", ";
    if (i < key_count) {
      keys += (i == 0 ? "" : ", ") + quoted;
    } else {
      updates.append(quoted).append(" = EXCLUDED.").append(quoted).append(", ");
    }
  }
  const std::string extracted_at = QuoteIdentifier(kExtractedAt);
  copy_sql_ = "COPY " + std::string(kStaging) + " (" + names + extracted_at + ", " +
              std::string(kOrdinal) + ") FROM STDIN";
  updates += extracted_at + " = EXCLUDED." + extracted_at;
  if (stream_->track_deletions) {
    updates += ", " + QuoteIdentifier(kDeletedAt) + " = NULL";
  }
  const std::string insert = "INSERT INTO " + quoted_table_ + " (" + names + extracted_at + ") ";
  const std::string upsert = " ON CONFLICT (" + keys + ") DO UPDATE SET " + updates;
  merge_sql_ =
      insert + "SELECT " + names + extracted_at + " FROM " + std::string(kStaging) + upsert;
  // ON CONFLICT cannot update one row twice: when a batch may hold a key more than once,
  // DISTINCT ON keeps the last record of each.
  merge_distinct_sql_ = insert + "SELECT DISTINCT ON (" + keys + ") " + names + extracted_at +
                        " FROM " + std::string(kStaging) + " ORDER BY " + keys + ", " +
                        std::string(kOrdinal) + " DESC" + upsert;
}

Result<bool> PostgresDestination::MapFields(const Record& record) {
  const size_t field_count = record.fields.size();
  if (field_slots_.size() < field_count) {
    field_slots_.resize(field_count, -1);
  }
  bool complete = true;
  for (size_t i = 0; i < field_count; ++i) {
    const std::string& name = record.fields[i].first;
    const int cached = field_slots_[i];
    if (cached >= 0 && columns_[static_cast<size_t>(cached)].name == name) {
      continue;
    }
    if (const auto found = column_slots_.find(name); found != column_slots_.end()) {
      field_slots_[i] = found->second;
      continue;
    }
    if (IsReserved(name)) {
      return Status::Invalid("a record of stream " + stream_->name + " has a field named " + name +
                             ", which segsync reserves for its own column");
    }
    field_slots_[i] = -1;
    complete = false;
  }
  return complete;
}

Status PostgresDestination::AddColumnsFor(const Record& record) {
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const auto& [name, value] = record.fields[i];
    if (field_slots_[i] >= 0 || column_slots_.contains(name)) {
      continue;
    }
    const ColumnType type = TypeOfValue(value);
    const std::string declared(DeclaredType(type));
    SEGSYNC_RETURN_NOT_OK(AddColumn(name, declared));
    SEGSYNC_RETURN_NOT_OK(Execute("ALTER TABLE " + std::string(kStaging) + " ADD COLUMN " +
                                      QuoteIdentifier(name) + " " + declared,
                                  "adding column " + Quoted(name) + " to the staging table")
                              .status());
    column_slots_.emplace(name, static_cast<int>(columns_.size()));
    columns_.push_back({name, declared, KindOf(declared)});
  }
  PrepareStatements();
  return MapFields(record).status();
}

Status PostgresDestination::Write(const std::vector<Record>& records,
                                  std::string_view extracted_at) {
  if (!stream_) {
    return Status::Internal("records were written to PostgreSQL with no stream open");
  }
  for (const Record& record : records) {
    SEGSYNC_ASSIGN_OR_RETURN(const bool complete, MapFields(record));
    if (!complete) {
      // Every row of one COPY has the same columns: send the rows encoded so far first.
      SEGSYNC_RETURN_NOT_OK(Flush());
      SEGSYNC_RETURN_NOT_OK(AddColumnsFor(record));
    }
    SEGSYNC_RETURN_NOT_OK(EncodeRecord(record, extracted_at));
  }
  return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok();
}

Status PostgresDestination::EncodeRecord(const Record& record, std::string_view extracted_at) {
  const size_t column_count = columns_.size();
  const size_t key_count = stream_->primary_key.size();
  cells_.resize(column_count);
  cell_set_.assign(column_count, false);
  for (size_t i = 0; i < record.fields.size(); ++i) {
    const Value& value = record.fields[i].second;
    if (value.is_null()) {
      continue;
    }
    const auto slot = static_cast<size_t>(field_slots_[i]);
    const TableColumn& column = columns_[slot];
    int64_t nuls = 0;
    if (!EncodeCell(value, column.kind, cells_[slot], nuls)) {
      if (slot < key_count) {
        return Status::Invalid("a record of stream " + stream_->name + " has " + Example(value) +
                               " in primary-key field " + column.name +
                               ", which its PostgreSQL column (" + column.type + ") cannot hold");
      }
      ColumnIssues& issues = issues_[column.name];
      if (issues.nulled++ == 0) {
        issues.nulled_example = Example(value);
      }
      continue;
    }
    if (nuls > 0) {
      issues_[column.name].nul_replaced += nuls;
    }
    cell_set_[slot] = true;
  }
  for (size_t k = 0; k < key_count; ++k) {
    if (!cell_set_[k]) {
      return Status::Invalid("a record of stream " + stream_->name + " has no value for " +
                             "primary-key field " + columns_[k].name +
                             "; every record needs its key to be stored");
    }
  }
  NoteKey();
  for (size_t slot = 0; slot < column_count; ++slot) {
    if (cell_set_[slot]) {
      buffer_ += cells_[slot];
    } else {
      buffer_ += "\\N";
    }
    buffer_.push_back('\t');
  }
  AppendCopyText(buffer_, extracted_at);
  buffer_.push_back('\t');
  AppendInt(buffer_, pending_rows_++);
  buffer_.push_back('\n');
  return Status::Ok();
}

void PostgresDestination::NoteKey() {
  if (pending_duplicates_) {
    return;
  }
  // The key as PostgreSQL compares it. Where segsync's text could differ for equal keys (other
  // column types), assume a duplicate: that only costs the DISTINCT ON sort.
  std::string& key = key_scratch_;
  key.clear();
  for (size_t k = 0; k < stream_->primary_key.size(); ++k) {
    const std::string& cell = cells_[k];
    switch (columns_[k].kind) {
      case Kind::kText:
      case Kind::kBigint:
      case Kind::kBoolean:
        key += cell;  // canonical: escaped text, digits, t or f
        break;
      case Kind::kTimestamp:
        // Equal instants may be spelled differently; sub-millisecond ones then collide, which
        // is on the safe side.
        AppendInt(key, *ParseRfc3339(cell));
        break;
      case Kind::kDouble:
        key += cell == "-0" ? "0" : cell;
        break;
      case Kind::kJsonb:
      case Kind::kOther:
        pending_duplicates_ = true;
        return;
    }
    key.push_back('\t');  // cells hold no raw tab
  }
  pending_duplicates_ = !pending_keys_.insert(key).second;
}

Status PostgresDestination::Flush() {
  if (pending_rows_ == 0) {
    return Status::Ok();
  }
  if (staging_dirty_) {
    SEGSYNC_RETURN_NOT_OK(
        Execute("TRUNCATE " + std::string(kStaging), "emptying the staging table").status());
  }
  staging_dirty_ = true;
  SEGSYNC_RETURN_NOT_OK(CopyBuffer());
  SEGSYNC_RETURN_NOT_OK(Execute(pending_duplicates_ ? merge_distinct_sql_ : merge_sql_,
                                "merging records into table " + quoted_table_)
                            .status());
  buffer_.clear();
  pending_rows_ = 0;
  pending_keys_.clear();
  pending_duplicates_ = false;
  return Status::Ok();
}

Status PostgresDestination::CopyBuffer() {
  const std::string what = "loading records into the staging table of " + quoted_table_;
  ResultPtr started(PQexec(conn_.get(), copy_sql_.c_str()));
  if (PQresultStatus(started.get()) != PGRES_COPY_IN) {
    return Error(what, started.get());
  }
  bool sent = true;
  for (size_t offset = 0; offset < buffer_.size() && sent; offset += kCopyChunkBytes) {
    const size_t size = std::min(kCopyChunkBytes, buffer_.size() - offset);
    sent = PQputCopyData(conn_.get(), buffer_.data() + offset, static_cast<int>(size)) == 1;
  }
  if (PQputCopyEnd(conn_.get(), sent ? nullptr : "segsync could not send the data") != 1) {
    sent = false;
  }
  // The COPY's own result, then nothing: reading to the end leaves the connection ready.
  Status status = Status::Ok();
  while (ResultPtr result{PQgetResult(conn_.get())}) {
    if (status.ok() && PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      status = Error(what, result.get());
    }
  }
  if (status.ok() && !sent) {
    status = Error(what, nullptr);
  }
  return status;
}

Result<int64_t> PostgresDestination::CommitStream(const StreamCommit& commit) {
  if (!stream_) {
    return Status::Internal("a commit was requested with no stream open");
  }
  Result<int64_t> marked = FinishStream(commit);
  if (!marked.ok()) {
    AbortStream();
  }
  return marked;
}

Result<int64_t> PostgresDestination::FinishStream(const StreamCommit& commit) {
  SEGSYNC_RETURN_NOT_OK(Flush());
  const std::string now =
      commit.now.empty() ? FormatRfc3339Millis(SystemClock::Instance().Now()) : commit.now;
  int64_t marked = 0;
  if (commit.mark_deleted_before) {
    if (!stream_->track_deletions) {
      return Status::Internal("deletions were to be marked in table " + quoted_table_ +
                              ", which does not track deletions");
    }
    const std::string deleted_at = QuoteIdentifier(kDeletedAt);
    SEGSYNC_ASSIGN_OR_RETURN(
        ResultPtr updated,
        Execute(
            "UPDATE " + quoted_table_ + " SET " + deleted_at + " = $1::timestamptz WHERE " +
                deleted_at + " IS NULL AND " + QuoteIdentifier(kExtractedAt) + " < $2::timestamptz",
            "marking deleted rows in table " + quoted_table_, {now, *commit.mark_deleted_before}));
    std::from_chars(PQcmdTuples(updated.get()),
                    PQcmdTuples(updated.get()) + std::strlen(PQcmdTuples(updated.get())), marked);
  }
  if (commit.state) {
    SEGSYNC_RETURN_NOT_OK(
        Execute("INSERT INTO " + quoted_schema_ +
                    "._segsync_state (stream, state, updated_at) VALUES ($1, $2, "
                    "$3::timestamptz) ON CONFLICT (stream) DO UPDATE SET state = EXCLUDED.state, "
                    "updated_at = EXCLUDED.updated_at",
                "saving the state of stream " + stream_->name, {stream_->name, *commit.state, now})
            .status());
  }
  SEGSYNC_ASSIGN_OR_RETURN(ResultPtr committed,
                           Execute("COMMIT", "committing table " + quoted_table_));
  // A transaction that failed earlier answers COMMIT with ROLLBACK and no error.
  if (std::string_view(PQcmdStatus(committed.get())) != "COMMIT") {
    return Status::Io("PostgreSQL " + target_.display + ": committing table " + quoted_table_ +
                      " failed: the server rolled the transaction back; run again");
  }
  bookkeeping_ready_ = bookkeeping_ready_ || bookkeeping_created_;
  bookkeeping_created_ = false;
  ReportIssues();
  CloseStream();
  return marked;
}

void PostgresDestination::ReportIssues() {
  for (const auto& [column, issues] : issues_) {
    if (issues.nulled > 0) {
      LogWarn("PostgreSQL: stream " + stream_->name + ": " + std::to_string(issues.nulled) +
              " value(s) of field " + column + " (e.g. " + issues.nulled_example +
              ") cannot be held by its column type and were stored as NULL");
    }
    if (issues.nul_replaced > 0) {
      LogWarn("PostgreSQL: stream " + stream_->name + ": " + std::to_string(issues.nul_replaced) +
              " NUL character(s) in field " + column +
              " were stored as U+FFFD, since PostgreSQL text cannot hold NUL");
    }
  }
}

void PostgresDestination::AbortStream() {
  if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK &&
      PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
    const Status status = Execute("ROLLBACK", "rolling back").status();
    // A session that is gone took its transaction with it: nothing is left to roll back.
    if (!status.ok() && PQstatus(conn_.get()) == CONNECTION_OK) {
      LogWarn(status.message());
    }
  }
  bookkeeping_created_ = false;
  CloseStream();
}

void PostgresDestination::CloseStream() {
  stream_.reset();
  quoted_table_.clear();
  columns_.clear();
  column_slots_.clear();
  copy_sql_.clear();
  merge_sql_.clear();
  merge_distinct_sql_.clear();
  issues_.clear();
  buffer_.clear();
  pending_rows_ = 0;
  pending_keys_.clear();
  pending_duplicates_ = false;
  staging_dirty_ = false;
  field_slots_.clear();
  cells_.clear();
  cell_set_.clear();
}

Status PostgresDestination::RecordRun(const RunRecord& run) {
  if (stream_) {
    return Status::Internal("a run was recorded while stream " + stream_->name + " is open");
  }
  SEGSYNC_RETURN_NOT_OK(Connect());
  const auto or_null = [](const std::string& text) {
    return text.empty() ? std::nullopt : std::optional<std::string>(text);
  };
  Status status = Execute("BEGIN", "starting the transaction for _segsync_runs").status();
  if (status.ok()) {
    status = EnsureBookkeeping();
  }
  if (status.ok()) {
    status = Execute("INSERT INTO " + quoted_schema_ +
                         "._segsync_runs (started_at, ended_at, status, streams) VALUES "
                         "($1::timestamptz, $2::timestamptz, $3, $4::jsonb)",
                     "recording the run in table _segsync_runs",
                     {or_null(run.started_at), or_null(run.ended_at), run.status,
                      or_null(run.streams_json)})
                 .status();
  }
  if (status.ok()) {
    status = Execute("COMMIT", "committing the run to table _segsync_runs").status();
  }
  if (status.ok()) {
    bookkeeping_ready_ = bookkeeping_ready_ || bookkeeping_created_;
    bookkeeping_created_ = false;
  } else {
    AbortStream();
  }
  return status;
}

}  // namespace segsync
