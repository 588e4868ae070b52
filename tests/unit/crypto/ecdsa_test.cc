// ES256 and ES384: the fixed-length r||s form of JWS and its edges.

#include <openssl/ecdsa.h>

#include <string>

#include "crypto/base64url.h"
#include "crypto/signature_algorithm.h"
#include "gtest/gtest.h"
#include "unit/crypto/test_keys.h"

namespace tokend::crypto {
namespace {

using ::tokend::testing::GenerateKey;
using ::tokend::testing::HexDecode;

// Order n of the P-256 group (SEC 2 section 2.4.2).
constexpr char kP256OrderHex[] = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

std::string B64(absl::string_view text) {
  std::string out;
  EXPECT_TRUE(Base64UrlDecode(text, &out)) << text;
  return out;
}

// The public key of RFC 7515 appendix A.3.1, given as its JWK:
//   {"kty":"EC","crv":"P-256",
//    "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
//    "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
EvpPkeyPtr Rfc7515A3PublicKey() {
  EvpPkeyPtr key = ::tokend::testing::PublicKeyFromJwk({
      {"kty", "EC"},
      {"crv", "P-256"},
      {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
      {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
  });
  EXPECT_NE(key, nullptr);
  return key;
}

// RFC 7515 appendix A.3 signing input: header {"alg":"ES256"} and payload
//   {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}
constexpr char kRfc7515A3SigningInput[] =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
// Its signature from appendix A.3.1 (base64url of the 64-byte r||s).
constexpr char kRfc7515A3Signature[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

TEST(Es256, VerifiesRfc7515AppendixA3) {
  EvpPkeyPtr key = Rfc7515A3PublicKey();
  ASSERT_NE(key, nullptr);
  EXPECT_TRUE(GetAlgorithm(Algorithm::kES256)
                  .Verify(*key, kRfc7515A3SigningInput, B64(kRfc7515A3Signature)));
  EXPECT_FALSE(
      GetAlgorithm(Algorithm::kES256)
          .Verify(*key, std::string(kRfc7515A3SigningInput) + "x", B64(kRfc7515A3Signature)));
}

TEST(Es256, SignaturesAreRawSixtyFourBytes) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  for (int i = 0; i < 20; ++i) {  // some r or s have leading zero bytes: still 64
    absl::StatusOr<std::string> signature = GetAlgorithm(Algorithm::kES256).Sign(*key, "m");
    ASSERT_TRUE(signature.ok());
    EXPECT_EQ(signature->size(), 64u);
  }
}

TEST(Es384, SignaturesAreRawNinetySixBytes) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES384);
  absl::StatusOr<std::string> signature = GetAlgorithm(Algorithm::kES384).Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 96u);
}

TEST(Es256, RejectsSignatureOfWrongLength) {
  const SignatureAlgorithm& es256 = GetAlgorithm(Algorithm::kES256);
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  absl::StatusOr<std::string> signature = es256.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  EXPECT_FALSE(es256.Verify(*key, "m", signature->substr(0, 63)));
  EXPECT_FALSE(es256.Verify(*key, "m", *signature + '\0'));
  EXPECT_FALSE(es256.Verify(*key, "m", std::string(1, '\0') + *signature));
  // r and s each left-padded to 33 bytes: the same numbers, another length.
  EXPECT_FALSE(es256.Verify(*key, "m",
                            std::string(1, '\0') + signature->substr(0, 32) + std::string(1, '\0') +
                                signature->substr(32)));
  EXPECT_FALSE(es256.Verify(*key, "m", ""));
}

TEST(Es384, RejectsSignatureOfWrongLength) {
  const SignatureAlgorithm& es384 = GetAlgorithm(Algorithm::kES384);
  EvpPkeyPtr key = GenerateKey(Algorithm::kES384);
  absl::StatusOr<std::string> signature = es384.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  EXPECT_FALSE(es384.Verify(*key, "m", signature->substr(0, 64)));  // an ES256 length
  EXPECT_FALSE(es384.Verify(*key, "m", signature->substr(0, 95)));
  EXPECT_FALSE(es384.Verify(*key, "m", *signature + '\0'));
}

TEST(Es256, RejectsADerEncodedSignature) {
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  // A valid DER ECDSA-Sig-Value over "m", straight from OpenSSL.
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  ASSERT_EQ(
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key.get(), nullptr), 1);
  unsigned char der[80];
  size_t size = sizeof(der);
  ASSERT_EQ(EVP_DigestSign(ctx.get(), der, &size, reinterpret_cast<const unsigned char*>("m"), 1),
            1);
  EXPECT_FALSE(GetAlgorithm(Algorithm::kES256)
                   .Verify(*key, "m", std::string(reinterpret_cast<char*>(der), size)));
}

TEST(Es256, HighSTwinOfASignatureVerifies) {
  // (r, n - s) is the other valid signature of the same message; api.md
  // allows it to verify (revocation is by jti, not by token bytes).
  const SignatureAlgorithm& es256 = GetAlgorithm(Algorithm::kES256);
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  absl::StatusOr<std::string> signature = es256.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  BIGNUM* order_raw = nullptr;
  ASSERT_NE(BN_hex2bn(&order_raw, kP256OrderHex), 0);
  BignumPtr order(order_raw);
  BignumPtr s(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(signature->data()) + 32, 32, nullptr));
  BignumPtr twin_s(BN_new());
  ASSERT_EQ(BN_sub(twin_s.get(), order.get(), s.get()), 1);
  std::string twin = signature->substr(0, 32) + std::string(32, '\0');
  ASSERT_EQ(BN_bn2binpad(twin_s.get(), reinterpret_cast<unsigned char*>(twin.data()) + 32, 32), 32);
  ASSERT_NE(twin, *signature);
  EXPECT_TRUE(es256.Verify(*key, "m", twin));
}

TEST(Es256, RejectsZeroAndOutOfRangeRAndS) {
  const SignatureAlgorithm& es256 = GetAlgorithm(Algorithm::kES256);
  EvpPkeyPtr key = GenerateKey(Algorithm::kES256);
  absl::StatusOr<std::string> signature = es256.Sign(*key, "m");
  ASSERT_TRUE(signature.ok());
  const std::string zero(32, '\0');
  const std::string order = HexDecode(kP256OrderHex);
  const std::string r = signature->substr(0, 32), s = signature->substr(32);
  EXPECT_FALSE(es256.Verify(*key, "m", zero + zero));
  EXPECT_FALSE(es256.Verify(*key, "m", r + zero));
  EXPECT_FALSE(es256.Verify(*key, "m", zero + s));
  EXPECT_FALSE(es256.Verify(*key, "m", order + s));  // r = n
  EXPECT_FALSE(es256.Verify(*key, "m", r + order));  // s = n
  EXPECT_FALSE(es256.Verify(*key, "m", std::string(64, '\xff')));
}

TEST(Es256, CheckKeyRefusesOtherCurves) {
  EXPECT_FALSE(GetAlgorithm(Algorithm::kES256).CheckKey(*GenerateKey(Algorithm::kES384)).ok());
  EXPECT_FALSE(GetAlgorithm(Algorithm::kES384).CheckKey(*GenerateKey(Algorithm::kES256)).ok());
  EVP_PKEY* k256 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1");
  ASSERT_NE(k256, nullptr);
  EvpPkeyPtr secp256k1(k256);
  EXPECT_FALSE(GetAlgorithm(Algorithm::kES256).CheckKey(*secp256k1).ok());
}

}  // namespace
}  // namespace tokend::crypto
