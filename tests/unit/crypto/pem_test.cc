#include "crypto/pem.h"

#include <openssl/pem.h>

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

using ::tokend::testing::GenerateKey;

enum class Format { kPkcs8, kTraditional, kEncryptedPkcs8 };

// PEM text of a private key, written by OpenSSL: PKCS#8 ("PRIVATE KEY"),
// the traditional per-type form (SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE
// KEY"), or PKCS#8 encrypted with AES-256-CBC under the passphrase "pass".
std::string PrivatePem(const EVP_PKEY& key, Format format) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok = 0;
  switch (format) {
    case Format::kPkcs8:
      ok = PEM_write_bio_PrivateKey(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr);
      break;
    case Format::kTraditional:
      ok = PEM_write_bio_PrivateKey_traditional(bio.get(), &key, nullptr, nullptr, 0, nullptr,
                                                nullptr);
      break;
    case Format::kEncryptedPkcs8: {
      char pass[] = "pass";
      ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), &key, EVP_aes_256_cbc(), pass, 4, nullptr,
                                         nullptr);
      break;
    }
  }
  EXPECT_EQ(ok, 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

void ExpectSameKey(const EVP_PKEY& a, const EVP_PKEY& b) { EXPECT_EQ(EVP_PKEY_eq(&a, &b), 1); }

TEST(ParsePrivateKeyPem, ParsesPkcs8KeysOfEveryAlgorithm) {
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    EvpPkeyPtr key = GenerateKey(alg);
    const std::string pem = PrivatePem(*key, Format::kPkcs8);
    ASSERT_TRUE(absl::StrContains(pem, "-----BEGIN PRIVATE KEY-----"));
    absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(pem);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_TRUE(HasPrivateKey(**parsed));
    ExpectSameKey(**parsed, *key);
  }
}

TEST(ParsePrivateKeyPem, ParsesSec1EcPrivateKey) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  const std::string pem = PrivatePem(*key, Format::kTraditional);
  ASSERT_TRUE(absl::StrContains(pem, "-----BEGIN EC PRIVATE KEY-----"));
  absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(pem);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(HasPrivateKey(**parsed));
  ExpectSameKey(**parsed, *key);
}

TEST(ParsePrivateKeyPem, ParsesPkcs1RsaPrivateKey) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kRS256);
  const std::string pem = PrivatePem(*key, Format::kTraditional);
  ASSERT_TRUE(absl::StrContains(pem, "-----BEGIN RSA PRIVATE KEY-----"));
  absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(pem);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ExpectSameKey(**parsed, *key);
}

TEST(ParsePrivateKeyPem, RefusesAnEncryptedKey) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  const std::string pem = PrivatePem(*key, Format::kEncryptedPkcs8);
  ASSERT_TRUE(absl::StrContains(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----"));
  absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(pem);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), "encrypted"));
}

TEST(ParsePrivateKeyPem, RefusesAPublicKey) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  const std::string pem = ::tokend::testing::PublicKeyPem(*key);
  absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(pem);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParsePrivateKeyPem, RefusesGarbageAndEmptyText) {
  for (const char* text :
       {"", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        "\xff\xfe\x00"}) {
    absl::StatusOr<EvpPkeyPtr> parsed = ParsePrivateKeyPem(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ParsePublicKeyPem, ParsesSubjectPublicKeyInfoOfEveryAlgorithm) {
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    EvpPkeyPtr key = GenerateKey(alg);
    const std::string pem = ::tokend::testing::PublicKeyPem(*key);
    absl::StatusOr<EvpPkeyPtr> parsed = ParsePublicKeyPem(pem);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_FALSE(HasPrivateKey(**parsed));
    ExpectSameKey(**parsed, *key);
  }
}

TEST(ParsePublicKeyPem, RefusesAPrivateKeyBlockAndGarbage) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  for (const std::string& text : {PrivatePem(*key, Format::kPkcs8), std::string("junk")}) {
    absl::StatusOr<EvpPkeyPtr> parsed = ParsePublicKeyPem(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(HasPrivateKey, TellsPrivateFromPublicKeysOfEveryAlgorithm) {
  for (Algorithm alg : ::tokend::testing::kAllAlgorithms) {
    EvpPkeyPtr key = GenerateKey(alg);
    EXPECT_TRUE(HasPrivateKey(*key)) << AlgorithmName(alg);
    EXPECT_FALSE(HasPrivateKey(*::tokend::testing::PublicOnly(*key))) << AlgorithmName(alg);
  }
}

}  // namespace
}  // namespace tokend::crypto
