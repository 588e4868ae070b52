#include "gtest/gtest.h"
#include "jwt/jwt.h"
#include "unit/jwt/jwt_test_util.h"

namespace tokend::jwt {
namespace {

using testing::SampleClaims;

const ValidationOptions kOptions{.issuer = "https://tokend.example",
                                 .leeway = absl::ZeroDuration()};
// SampleClaims(): nbf = iat = 1700000000, exp = 1700000300.
const absl::Time kIat = absl::FromUnixSeconds(1700000000);
const absl::Time kExp = absl::FromUnixSeconds(1700000300);

TEST(Validate, AcceptsATokenWithinItsLifetime) {
  EXPECT_TRUE(Validate(SampleClaims(), kOptions, kIat).ok());
  EXPECT_TRUE(Validate(SampleClaims(), kOptions, kIat + absl::Seconds(100)).ok());
  EXPECT_TRUE(Validate(SampleClaims(), kOptions, kExp - absl::Nanoseconds(1)).ok());
}

TEST(Validate, RejectsAnotherIssuer) {
  Claims claims = SampleClaims();
  claims.issuer = "https://evil.example";
  absl::Status status = Validate(claims, kOptions, kIat);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  claims.issuer = "";
  EXPECT_FALSE(Validate(claims, kOptions, kIat).ok());
}

TEST(Validate, RejectsATokenAtAndAfterItsExpiry) {
  EXPECT_EQ(Validate(SampleClaims(), kOptions, kExp).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(Validate(SampleClaims(), kOptions, kExp + absl::Hours(1)).ok());
}

TEST(Validate, RejectsATokenBeforeItsNotBefore) {
  EXPECT_EQ(Validate(SampleClaims(), kOptions, kIat - absl::Seconds(1)).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(Validate, RejectsATokenIssuedInTheFuture) {
  Claims claims = SampleClaims();
  claims.not_before = kIat - absl::Seconds(60);
  claims.issued_at = kIat + absl::Seconds(30);
  EXPECT_FALSE(Validate(claims, kOptions, kIat).ok());
}

TEST(Validate, AppliesTheLeewayToExpNbfAndIat) {
  const ValidationOptions lenient{.issuer = kOptions.issuer, .leeway = absl::Seconds(5)};
  EXPECT_TRUE(Validate(SampleClaims(), lenient, kExp + absl::Seconds(4)).ok());
  EXPECT_FALSE(Validate(SampleClaims(), lenient, kExp + absl::Seconds(5)).ok());
  EXPECT_TRUE(Validate(SampleClaims(), lenient, kIat - absl::Seconds(5)).ok());
  EXPECT_FALSE(Validate(SampleClaims(), lenient, kIat - absl::Seconds(6)).ok());
  Claims claims = SampleClaims();
  claims.not_before = kIat - absl::Seconds(60);
  claims.issued_at = kIat + absl::Seconds(5);
  EXPECT_TRUE(Validate(claims, lenient, kIat).ok());
  claims.issued_at = kIat + absl::Seconds(6);
  EXPECT_FALSE(Validate(claims, lenient, kIat).ok());
}

}  // namespace
}  // namespace tokend::jwt
