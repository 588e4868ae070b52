// Reading public JWKs back into keys (ParsePublicJwk, ParseJwks), as a
// verifier outside tokend does with GetJwks' answer: every algorithm round
// trips through tokend's own JWK Set, and the ways a JWK can be wrong are
// refused with a reason (wrong curve, wrong sizes, points off the curve,
// private members, alg missing or not matching the key type...).

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/base64url.h"
#include "crypto/pem.h"
#include "gtest/gtest.h"
#include "keys/jwk.h"
#include "keys/key_ring.h"
#include "unit/crypto/test_keys.h"

namespace tokend::keys {
namespace {

using crypto::Algorithm;
using ::tokend::testing::GenerateSharedKey;
using ::tokend::testing::kAllAlgorithms;
using Json = nlohmann::json;

// The JWK tokend publishes for a fresh key of `alg`.
Json PublishedJwk(Algorithm alg, const std::string& kid = "k1") {
  std::vector<Key> keys = {Key{.kid = kid, .alg = alg, .pkey = GenerateSharedKey(alg)}};
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring = KeyRing::New(std::move(keys));
  EXPECT_TRUE(ring.ok()) << ring.status();
  absl::StatusOr<std::string> jwks = JwksJson(**ring);
  EXPECT_TRUE(jwks.ok()) << jwks.status();
  return Json::parse(*jwks)["keys"][0];
}

// The error message of parsing `jwk`, or "" when it parsed.
std::string RefusalOf(const Json& jwk) {
  absl::StatusOr<Key> key = ParsePublicJwk(jwk);
  if (key.ok()) return "";
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(key.status().message());
}

std::string Flip(const std::string& base64url) {
  std::string bytes;
  EXPECT_TRUE(crypto::Base64UrlDecode(base64url, &bytes));
  bytes.back() ^= 1;
  return crypto::Base64UrlEncode(bytes);
}

TEST(ParseJwks, EveryAlgorithmRoundTripsThroughTokendsOwnJwkSet) {
  std::vector<Key> keys;
  for (Algorithm alg : kAllAlgorithms) {
    keys.push_back(Key{.kid = absl::StrCat("kid-", crypto::AlgorithmName(alg)),
                       .alg = alg,
                       .pkey = GenerateSharedKey(alg)});
  }
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring = KeyRing::New(keys);
  ASSERT_TRUE(ring.ok()) << ring.status();
  absl::StatusOr<std::string> jwks = JwksJson(**ring);
  ASSERT_TRUE(jwks.ok());

  absl::StatusOr<ParsedJwks> parsed = ParseJwks(*jwks);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->skipped.empty());
  ASSERT_EQ(parsed->keys.size(), keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(parsed->keys[i].kid, keys[i].kid);
    EXPECT_EQ(parsed->keys[i].alg, keys[i].alg);
    EXPECT_EQ(EVP_PKEY_eq(parsed->keys[i].pkey.get(), keys[i].pkey.get()), 1)
        << crypto::AlgorithmName(keys[i].alg);
    EXPECT_FALSE(crypto::HasPrivateKey(*parsed->keys[i].pkey));
  }
}

TEST(ParseJwks, AVerifyOnlyRingTakesPublicKeysThatASigningRingRefuses) {
  absl::StatusOr<ParsedJwks> parsed =
      ParseJwks(Json{{"keys", {PublishedJwk(Algorithm::kES256)}}}.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(KeyRing::NewVerifyOnly(parsed->keys).ok());
  absl::StatusOr<std::shared_ptr<const KeyRing>> signing = KeyRing::New(parsed->keys);
  EXPECT_FALSE(signing.ok());
  EXPECT_TRUE(absl::StrContains(signing.status().message(), "no private key"));
  EXPECT_FALSE(KeyRing::NewVerifyOnly({}).ok());
}

TEST(ParsePublicJwk, RefusesAJwkWithAnyPrivateOrSymmetricMember) {
  for (Algorithm alg : kAllAlgorithms) {
    const Json published = PublishedJwk(alg);  // one key per algorithm: RSA keys are slow to make
    EXPECT_EQ(RefusalOf(published), "");
    for (const char* member : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
      Json jwk = published;
      jwk[member] = "AQAB";
      EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), absl::StrCat("private member \"", member)))
          << crypto::AlgorithmName(alg) << " " << member;
    }
  }
}

TEST(ParsePublicJwk, PinsTheAlgorithmToTheJwksAlgAndRefusesMissingOrForeignOnes) {
  Json jwk = PublishedJwk(Algorithm::kES256);
  jwk.erase("alg");
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "needs a string \"alg\""));
  for (const char* alg : {"none", "HS256", "es256", "ES512", ""}) {
    jwk["alg"] = alg;
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "unsupported")) << alg;
  }
  // An EC key offered as RSA or EdDSA: the kty does not suit the alg.
  for (const char* alg : {"RS256", "PS256", "EdDSA"}) {
    jwk["alg"] = alg;
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "needs kty")) << alg;
  }
  // P-256 offered as ES384: wrong curve.
  jwk["alg"] = "ES384";
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "needs crv P-384"));
}

TEST(ParsePublicJwk, RefusesAKidThatIsMissingEmptyOrNotAString) {
  Json jwk = PublishedJwk(Algorithm::kEdDSA);
  jwk.erase("kid");
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "kid"));
  jwk["kid"] = "";
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "kid"));
  jwk["kid"] = 7;
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "kid"));
  EXPECT_TRUE(absl::StrContains(RefusalOf(Json::array()), "not a JSON object"));
}

