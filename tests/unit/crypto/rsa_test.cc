// RS256 and PS256: padding, salt length, key checks.

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <string>

#include "absl/strings/match.h"
#include "crypto/signature_algorithm.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

using ::tokend::testing::GenerateKey;

// One RSA-2048 key for the whole binary: generating one takes a while.
const EVP_PKEY& SharedRsaKey() {
  static EVP_PKEY* const key = GenerateKey(Algorithm::kRS256).release();
  return *key;
}

// An RSA-PSS signature made with OpenSSL directly, with salt length `salt`
// (a number, or RSA_PSS_SALTLEN_MAX).
std::string PssSignWithSalt(const EVP_PKEY& key, absl::string_view message, int salt) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  EXPECT_EQ(EVP_DigestSignInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr,
                                  const_cast<EVP_PKEY*>(&key), nullptr),
            1);
  EXPECT_GT(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 0);
  EXPECT_GT(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 0);
  std::string signature(256, '\0');
  size_t size = signature.size();
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()),
            1);
  signature.resize(size);
  return signature;
}

EvpPkeyPtr RsaKeyWith(unsigned bits, unsigned long exponent) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EXPECT_EQ(EVP_PKEY_keygen_init(ctx.get()), 1);
  EXPECT_GT(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(bits)), 0);
  BignumPtr e(BN_new());
  BN_set_word(e.get(), exponent);
  EXPECT_GT(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()), 0);
  EVP_PKEY* key = nullptr;
  EXPECT_EQ(EVP_PKEY_generate(ctx.get(), &key), 1);
  return EvpPkeyPtr(key);
}

TEST(Ps256, VerifiesOnlyTheThirtyTwoByteSalt) {
  const EVP_PKEY& key = SharedRsaKey();
  const SignatureAlgorithm& ps256 = GetAlgorithm(Algorithm::kPS256);
  EXPECT_TRUE(ps256.Verify(key, "m", PssSignWithSalt(key, "m", 32)));
  // Valid RSASSA-PSS signatures, but not PS256 ones: the salt length is
  // pinned rather than recovered from the signature.
  EXPECT_FALSE(ps256.Verify(key, "m", PssSignWithSalt(key, "m", 0)));
  EXPECT_FALSE(ps256.Verify(key, "m", PssSignWithSalt(key, "m", 20)));
  EXPECT_FALSE(ps256.Verify(key, "m", PssSignWithSalt(key, "m", 64)));
  EXPECT_FALSE(ps256.Verify(key, "m", PssSignWithSalt(key, "m", RSA_PSS_SALTLEN_MAX)));
}

TEST(Ps256, SignsWithTheThirtyTwoByteSalt) {
  const EVP_PKEY& key = SharedRsaKey();
  absl::StatusOr<std::string> signature = GetAlgorithm(Algorithm::kPS256).Sign(key, "m");
  ASSERT_TRUE(signature.ok());
  // Check with OpenSSL directly, salt pinned to 32.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  ASSERT_EQ(EVP_DigestVerifyInit_ex(ctx.get(), &pctx, "SHA256", nullptr, nullptr,
                                    const_cast<EVP_PKEY*>(&key), nullptr),
            1);
  ASSERT_GT(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 0);
  ASSERT_GT(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 0);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()),
                             signature->size(), reinterpret_cast<const unsigned char*>("m"), 1),
            1);
}

TEST(Ps256, SignaturesAreRandomizedAndRs256OnesAreNot) {
  const EVP_PKEY& key = SharedRsaKey();
  absl::StatusOr<std::string> p1 = GetAlgorithm(Algorithm::kPS256).Sign(key, "m");
  absl::StatusOr<std::string> p2 = GetAlgorithm(Algorithm::kPS256).Sign(key, "m");
  absl::StatusOr<std::string> r1 = GetAlgorithm(Algorithm::kRS256).Sign(key, "m");
  absl::StatusOr<std::string> r2 = GetAlgorithm(Algorithm::kRS256).Sign(key, "m");
  ASSERT_TRUE(p1.ok() && p2.ok() && r1.ok() && r2.ok());
  EXPECT_NE(*p1, *p2);
  EXPECT_EQ(*r1, *r2);
}

