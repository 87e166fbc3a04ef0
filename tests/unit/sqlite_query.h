// SPDX-License-Identifier: Apache-2.0
// Read a SQLite file in a test: every row of a query, each cell as text.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace segsync::testing {

using SqliteRow = std::vector<std::optional<std::string>>;

/// Every column of every row of `sql` as text (nullopt for NULL), read on its own connection.
inline std::vector<SqliteRow> QuerySqlite(const std::filesystem::path& db_path,
                                          const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  std::vector<SqliteRow> rows;
  while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
    SqliteRow row;
    for (int i = 0; i < sqlite3_column_count(statement); ++i) {
      const unsigned char* text = sqlite3_column_text(statement, i);
      row.push_back(text == nullptr
                        ? std::nullopt
                        : std::optional<std::string>(reinterpret_cast<const char*>(text)));
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

}  // namespace segsync::testing
