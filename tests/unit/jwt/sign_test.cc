#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"
#include "unit/jwt/jwt_test_util.h"

namespace tokend::jwt {
namespace {

using crypto::Algorithm;
using testing::DecodeSegment;
using testing::MakeKey;
using testing::MakeRing;
using testing::SampleClaims;

TEST(Sign, WritesExactlyTheAlgTypKidHeader) {
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    keys::Key key = MakeKey(alg, "k1");
    absl::StatusOr<std::string> token = Sign(SampleClaims(), key);
    ASSERT_TRUE(token.ok()) << token.status();
    EXPECT_EQ(DecodeSegment(*token, 0), absl::StrCat(R"({"alg":")", crypto::AlgorithmName(alg),
                                                     R"(","typ":"at+jwt","kid":"k1"})"));
  }
}

TEST(Sign, WritesThePayloadMembersInOrderWithIntegerTimes) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  absl::StatusOr<std::string> token = Sign(SampleClaims(), key);
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(DecodeSegment(*token, 1), testing::kStandardPayload);
}

TEST(Sign, WritesSeveralAudiencesAsAnArrayAndOneAsAString) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.audience = {"api", "billing"};
  const std::string payload = DecodeSegment(*Sign(claims, key), 1);
  EXPECT_TRUE(absl::StrContains(payload, R"("aud":["api","billing"])")) << payload;
  claims.audience = {"api"};
  EXPECT_TRUE(absl::StrContains(DecodeSegment(*Sign(claims, key), 1), R"("aud":"api",)"));
}

TEST(Sign, OmitsScopeWhenThereAreNoScopes) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.scopes.clear();
  const std::string payload = DecodeSegment(*Sign(claims, key), 1);
  EXPECT_FALSE(absl::StrContains(payload, "scope")) << payload;
}

TEST(Sign, WritesSidOnlyWhenASessionIsSet) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  EXPECT_FALSE(absl::StrContains(DecodeSegment(*Sign(claims, key), 1), "sid"));
  claims.session_id = "family-7";
  EXPECT_TRUE(absl::StrContains(DecodeSegment(*Sign(claims, key), 1),
                                R"("scope":"read write","sid":"family-7"})"));
}

TEST(Sign, AppendsCustomClaimsAfterTheRegisteredOnes) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.custom_claims_json = R"({"tenant":"t1","roles":["a","b"]})";
  const std::string payload = DecodeSegment(*Sign(claims, key), 1);
  EXPECT_TRUE(absl::EndsWith(payload, R"("scope":"read write","roles":["a","b"],"tenant":"t1"})"))
      << payload;
}

TEST(Sign, TruncatesTimesToWholeSeconds) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.issued_at += absl::Milliseconds(700);
  claims.expires_at += absl::Milliseconds(999);
  const std::string payload = DecodeSegment(*Sign(claims, key), 1);
  EXPECT_TRUE(absl::StrContains(payload, R"("exp":1700000300,"iat":1700000000,)")) << payload;
}

TEST(Sign, RefusesCustomClaimsThatAreNotAJsonObject) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  for (const char* custom : {"[]", "\"x\"", "1", "{", "{\"a\":1,\"a\":2}"}) {
    Claims claims = SampleClaims();
    claims.custom_claims_json = custom;
    absl::StatusOr<std::string> token = Sign(claims, key);
    ASSERT_FALSE(token.ok()) << custom;
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(Sign, RefusesARegisteredNameInCustomClaims) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.custom_claims_json = R"({"exp":9999999999})";
  absl::StatusOr<std::string> token = Sign(claims, key);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().message(), R"(claims: "exp" is a registered claim name)");
}

TEST(Sign, RefusesStringsThatAreNotUtf8) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.subject = "\xff\xfe";
  absl::StatusOr<std::string> token = Sign(claims, key);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Sign, RefusesATokenLargerThanTheDecodeLimit) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  Claims claims = SampleClaims();
  claims.custom_claims_json = absl::StrCat(R"({"blob":")", std::string(kMaxTokenBytes, 'x'), "\"}");
  absl::StatusOr<std::string> token = Sign(claims, key);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Sign, FailsWithoutAPrivateKey) {
  keys::Key key = MakeKey(Algorithm::kES256, "k1");
  key.pkey =
      std::shared_ptr<EVP_PKEY>(::tokend::testing::PublicOnly(*key.pkey).release(), EVP_PKEY_free);
  absl::StatusOr<std::string> token = Sign(SampleClaims(), key);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInternal);
}

TEST(Sign, RoundTripsThroughDecodeWithEveryAlgorithm) {
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    keys::Key key = MakeKey(alg, "k1");
    std::shared_ptr<const keys::KeyRing> ring = MakeRing({key});
    Claims claims = SampleClaims();
    claims.audience = {"api", "billing"};
    claims.session_id = "family-7";
    claims.custom_claims_json = R"({"n":1.5,"nested":{"iss":"inner"},"tenant":"t\u00e9"})";
    absl::StatusOr<std::string> token = Sign(claims, key);
    ASSERT_TRUE(token.ok()) << token.status();
    absl::StatusOr<Claims> decoded = Decode(*token, *ring);
    ASSERT_TRUE(decoded.ok()) << crypto::AlgorithmName(alg) << ": " << decoded.status();
    EXPECT_EQ(decoded->issuer, claims.issuer);
    EXPECT_EQ(decoded->subject, claims.subject);
    EXPECT_EQ(decoded->audience, claims.audience);
    EXPECT_EQ(decoded->issued_at, claims.issued_at);
    EXPECT_EQ(decoded->not_before, claims.not_before);
    EXPECT_EQ(decoded->expires_at, claims.expires_at);
    EXPECT_EQ(decoded->token_id, claims.token_id);
    EXPECT_EQ(decoded->client_id, claims.client_id);
    EXPECT_EQ(decoded->scopes, claims.scopes);
    EXPECT_EQ(decoded->session_id, claims.session_id);
    EXPECT_EQ(decoded->custom_claims_json, *CanonicalCustomClaims(claims.custom_claims_json));
  }
}

TEST(Sign, TokenVerifiesWithTheKeyReadBackFromThePublishedJwks) {
  // What an outside verifier does: take the JWK named by kid from GetJwks.
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    keys::Key key = MakeKey(alg, "published");
    absl::StatusOr<std::string> jwks = keys::JwksJson(*MakeRing({key}));
    ASSERT_TRUE(jwks.ok());
    const nlohmann::json set = nlohmann::json::parse(*jwks);
    std::optional<keys::Key> published = testing::KeyFromPublishedJwk(set["keys"][0]);
    ASSERT_TRUE(published.has_value()) << set.dump();
    // A verifier's ring: a private primary of its own, then the published key.
    std::shared_ptr<const keys::KeyRing> verifier =
        MakeRing({MakeKey(Algorithm::kEdDSA, "verifier-own"), *published});
    absl::StatusOr<std::string> token = Sign(SampleClaims(), key);
    ASSERT_TRUE(token.ok());
    EXPECT_TRUE(Decode(*token, *verifier).ok()) << crypto::AlgorithmName(alg);
  }
}

}  // namespace
}  // namespace tokend::jwt
