#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "jwt/jwt.h"

namespace tokend::jwt {
namespace {

TEST(CanonicalCustomClaims, EmptyTextAndEmptyObjectAreNoClaims) {
  EXPECT_EQ(*CanonicalCustomClaims(""), "");
  EXPECT_EQ(*CanonicalCustomClaims("{}"), "");
  EXPECT_EQ(*CanonicalCustomClaims(" { }\n"), "");
}

TEST(CanonicalCustomClaims, ReturnsCompactJsonWithMembersSortedByName) {
  absl::StatusOr<std::string> canonical =
      CanonicalCustomClaims(R"({ "b" : 1, "a" : { "y" : [1, 2.5, true], "x" : "z\u00e9" } })");
  ASSERT_TRUE(canonical.ok()) << canonical.status();
  EXPECT_EQ(*canonical, "{\"a\":{\"x\":\"z\xc3\xa9\",\"y\":[1,2.5,true]},\"b\":1}");
  EXPECT_EQ(*CanonicalCustomClaims(*canonical), *canonical);  // a fixed point
}

TEST(CanonicalCustomClaims, RefusesEveryRegisteredNameAtTheTopLevel) {
  for (const char* name : kRegisteredClaimNames) {
    absl::StatusOr<std::string> canonical =
        CanonicalCustomClaims(absl::StrCat(R"({"ok":1,")", name, R"(":"x"})"));
    ASSERT_FALSE(canonical.ok()) << name;
    EXPECT_EQ(canonical.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(canonical.status().message(),
              absl::StrCat("claims: \"", name, "\" is a registered claim name"));
  }
}

TEST(CanonicalCustomClaims, AllowsRegisteredNamesInsideNestedValues) {
  EXPECT_TRUE(CanonicalCustomClaims(R"({"upstream":{"iss":"x","sub":"y"}})").ok());
}

TEST(CanonicalCustomClaims, RefusesAnythingButAJsonObject) {
  for (const char* text : {"[]", "[{}]", "\"x\"", "1", "null", "true"}) {
    absl::StatusOr<std::string> canonical = CanonicalCustomClaims(text);
    ASSERT_FALSE(canonical.ok()) << text;
    EXPECT_EQ(canonical.status().message(), "claims: must be a JSON object") << text;
  }
}

TEST(CanonicalCustomClaims, RefusesInvalidJsonAndRepeatedNames) {
  for (const char* text : {"{", "{\"a\":}", "{\"a\":1}x", " ", "{\"a\":\"\xff\"}"}) {
    absl::StatusOr<std::string> canonical = CanonicalCustomClaims(text);
    ASSERT_FALSE(canonical.ok()) << text;
    EXPECT_EQ(canonical.status().code(), absl::StatusCode::kInvalidArgument);
  }
  absl::StatusOr<std::string> repeated = CanonicalCustomClaims(R"({"a":{"b":1,"b":2}})");
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.status().message(), "claims: duplicate member name");
}

TEST(CanonicalCustomClaims, RefusesMoreThan4096BytesOfCanonicalJson) {
  // {"k":"xxx..."} is 8 bytes of syntax plus the value.
  const std::string fits =
      absl::StrCat(R"({"k":")", std::string(kMaxCustomClaimsBytes - 8, 'x'), "\"}");
  ASSERT_EQ(fits.size(), kMaxCustomClaimsBytes);
  EXPECT_TRUE(CanonicalCustomClaims(fits).ok());
  const std::string too_big =
      absl::StrCat(R"({"k":")", std::string(kMaxCustomClaimsBytes - 7, 'x'), "\"}");
  absl::StatusOr<std::string> canonical = CanonicalCustomClaims(too_big);
  ASSERT_FALSE(canonical.ok());
  EXPECT_EQ(canonical.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(canonical.status().message(), "claims: larger than 4096 bytes");
}

TEST(CanonicalCustomClaims, MeasuresTheCanonicalFormNotTheInput) {
  // Lots of whitespace around a small object is fine.
  const std::string spaced = absl::StrCat("{", std::string(6000, ' '), R"("k":1})");
  EXPECT_EQ(*CanonicalCustomClaims(spaced), R"({"k":1})");
}

}  // namespace
}  // namespace tokend::jwt
