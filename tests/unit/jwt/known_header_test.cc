// VerifyCompactJws remembers headers it has read (per thread, by their
// exact text); the key lookup, the alg check and the signature still decide
// every call, whatever was remembered.

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "crypto/base64url.h"
#include "gtest/gtest.h"
#include "jwt/jwt.h"
#include "keys/key_ring.h"
#include "unit/crypto/test_keys.h"

namespace tokend::jwt {
namespace {

std::shared_ptr<const keys::KeyRing> Ring(const std::string& kid, crypto::Algorithm alg) {
  auto ring = keys::KeyRing::New(
      {keys::Key{.kid = kid, .alg = alg, .pkey = testing::GenerateSharedKey(alg)}});
  EXPECT_TRUE(ring.ok()) << ring.status();
  return *ring;
}

Claims SomeClaims() {
  Claims c;
  c.issuer = "https://tokend.test";
  c.subject = "alice";
  c.audience = {"api://orders"};
  c.issued_at = c.not_before = absl::FromUnixSeconds(1800000000);
  c.expires_at = c.issued_at + absl::Minutes(15);
  c.token_id = "Vd0TnB4ZQxkPcl2YV1m3Kw";
  return c;
}

TEST(KnownHeaders, ARememberedHeaderStillNeedsTheRightKeyAndSignature) {
  auto es256 = Ring("k1", crypto::Algorithm::kES256);
  absl::StatusOr<std::string> token = Sign(SomeClaims(), es256->primary());
  ASSERT_TRUE(token.ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Decode(*token, *es256).ok());  // header remembered

  // Same header text, another ring: kid "k1" is an ES256 key there too, but
  // another one: the signature decides.
  auto other_es256 = Ring("k1", crypto::Algorithm::kES256);
  EXPECT_FALSE(Decode(*token, *other_es256).ok());
  // kid "k1" names an EdDSA key: the header's alg (ES256) must match it.
  auto eddsa = Ring("k1", crypto::Algorithm::kEdDSA);
  absl::StatusOr<Claims> mismatch = Decode(*token, *eddsa);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.status().message(), "header: alg does not match the key");
  // No key "k1" at all.
  auto elsewhere = Ring("k2", crypto::Algorithm::kES256);
  absl::StatusOr<Claims> unknown = Decode(*token, *elsewhere);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "header: unknown kid");
  // A remembered header with a forged signature.
  std::string forged = *token;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(Decode(forged, *es256).ok());
  // And the good token still decodes.
  EXPECT_TRUE(Decode(*token, *es256).ok());
}

TEST(KnownHeaders, ManyDistinctHeadersAreEachReadForThemselves) {
  // More headers than a thread remembers, decoded round-robin.
  std::vector<std::shared_ptr<const keys::KeyRing>> rings;
  std::vector<std::string> tokens;
  for (int i = 0; i < 9; ++i) {
    rings.push_back(Ring("kid-" + std::to_string(i), crypto::Algorithm::kES256));
    tokens.push_back(*Sign(SomeClaims(), rings.back()->primary()));
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < rings.size(); ++i) {
      EXPECT_TRUE(Decode(tokens[i], *rings[i]).ok()) << i;
      EXPECT_FALSE(Decode(tokens[i], *rings[(i + 1) % rings.size()]).ok()) << i;
    }
  }
}

// HeaderKid reads the kid as VerifyCompactJws does, remembered or not, and
// from any spelling of the header (a leaked key can sign any header).
TEST(HeaderKid, ReadsTheKidOfAnyHeaderSpellingAndNothingFromAnUnreadableOne) {
  auto es256 = Ring("k1", crypto::Algorithm::kES256);
  absl::StatusOr<std::string> token = Sign(SomeClaims(), es256->primary());
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(HeaderKid(*token).value_or(""), "k1");
  ASSERT_TRUE(Decode(*token, *es256).ok());  // now remembered by this thread
  EXPECT_EQ(HeaderKid(*token).value_or(""), "k1");

  auto with_header = [](absl::string_view header) {
    return crypto::Base64UrlEncode(header) + ".e30.c2ln";  // payload {}, signature "sig"
  };
  EXPECT_EQ(
      HeaderKid(with_header(R"({ "typ" : "at+jwt", "kid" : "k2", "alg" : "ES256" })")).value_or(""),
      "k2");
  EXPECT_EQ(HeaderKid(with_header(R"({"kid":"k2"})")).value_or(""), "k2");
  for (absl::string_view bad : {R"({"alg":"ES256"})", R"({"kid":7})", R"({"kid":"a","kid":"b"})",
                                R"(["kid"])", "not json"}) {
    EXPECT_FALSE(HeaderKid(with_header(bad)).ok()) << bad;
  }
  EXPECT_FALSE(HeaderKid("!!!.e30.c2ln").ok());
  EXPECT_FALSE(HeaderKid("").ok());
}

}  // namespace
}  // namespace tokend::jwt
