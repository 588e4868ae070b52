#include "keys/jwk.h"

#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/pem.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::keys {
namespace {

using crypto::Algorithm;
using ::tokend::testing::GenerateKey;
using ::tokend::testing::GenerateSharedKey;
using ::tokend::testing::kAllAlgorithms;

// The RSA public key of RFC 7638 section 3.1 (its thumbprint is given there).
constexpr char kRfc7638Jwk[] = R"({
  "kty": "RSA",
  "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  "e": "AQAB",
  "alg": "RS256",
  "kid": "2011-04-29"
})";

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + "/tokend_jwk_test_" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string Pkcs8Pem(const EVP_PKEY& key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::shared_ptr<const KeyRing> RingOfEveryAlgorithm() {
  std::vector<Key> keys;
  for (Algorithm alg : kAllAlgorithms) {
    keys.push_back(Key{.kid = absl::StrCat("kid-", crypto::AlgorithmName(alg)),
                       .alg = alg,
                       .pkey = GenerateSharedKey(alg)});
  }
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring = KeyRing::New(std::move(keys));
  EXPECT_TRUE(ring.ok()) << ring.status();
  return *ring;
}

// The public half of the first JWK of a group of Wycheproof's
// json_web_key_test.json, by group comment (private members removed).
std::string WycheproofJwk(const std::string& group_comment) {
  const nlohmann::json file = ::tokend::testing::LoadWycheproof("json_web_key_test.json");
  if (file.is_null()) return "";
  for (const auto& group : file["testGroups"]) {
    if (group["comment"] != group_comment) continue;
    nlohmann::json jwk = group["private"]["keys"][0];
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) jwk.erase(secret);
    return jwk.dump();
  }
  ADD_FAILURE() << "no group " << group_comment;
  return "";
}

TEST(JwkThumbprint, MatchesTheRfc7638Example) {
  absl::StatusOr<Key> key = KeyFromPublicJwk(kRfc7638Jwk);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<std::string> thumbprint = JwkThumbprint(*key->pkey, Algorithm::kRS256);
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  // PS256 uses the same RSA members, so the same thumbprint.
  EXPECT_EQ(*JwkThumbprint(*key->pkey, Algorithm::kPS256), *thumbprint);
}

TEST(JwkThumbprint, MatchesTheRfc8037Example) {
  // RFC 8037 appendix A.2 public key; A.3 gives its thumbprint.
  absl::StatusOr<Key> key =
      KeyFromPublicJwk(R"({"kty":"OKP","crv":"Ed25519","alg":"EdDSA",)"
                       R"("x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})");
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*JwkThumbprint(*key->pkey, Algorithm::kEdDSA),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  EXPECT_EQ(key->kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");  // kid absent: thumbprint
}

TEST(JwkThumbprint, RefusesAKeyThatDoesNotSuitTheAlgorithm) {
  crypto::EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  absl::StatusOr<std::string> thumbprint = JwkThumbprint(*key, Algorithm::kEdDSA);
  ASSERT_FALSE(thumbprint.ok());
  EXPECT_EQ(thumbprint.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JwksJson, ListsEveryKeyWithKidKtyAlgUseAndPublicMembersOnly) {
  std::shared_ptr<const KeyRing> ring = RingOfEveryAlgorithm();
  absl::StatusOr<std::string> text = JwksJson(*ring);
  ASSERT_TRUE(text.ok()) << text.status();
  const nlohmann::json jwks = nlohmann::json::parse(*text);
  ASSERT_EQ(jwks.size(), 1u);
  ASSERT_EQ(jwks["keys"].size(), ring->keys().size());
  for (size_t i = 0; i < ring->keys().size(); ++i) {
    const nlohmann::json& jwk = jwks["keys"][i];
    const Key& key = ring->keys()[i];
    EXPECT_EQ(jwk["kid"], key.kid);
    EXPECT_EQ(jwk["alg"], std::string(crypto::AlgorithmName(key.alg)));
    EXPECT_EQ(jwk["use"], "sig");
    std::vector<std::string> names;
    for (const auto& [name, value] : jwk.items()) names.push_back(name);
    std::vector<std::string> expected;
    switch (key.alg) {
      case Algorithm::kES256:
      case Algorithm::kES384:
        expected = {"alg", "crv", "kid", "kty", "use", "x", "y"};
        EXPECT_EQ(jwk["kty"], "EC");
        EXPECT_EQ(jwk["crv"], key.alg == Algorithm::kES256 ? "P-256" : "P-384");
        break;
      case Algorithm::kEdDSA:
        expected = {"alg", "crv", "kid", "kty", "use", "x"};
        EXPECT_EQ(jwk["kty"], "OKP");
        EXPECT_EQ(jwk["crv"], "Ed25519");
        break;
      case Algorithm::kRS256:
      case Algorithm::kPS256:
        expected = {"alg", "e", "kid", "kty", "n", "use"};
        EXPECT_EQ(jwk["kty"], "RSA");
        EXPECT_EQ(jwk["e"], "AQAB");
        break;
    }
    EXPECT_EQ(names, expected) << jwk.dump();
  }
}

TEST(JwksJson, WritesMembersInKidKtyAlgUseOrder) {
  Key key{.kid = "k1", .alg = Algorithm::kEdDSA, .pkey = GenerateSharedKey(Algorithm::kEdDSA)};
  absl::StatusOr<std::shared_ptr<const KeyRing>> ring = KeyRing::New({key});
  ASSERT_TRUE(ring.ok());
  absl::StatusOr<std::string> text = JwksJson(**ring);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(absl::StartsWith(
      *text, R"({"keys":[{"kid":"k1","kty":"OKP","alg":"EdDSA","use":"sig","crv":"Ed25519","x":")"))
      << *text;
}

TEST(JwksJson, NeverContainsAPrivateOrSymmetricMember) {
  // Every key of the ring holds its private key.
  std::shared_ptr<const KeyRing> ring = RingOfEveryAlgorithm();
  absl::StatusOr<std::string> text = JwksJson(*ring);
  ASSERT_TRUE(text.ok());
  const nlohmann::json jwks = nlohmann::json::parse(*text);
  for (const auto& jwk : jwks["keys"]) {
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}) {
      EXPECT_FALSE(jwk.contains(secret)) << secret << " in " << jwk.dump();
      EXPECT_FALSE(absl::StrContains(*text, absl::StrCat("\"", secret, "\":"))) << secret;
    }
  }
}

