// SPDX-License-Identifier: Apache-2.0
// Parsing PostgreSQL destination URIs (src/dest/pg_uri.h), without a server.
#include "dest/pg_uri.h"

#include <gtest/gtest.h>

#include <string>

#include "status_matchers.h"

namespace segsync {
namespace {

TEST(PostgresUriTest, SchemaParameterIsTakenOutAndThePasswordMasked) {
  ASSERT_OK_AND_ASSIGN(PostgresTarget target,
                       ParsePostgresUri("postgresql://app:p%40ss-w0rd@db.example:5432/"
                                        "warehouse?schema=analytics&sslmode=require"));
  EXPECT_EQ(target.conninfo,
            "postgresql://app:p%40ss-w0rd@db.example:5432/warehouse?sslmode=require");
  EXPECT_EQ(target.schema, "analytics");
  EXPECT_EQ(target.password, "p@ss-w0rd");
  EXPECT_EQ(target.display,
            "postgresql://app:****@db.example:5432/warehouse?schema=analytics&sslmode=require");
}

TEST(PostgresUriTest, DefaultSchemaIsSegmentAndAQueryPasswordIsMaskedToo) {
  ASSERT_OK_AND_ASSIGN(PostgresTarget plain, ParsePostgresUri("postgres://db.example/warehouse"));
  EXPECT_EQ(plain.schema, "segment");
  EXPECT_EQ(plain.conninfo, "postgres://db.example/warehouse");

  ASSERT_OK_AND_ASSIGN(
      PostgresTarget query,
      ParsePostgresUri(
          "postgresql:///warehouse?host=/run/pg&password=hunter22&schema=My%20Schema"));
  EXPECT_EQ(query.schema, "My Schema");
  EXPECT_EQ(query.conninfo, "postgresql:///warehouse?host=/run/pg&password=hunter22");
  EXPECT_EQ(query.display, "postgresql:///warehouse?host=/run/pg&password=****&schema=My%20Schema");
}

TEST(PostgresUriTest, UnusableSchemaIsAConfigErrorThatShowsNoPassword) {
  for (const std::string& schema :
       {std::string(), std::string("%zz"), std::string("%4"), std::string(64, 's'),
        std::string("pg_mine"), std::string("a%00b")}) {
    Result<PostgresTarget> target =
        ParsePostgresUri("postgresql://u:hunter22@h/db?schema=" + schema);
    ASSERT_FALSE(target.ok()) << schema;
    EXPECT_EQ(target.status().code(), StatusCode::kConfig);
    EXPECT_EQ(target.status().message().find("hunter22"), std::string::npos);
  }
  ASSERT_OK_AND_ASSIGN(PostgresTarget longest,
                       ParsePostgresUri("postgresql://h/db?schema=" + std::string(63, 's')));
  EXPECT_EQ(longest.schema, std::string(63, 's'));
}

TEST(PostgresUriTest, UriWithoutASchemeIsAConfigErrorThatEchoesNothing) {
  Result<PostgresTarget> target = ParsePostgresUri("u:hunter22@host/db");
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(target.status().code(), StatusCode::kConfig);
  EXPECT_EQ(target.status().message().find("hunter22"), std::string::npos);
}

TEST(PostgresUriTest, UserWithoutPasswordIsShownAsItIs) {
  ASSERT_OK_AND_ASSIGN(PostgresTarget target,
                       ParsePostgresUri("postgres://reader@h:5433/db?sslmode=disable"));
  EXPECT_EQ(target.password, "");
  EXPECT_EQ(target.display, "postgres://reader@h:5433/db?sslmode=disable");
  EXPECT_EQ(target.conninfo, "postgres://reader@h:5433/db?sslmode=disable");
}

}  // namespace
}  // namespace segsync
