#include "json/strict_json.h"

#include <string>

#include "gtest/gtest.h"

namespace tokend::json {
namespace {

absl::Status Parse(absl::string_view text) {
  nlohmann::json json;
  return ParseStrictJson(text, &json);
}

TEST(ParseStrictJson, ParsesOrdinaryJsonKeepingIntegerAndFloatApart) {
  nlohmann::json json;
  ASSERT_TRUE(ParseStrictJson(R"({"a":[1,-2,1.5,1e3,"x",null,true,{"b":{}}]})", &json).ok());
  EXPECT_TRUE(json["a"][0].is_number_unsigned());
  EXPECT_TRUE(json["a"][1].is_number_integer());
  EXPECT_TRUE(json["a"][2].is_number_float());
  EXPECT_TRUE(json["a"][3].is_number_float());
  EXPECT_EQ(json["a"][4], "x");
  EXPECT_EQ(json.dump(), R"({"a":[1,-2,1.5,1000.0,"x",null,true,{"b":{}}]})");
}

TEST(ParseStrictJson, RefusesDuplicateMemberNamesAtAnyDepth) {
  for (const char* text : {R"({"a":1,"a":1})", R"({"a":1,"b":2,"a":3})", R"({"x":{"a":1,"a":2}})",
                           R"([{"a":1},{"b":1,"b":2}])", R"({"x":[[{"k":{"a":0,"a":0}}]]})"}) {
    absl::Status status = Parse(text);
    EXPECT_EQ(status.message(), "duplicate member name") << text;
  }
  // The same name in sibling objects is fine.
  EXPECT_TRUE(Parse(R"([{"a":1},{"a":1}])").ok());
  EXPECT_TRUE(Parse(R"({"a":{"a":{"a":1}}})").ok());
}

TEST(ParseStrictJson, RefusesMembersThatDifferOnlyByEscaping) {
  // "\u0061" is "a": the same name spelled twice.
  EXPECT_EQ(Parse(R"({"a":1,"\u0061":2})").message(), "duplicate member name");
}

TEST(ParseStrictJson, RefusesTrailingDataCommentsAndByteOrderMark) {
  for (const char* text : {"{} {}", "{}x", "{} // c", "/* c */ {}", "\xEF\xBB\xBF{}", "", " ", "{",
                           "{\"a\":}", "{'a':1}", "{\"a\":1,}", "[1,]", "nul"}) {
    EXPECT_EQ(Parse(text).message(), "not valid JSON") << text;
  }
  EXPECT_TRUE(Parse(" {} \n").ok());  // whitespace around the value is JSON
}

TEST(ParseStrictJson, RefusesInvalidUtf8AndRawControlCharacters) {
  EXPECT_FALSE(Parse("{\"a\":\"\xff\"}").ok());
  EXPECT_FALSE(Parse("{\"a\":\"\xc3\"}").ok());
  EXPECT_FALSE(Parse("{\"\xed\xa0\x80\":1}").ok());  // a UTF-16 surrogate in UTF-8
  EXPECT_FALSE(Parse("{\"a\":\"\x01\"}").ok());
  EXPECT_FALSE(Parse(std::string("{\"a\":\"\0\"}", 8)).ok());
  EXPECT_TRUE(Parse("{\"a\":\"\xc3\xa9\"}").ok());
}

TEST(ParseStrictJson, RefusesNestingDeeperThanTheLimit) {
  const std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(Parse(ok).ok());
  const std::string deep = "[" + ok + "]";
  EXPECT_EQ(Parse(deep).message(), "nested too deeply");
  const std::string very_deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(Parse(very_deep).message(), "nested too deeply");
}

TEST(ParseStrictJson, RefusesNumbersTooLargeToBeFinite) {
  // nlohmann's lexer already refuses these; the builder checks again.
  EXPECT_FALSE(Parse("[1e400]").ok());
  EXPECT_FALSE(Parse("[-1e400]").ok());
  EXPECT_TRUE(Parse("[1e300]").ok());
}

}  // namespace
}  // namespace tokend::json
