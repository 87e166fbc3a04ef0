// SPDX-License-Identifier: Apache-2.0
// Outsized numbers kept as written, and text that is not Unicode named with its field.
#include "api/json_faults.h"

#include <gtest/gtest.h>

#include <string>

#include "sync/record_builder.h"

namespace segsync {
namespace {

TEST(JsonFaults, OnlyNumbersNoNativeTypeHoldsAreQuoted) {
  EXPECT_FALSE(QuoteOutsizedNumbers(R"({"a":1,"b":-9223372036854775808,"c":18446744073709551615,)"
                                    R"("d":1.5e300,"e":"123456789012345678901234567890"})"));
  const auto quoted =
      QuoteOutsizedNumbers(R"({"a":123456789012345678901234567890,"b":[1e400,-1e999],"c":2})");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(*quoted, std::string(R"({"a":)") + std::string(kOutsizedNumberJsonPrefix) +
                         R"(123456789012345678901234567890","b":[)" +
                         std::string(kOutsizedNumberJsonPrefix) + R"(1e400",)" +
                         std::string(kOutsizedNumberJsonPrefix) + R"(-1e999"],"c":2})");
}

TEST(JsonFaults, AnOutsizedNumberIsKeptExactlyAsTextAndInsideJson) {
  simdjson::dom::parser parser;
  std::string text =
      R"({"big":123456789012345678901234567890,"settings":{"huge":1e400,"n":[-98765432109876543210]}})";
  simdjson::dom::element doc;
  ASSERT_EQ(ParseKeepingNumbers(parser, text, doc), simdjson::SUCCESS);
  const Value big = ValueFromJson(doc["big"].value());
  EXPECT_EQ(big.kind, Value::Kind::kString);
  EXPECT_EQ(big.text, "123456789012345678901234567890");
  const Value settings = ValueFromJson(doc["settings"].value());
  EXPECT_EQ(settings.kind, Value::Kind::kJson);
  EXPECT_EQ(settings.text, R"({"huge":1e400,"n":[-98765432109876543210]})");
}

TEST(JsonFaults, OrdinaryJsonIsParsedUnchanged) {
  simdjson::dom::parser parser;
  std::string text = R"({"a":"\u0000segsync-number:1"})";
  simdjson::dom::element doc;
  ASSERT_EQ(ParseKeepingNumbers(parser, text, doc), simdjson::SUCCESS);
  EXPECT_EQ(text, R"({"a":"\u0000segsync-number:1"})");
}

TEST(JsonFaults, AnApiStringThatLooksLikeTheMarkerIsKeptAsSent) {
  simdjson::dom::parser parser;
  // Found by the api_page fuzz target: the marker's prefix followed by text that is not a number
  // was unquoted into the record's JSON, which then did not parse.
  std::string text =
      R"({"name":"\u0000segsync-number:x","settings":{"a":"\u0000segsync-number:}","b":[1]}})";
  simdjson::dom::element doc;
  ASSERT_EQ(ParseKeepingNumbers(parser, text, doc), simdjson::SUCCESS);
  const Value name = ValueFromJson(doc["name"].value());
  EXPECT_EQ(name.text, std::string("\0segsync-number:x", 17));
  const Value settings = ValueFromJson(doc["settings"].value());
  EXPECT_EQ(settings.text, R"({"a":"\u0000segsync-number:}","b":[1]})");
  simdjson::dom::element reparsed;
  std::string json = settings.text;
  EXPECT_EQ(ParseKeepingNumbers(parser, json, reparsed), simdjson::SUCCESS);
}

TEST(JsonFaults, OnlyJsonNumbersAreQuoted) {
  // `--5` is not JSON: quoting it would make an invalid body look valid.
  EXPECT_FALSE(QuoteOutsizedNumbers(R"({"a":--5,"b":1-2})"));
  EXPECT_FALSE(QuoteOutsizedNumbers(R"({"a":01234567890123456789012})"));
}

TEST(JsonFaults, TextFaultsNameTheirField) {
  EXPECT_EQ(DescribeTextFault(R"({"id":"x","name":"a \ud800 b"})"),
            R"(a lone surrogate escape \ud800 in field "name")");
  EXPECT_EQ(DescribeTextFault(R"({"id":"x","name":"a \udc00"})"),
            R"(a lone surrogate escape \udc00 in field "name")");
  EXPECT_EQ(DescribeTextFault("{\"id\":\"x\",\"label\":\"a \xC3\x28\"}"),
            R"(invalid UTF-8 (byte 0xC3) in field "label")");
  EXPECT_EQ(DescribeTextFault(R"({"ok":"\ud83d\ude00 \u00e9","s":"caf\u00e9 é"})"), "");
}

}  // namespace
}  // namespace segsync