TEST(JwksJson, EachJwkReadsBackAsTheSamePublicKey) {
  std::shared_ptr<const KeyRing> ring = RingOfEveryAlgorithm();
  const nlohmann::json jwks = nlohmann::json::parse(*JwksJson(*ring));
  for (size_t i = 0; i < ring->keys().size(); ++i) {
    absl::StatusOr<Key> key = KeyFromPublicJwk(jwks["keys"][i].dump());
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->kid, ring->keys()[i].kid);
    EXPECT_EQ(key->alg, ring->keys()[i].alg);
    EXPECT_EQ(EVP_PKEY_eq(key->pkey.get(), ring->keys()[i].pkey.get()), 1);
  }
}

TEST(LoadKeyFile, LoadsAPrivateKeyAndDefaultsTheKidToItsThumbprint) {
  crypto::EvpPkeyPtr pkey = GenerateKey(Algorithm::kES256);
  const std::string path = WriteFile("es256.pem", Pkcs8Pem(*pkey));
  absl::StatusOr<Key> key = LoadKeyFile(path, Algorithm::kES256, "", false);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->kid, *JwkThumbprint(*pkey, Algorithm::kES256));
  EXPECT_EQ(key->alg, Algorithm::kES256);
  EXPECT_TRUE(crypto::HasPrivateKey(*key->pkey));
  EXPECT_EQ(EVP_PKEY_eq(key->pkey.get(), pkey.get()), 1);
}

TEST(LoadKeyFile, KeepsAConfiguredKid) {
  crypto::EvpPkeyPtr pkey = GenerateKey(Algorithm::kEdDSA);
  const std::string path = WriteFile("ed.pem", Pkcs8Pem(*pkey));
  absl::StatusOr<Key> key = LoadKeyFile(path, Algorithm::kEdDSA, "2026-11", false);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->kid, "2026-11");
}

TEST(LoadKeyFile, MissingFileIsNotFoundNamingThePath) {
  const std::string path = ::testing::TempDir() + "/tokend_jwk_test_does_not_exist.pem";
  absl::StatusOr<Key> key = LoadKeyFile(path, Algorithm::kES256, "", false);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(key.status().message(), path)) << key.status();
  EXPECT_TRUE(absl::StrContains(key.status().message(), "No such file")) << key.status();
}

TEST(LoadKeyFile, UnreadablePathIsAnErrorNamingThePath) {
  const std::string path = ::testing::TempDir();  // a directory
  absl::StatusOr<Key> key = LoadKeyFile(path, Algorithm::kES256, "", false);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(key.status().message(), path)) << key.status();
}

TEST(LoadKeyFile, GarbageIsInvalidArgumentNamingThePath) {
  const std::string path = WriteFile("garbage.pem", "not a key\n");
  absl::StatusOr<Key> key = LoadKeyFile(path, Algorithm::kES256, "", true);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(key.status().message(), path)) << key.status();
}

TEST(LoadKeyFile, PublicKeyIsRefusedUnlessAllowed) {
  crypto::EvpPkeyPtr pkey = GenerateKey(Algorithm::kES384);
  const std::string path = WriteFile("public.pem", *crypto::PublicKeyToPem(*pkey));
  absl::StatusOr<Key> refused = LoadKeyFile(path, Algorithm::kES384, "", false);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "public key only")) << refused.status();
  absl::StatusOr<Key> allowed = LoadKeyFile(path, Algorithm::kES384, "", true);
  ASSERT_TRUE(allowed.ok()) << allowed.status();
  EXPECT_FALSE(crypto::HasPrivateKey(*allowed->pkey));
}