TEST(ParsePublicJwk, RefusesAKeyForAnotherUseOrWithoutVerifyInKeyOps) {
  Json jwk = PublishedJwk(Algorithm::kES384);
  jwk["use"] = "enc";
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "\"use\" must be \"sig\""));
  jwk.erase("use");
  jwk["key_ops"] = {"sign"};
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "key_ops"));
  jwk["key_ops"] = {"verify"};
  EXPECT_EQ(RefusalOf(jwk), "");
}

TEST(ParsePublicJwk, RefusesEcKeysWithAWrongCurveLengthOrAPointOffTheCurve) {
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384}) {
    const Json good = PublishedJwk(alg);
    EXPECT_EQ(RefusalOf(good), "");
    Json jwk = good;
    jwk["crv"] = alg == Algorithm::kES256 ? "P-384" : "P-256";
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "needs crv")) << jwk.dump();
    jwk = good;
    jwk["crv"] = "secp256k1";
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "needs crv"));
    jwk = good;
    jwk["y"] = Flip(good["y"]);
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "not on")) << RefusalOf(jwk);
    jwk = good;
    std::string x;
    ASSERT_TRUE(crypto::Base64UrlDecode(good["x"].get<std::string>(), &x));
    jwk["x"] = crypto::Base64UrlEncode(x.substr(1));  // one byte short
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "bytes each"));
    jwk["x"] = crypto::Base64UrlEncode(std::string(1, '\0') + x);  // one byte long
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "bytes each"));
    jwk = good;
    jwk.erase("y");
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "\"y\" missing"));
    jwk = good;
    jwk["x"] = good["x"].get<std::string>() + "=";
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "not base64url"));
    jwk = good;
    jwk["x"] = 12;
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "\"x\" missing"));
  }
}

TEST(ParsePublicJwk, RefusesRsaKeysThatAreTooSmallHaveABadExponentOrAPaddedModulus) {
  for (Algorithm alg : {Algorithm::kRS256, Algorithm::kPS256}) {
    const Json good = PublishedJwk(alg);
    EXPECT_EQ(RefusalOf(good), "");
    Json jwk = good;
    // A 1024-bit modulus (the top half of the real one).
    std::string n;
    ASSERT_TRUE(crypto::Base64UrlDecode(good["n"].get<std::string>(), &n));
    jwk["n"] = crypto::Base64UrlEncode(n.substr(0, 128));
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "2048 to 8192 bits")) << RefusalOf(jwk);
    jwk["n"] = crypto::Base64UrlEncode(std::string(1025, '\x7f'));  // 8200 bits
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "2048 to 8192 bits")) << RefusalOf(jwk);
    jwk = good;
    jwk["n"] = crypto::Base64UrlEncode(std::string(1, '\0') + n);
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "minimal"));
    jwk = good;
    jwk["e"] = "AQ";  // e = 1
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "exponent")) << RefusalOf(jwk);
    jwk["e"] = "Aw";  // e = 3
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "exponent")) << RefusalOf(jwk);
    jwk = good;
    jwk.erase("e");
    EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "\"e\" missing"));
  }
}

TEST(ParsePublicJwk, RefusesEdDsaKeysOnAnotherCurveOrOfTheWrongLength) {
  const Json good = PublishedJwk(Algorithm::kEdDSA);
  EXPECT_EQ(RefusalOf(good), "");
  Json jwk = good;
  jwk["crv"] = "Ed448";
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "Ed25519"));
  jwk = good;
  jwk["x"] = crypto::Base64UrlEncode(std::string(31, 'x'));
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "32 bytes"));
  jwk["x"] = crypto::Base64UrlEncode(std::string(57, 'x'));
  EXPECT_TRUE(absl::StrContains(RefusalOf(jwk), "32 bytes"));
}

TEST(ParseJwks, SkipsUnusableKeysButKeepsTheGoodOnes) {
  Json bad = PublishedJwk(Algorithm::kES256, "bad");
  bad["alg"] = "ES512";
  const Json good = PublishedJwk(Algorithm::kEdDSA, "good");
  absl::StatusOr<ParsedJwks> parsed = ParseJwks(Json{{"keys", {bad, good}}}.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->keys.size(), 1u);
  EXPECT_EQ(parsed->keys[0].kid, "good");
  ASSERT_EQ(parsed->skipped.size(), 1u);
  EXPECT_TRUE(absl::StrContains(parsed->skipped[0], "\"bad\""));
}

TEST(ParseJwks, RefusesASetWithoutUsableKeysARepeatedKidOrAmbiguousJson) {
  EXPECT_FALSE(ParseJwks("").ok());
  EXPECT_FALSE(ParseJwks("{}").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":{}})").ok());
  EXPECT_FALSE(ParseJwks(R"({"keys":[]})").ok());
  Json bad = PublishedJwk(Algorithm::kES256);
  bad["d"] = "AQAB";
  EXPECT_TRUE(absl::StrContains(ParseJwks(Json{{"keys", {bad}}}.dump()).status().message(),
                                "no usable key"));
  const Json a = PublishedJwk(Algorithm::kES256, "same");
  const Json b = PublishedJwk(Algorithm::kEdDSA, "same");
  EXPECT_TRUE(
      absl::StrContains(ParseJwks(Json{{"keys", {a, b}}}.dump()).status().message(), "repeated"));
  // A repeated member name could make the set read two ways.
  const std::string text = Json{{"keys", {a}}}.dump();
  EXPECT_FALSE(ParseJwks(absl::StrCat(R"({"keys":[],)", text.substr(1))).ok());
}

}  // namespace
}  // namespace tokend::keys