TEST(Rs256, DoesNotVerifyPs256SignaturesNorTheReverse) {
  const EVP_PKEY& key = SharedRsaKey();
  absl::StatusOr<std::string> pss = GetAlgorithm(Algorithm::kPS256).Sign(key, "m");
  absl::StatusOr<std::string> pkcs1 = GetAlgorithm(Algorithm::kRS256).Sign(key, "m");
  ASSERT_TRUE(pss.ok() && pkcs1.ok());
  EXPECT_FALSE(GetAlgorithm(Algorithm::kRS256).Verify(key, "m", *pss));
  EXPECT_FALSE(GetAlgorithm(Algorithm::kPS256).Verify(key, "m", *pkcs1));
}

TEST(Rs256, RejectsSignatureOfWrongLength) {
  const EVP_PKEY& key = SharedRsaKey();
  absl::StatusOr<std::string> signature = GetAlgorithm(Algorithm::kRS256).Sign(key, "m");
  ASSERT_TRUE(signature.ok());
  ASSERT_EQ(signature->size(), 256u);
  EXPECT_FALSE(GetAlgorithm(Algorithm::kRS256).Verify(key, "m", std::string(1, '\0') + *signature));
  EXPECT_FALSE(GetAlgorithm(Algorithm::kRS256).Verify(key, "m", signature->substr(1)));
}

TEST(Rs256, CheckKeyRefusesKeysBelow2048Bits) {
  EvpPkeyPtr small = RsaKeyWith(1024, 65537);
  absl::Status status = GetAlgorithm(Algorithm::kRS256).CheckKey(*small);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "2048")) << status;
  EXPECT_FALSE(GetAlgorithm(Algorithm::kPS256).CheckKey(*small).ok());
}

TEST(Rs256, CheckKeyRefusesASmallPublicExponent) {
  EvpPkeyPtr e3 = RsaKeyWith(2048, 3);
  absl::Status status = GetAlgorithm(Algorithm::kRS256).CheckKey(*e3);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "exponent")) << status;
}

// The public key of the first JWK of the group of Wycheproof's
// json_web_key_test.json whose comment is `group_comment`.
EvpPkeyPtr WycheproofJwkKey(const std::string& group_comment) {
  const nlohmann::json file = ::tokend::testing::LoadWycheproof("json_web_key_test.json");
  if (file.is_null()) return nullptr;
  for (const auto& group : file["testGroups"]) {
    if (group["comment"] == group_comment) {
      return ::tokend::testing::PublicKeyFromJwk(group["private"]["keys"][0]);
    }
  }
  ADD_FAILURE() << "no group " << group_comment;
  return nullptr;
}

TEST(Rs256, CheckKeyRefusesAModulusWithTheRocaFingerprint) {
  // Wycheproof's "jws_rsa_roca_key" (kid "kid-rsa-roca-sign", RS256).
  EvpPkeyPtr key = WycheproofJwkKey("jws_rsa_roca_key");
  ASSERT_NE(key, nullptr);
  absl::Status status = GetAlgorithm(Algorithm::kRS256).CheckKey(*key);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "ROCA")) << status;
}

TEST(Rs256, CheckKeyRefusesPublicExponentOneAndKeysBelow2048BitsFromWycheproof) {
  // Wycheproof's "exponentOne" (e = "AQ") and "keysize_too_small" (1024 bits).
  EvpPkeyPtr e1 = WycheproofJwkKey("exponentOne");
  ASSERT_NE(e1, nullptr);
  absl::Status status = GetAlgorithm(Algorithm::kRS256).CheckKey(*e1);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "exponent")) << status;
  EvpPkeyPtr small = WycheproofJwkKey("keysize_too_small");
  ASSERT_NE(small, nullptr);
  status = GetAlgorithm(Algorithm::kRS256).CheckKey(*small);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), "2048")) << status;
}

TEST(Ps256, CheckKeyRefusesRsaPssRestrictedKeys) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA-PSS", nullptr));
  ASSERT_EQ(EVP_PKEY_keygen_init(ctx.get()), 1);
  ASSERT_GT(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), 2048), 0);
  EVP_PKEY* raw = nullptr;
  ASSERT_EQ(EVP_PKEY_generate(ctx.get(), &raw), 1);
  EvpPkeyPtr key(raw);
  EXPECT_FALSE(GetAlgorithm(Algorithm::kPS256).CheckKey(*key).ok());
}

}  // namespace
}  // namespace tokend::crypto