TEST(LoadKeyFile, KeyOfAnotherTypeThanTheAlgorithmIsRefused) {
  crypto::EvpPkeyPtr pkey = GenerateKey(Algorithm::kES256);
  const std::string path = WriteFile("ec-for-rsa.pem", Pkcs8Pem(*pkey));
  absl::StatusOr<Key> key = LoadKeyFile(path, Algorithm::kRS256, "", false);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(key.status().message(), path)) << key.status();
}

TEST(KeyFromPublicJwk, RefusesPrivateAndSymmetricMembers) {
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    nlohmann::json jwk = nlohmann::json::parse(kRfc7638Jwk);
    jwk[secret] = "AQAB";
    absl::StatusOr<Key> key = KeyFromPublicJwk(jwk.dump());
    ASSERT_FALSE(key.ok()) << secret;
    EXPECT_TRUE(absl::StrContains(key.status().message(), "private")) << key.status();
  }
}

TEST(KeyFromPublicJwk, RefusesAMissingOrUnsupportedAlg) {
  for (const char* alg : {"none", "HS256", "ES512", "RS384", "rs256", ""}) {
    nlohmann::json jwk = nlohmann::json::parse(kRfc7638Jwk);
    jwk["alg"] = alg;
    EXPECT_FALSE(KeyFromPublicJwk(jwk.dump()).ok()) << alg;
  }
  nlohmann::json jwk = nlohmann::json::parse(kRfc7638Jwk);
  jwk.erase("alg");
  EXPECT_FALSE(KeyFromPublicJwk(jwk.dump()).ok());
  jwk["alg"] = "ES256";  // RSA members with an EC algorithm
  EXPECT_FALSE(KeyFromPublicJwk(jwk.dump()).ok());
}

TEST(KeyFromPublicJwk, RefusesUseOtherThanSigAndKeyOpsWithoutVerify) {
  nlohmann::json jwk = nlohmann::json::parse(kRfc7638Jwk);
  jwk["use"] = "enc";
  EXPECT_FALSE(KeyFromPublicJwk(jwk.dump()).ok());
  jwk.erase("use");
  jwk["key_ops"] = {"encrypt"};
  EXPECT_FALSE(KeyFromPublicJwk(jwk.dump()).ok());
  jwk["key_ops"] = {"verify"};
  EXPECT_TRUE(KeyFromPublicJwk(jwk.dump()).ok());
}

TEST(KeyFromPublicJwk, RefusesRepeatedMembers) {
  // The RFC 7638 JWK with "e" written twice.
  std::string text = kRfc7638Jwk;
  text.insert(text.find("\"e\""), "\"e\": \"Aw\",\n  ");
  absl::StatusOr<Key> key = KeyFromPublicJwk(text);
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(absl::StrContains(key.status().message(), "duplicate")) << key.status();
}

TEST(KeyFromPublicJwk, RefusesAnRsaModulusWithTheRocaFingerprint) {
  // Wycheproof's "jws_rsa_roca_key" (kid "kid-rsa-roca-sign", RS256).
  absl::StatusOr<Key> key = KeyFromPublicJwk(WycheproofJwk("jws_rsa_roca_key"));
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(absl::StrContains(key.status().message(), "ROCA")) << key.status();
}

TEST(KeyFromPublicJwk, RefusesRsaWithPublicExponentOneOrBelow2048Bits) {
  // Wycheproof's "exponentOne" (e = "AQ") and "keysize_too_small" (1024 bits).
  absl::StatusOr<Key> e1 = KeyFromPublicJwk(WycheproofJwk("exponentOne"));
  ASSERT_FALSE(e1.ok());
  EXPECT_TRUE(absl::StrContains(e1.status().message(), "exponent")) << e1.status();
  absl::StatusOr<Key> small = KeyFromPublicJwk(WycheproofJwk("keysize_too_small"));
  ASSERT_FALSE(small.ok());
  EXPECT_TRUE(absl::StrContains(small.status().message(), "2048")) << small.status();
}

TEST(KeyFromPublicJwk, RefusesAnEcPointOffTheCurve) {
  // Wycheproof's "invalid_point": y of kid-ec-sign with one character changed.
  absl::StatusOr<Key> key = KeyFromPublicJwk(WycheproofJwk("invalid_point"));
  ASSERT_FALSE(key.ok());
  EXPECT_TRUE(absl::StrContains(key.status().message(), "EVP_PKEY")) << key.status();
}

TEST(KeyFromPublicJwk, RefusesNonObjectsAndBadJson) {
  for (const char* text : {"", "[]", "\"RSA\"", "{", "null", "{\"kty\":\"EC\"}"}) {
    EXPECT_FALSE(KeyFromPublicJwk(text).ok()) << text;
  }
}

}  // namespace
}  // namespace tokend::keys
