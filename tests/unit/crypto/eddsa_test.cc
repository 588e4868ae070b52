// EdDSA (Ed25519) known answers from RFC 8037 appendix A.

#include <string>

#include "crypto/base64url.h"
#include "crypto/signature_algorithm.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

std::string B64(absl::string_view text) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecode(text, &out)) << text;
  return out;
}

// RFC 8037 appendix A.1 key:
//   {"kty":"OKP","crv":"Ed25519",
//    "d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
//    "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
constexpr char kRfc8037D[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
constexpr char kRfc8037X[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
// Appendix A.4: header {"alg":"EdDSA"}, payload "Example of Ed25519 signing".
constexpr char kRfc8037SigningInput[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
constexpr char kRfc8037Signature[] =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

EvpPkeyPtr Rfc8037PrivateKey() {
  const std::string d = B64(kRfc8037D);
  return EvpPkeyPtr(EVP_PKEY_new_raw_private_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(d.data()), d.size()));
}

TEST(EdDsa, SignsRfc8037AppendixA4Exactly) {
  EvpPkeyPtr key = Rfc8037PrivateKey();
  ASSERT_NE(key, nullptr);
  absl::StatusOr<std::string> signature =
      GetAlgorithm(Algorithm::kEdDSA).Sign(*key, kRfc8037SigningInput);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(Base64UrlEncode(*signature), kRfc8037Signature);
}

TEST(EdDsa, VerifiesRfc8037AppendixA5WithThePublicJwk) {
  EvpPkeyPtr key =
      ::tokend::testing::PublicKeyFromJwk({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", kRfc8037X}});
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(
      GetAlgorithm(Algorithm::kEdDSA).Verify(*key, kRfc8037SigningInput, B64(kRfc8037Signature)));
  EXPECT_FALSE(GetAlgorithm(Algorithm::kEdDSA)
                   .Verify(*key, std::string(kRfc8037SigningInput) + ".", B64(kRfc8037Signature)));
}

TEST(EdDsa, PublicMembersMatchRfc8037AppendixA2) {
  EvpPkeyPtr key = Rfc8037PrivateKey();
  absl::StatusOr<PublicJwkMembers> members = GetAlgorithm(Algorithm::kEdDSA).PublicMembers(*key);
  ASSERT_TRUE(members.ok());
  ASSERT_EQ(members->members.size(), 3u);
  EXPECT_EQ(members->members[0], (std::pair<std::string, std::string>{"crv", "Ed25519"}));
  EXPECT_EQ(members->members[1], (std::pair<std::string, std::string>{"kty", "OKP"}));
  EXPECT_EQ(members->members[2], (std::pair<std::string, std::string>{"x", kRfc8037X}));
}

TEST(EdDsa, RejectsSignatureOfWrongLength) {
  EvpPkeyPtr key = Rfc8037PrivateKey();
  const std::string signature = B64(kRfc8037Signature);
  const SignatureAlgorithm& eddsa = GetAlgorithm(Algorithm::kEdDSA);
  EXPECT_FALSE(eddsa.Verify(*key, kRfc8037SigningInput, signature.substr(0, 63)));
  EXPECT_FALSE(eddsa.Verify(*key, kRfc8037SigningInput, signature + '\0'));
}

TEST(EdDsa, CheckKeyRefusesX25519AndEd448) {
  for (const char* type : {"X25519", "ED448"}) {
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, type);
    ASSERT_NE(raw, nullptr) << type;
    EvpPkeyPtr key(raw);
    EXPECT_FALSE(GetAlgorithm(Algorithm::kEdDSA).CheckKey(*key).ok()) << type;
  }
}

}  // namespace
}  // namespace tokend::crypto
