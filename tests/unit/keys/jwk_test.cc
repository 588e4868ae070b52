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
using ::tokend::testing::PublicKeyFromJwk;

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

TEST(JwkThumbprint, MatchesTheRfc7638Example) {
  crypto::EvpPkeyPtr key = PublicKeyFromJwk(nlohmann::json::parse(kRfc7638Jwk));
  ASSERT_NE(key, nullptr);
  absl::StatusOr<std::string> thumbprint = JwkThumbprint(*key, Algorithm::kRS256);
  ASSERT_TRUE(thumbprint.ok());
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  // PS256 uses the same RSA members, so the same thumbprint.
  EXPECT_EQ(*JwkThumbprint(*key, Algorithm::kPS256), *thumbprint);
}

TEST(JwkThumbprint, MatchesTheRfc8037Example) {
  // RFC 8037 appendix A.2 public key; A.3 gives its thumbprint.
  crypto::EvpPkeyPtr key = PublicKeyFromJwk(
      {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}});
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(*JwkThumbprint(*key, Algorithm::kEdDSA), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
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
    const nlohmann::json& jwk = jwks["keys"][i];
    crypto::EvpPkeyPtr key = PublicKeyFromJwk(jwk);
    ASSERT_NE(key, nullptr) << jwk.dump();
    EXPECT_EQ(jwk["kid"], ring->keys()[i].kid);
    EXPECT_EQ(crypto::AlgorithmFromName(jwk["alg"].get<std::string>()), ring->keys()[i].alg);
    EXPECT_EQ(EVP_PKEY_eq(key.get(), ring->keys()[i].pkey.get()), 1);
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
  const std::string path = WriteFile("public.pem", ::tokend::testing::PublicKeyPem(*pkey));
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

}  // namespace
}  // namespace tokend::keys
