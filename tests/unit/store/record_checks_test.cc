#include "store/record_checks.h"

#include <string>

#include "gtest/gtest.h"

namespace tokend::store {
namespace {

const absl::Time kT = absl::FromUnixSeconds(1800000000);

RefreshFamily Family() {
  RefreshFamily f;
  f.family_id = "fam";
  f.client_id = "client";
  f.subject = "alice";
  f.audience = {"api://orders"};
  f.created_at = kT;
  f.absolute_expires_at = kT + absl::Hours(24);
  return f;
}

RefreshToken Token() {
  RefreshToken t;
  t.token_hash = std::string(32, 'h');
  t.family_id = "fam";
  t.scopes = {"orders:read"};
  t.issued_at = kT;
  t.expires_at = kT + absl::Hours(1);
  return t;
}

Revocation Rev() {
  Revocation r;
  r.kind = Revocation::Kind::kSubject;
  r.key = "alice";
  r.revoked_at = kT;
  r.expires_at = kT + absl::Hours(1);
  return r;
}

// INVALID_ARGUMENT whose message names `field` (and never the value).
void ExpectRefused(const absl::Status& s, const std::string& field) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find(field), absl::string_view::npos) << s;
}

TEST(RecordChecks, AcceptValidRecords) {
  EXPECT_TRUE(CheckNewFamily(Family(), Token()).ok());
  EXPECT_TRUE(CheckRotation(std::string(32, 'p'), kT, Token()).ok());
  EXPECT_TRUE(CheckRevocation(Rev()).ok());
  EXPECT_TRUE(CheckTokenHash("token_hash", std::string(32, '\0')).ok());
  EXPECT_TRUE(CheckText("subject", "ünïcode with spaces").ok());
  EXPECT_TRUE(CheckText("subject", "").ok());
}

TEST(RecordChecks, RefuseWhatPostgresCannotHoldNamingTheField) {
  ExpectRefused(CheckTokenHash("token_hash", std::string(31, 'h')), "token_hash");
  ExpectRefused(CheckText("subject", std::string("a\0b", 3)), "subject");
  ExpectRefused(CheckText("subject", "\xc0\xaf"), "subject");  // overlong '/'
  ExpectRefused(CheckTime("now", absl::InfiniteFuture()), "now");
  ExpectRefused(CheckTime("now", absl::InfinitePast()), "now");

  RefreshFamily family = Family();
  family.family_id = "";
  ExpectRefused(CheckNewFamily(family, Token()), "family.family_id");
  family = Family();
  family.audience.push_back(std::string("x\0", 2));
  ExpectRefused(CheckNewFamily(family, Token()), "family.audience");
  family = Family();
  family.absolute_expires_at = absl::InfiniteFuture();
  ExpectRefused(CheckNewFamily(family, Token()), "family.absolute_expires_at");
  RefreshToken token = Token();
  token.token_hash = "short";
  ExpectRefused(CheckNewFamily(Family(), token), "first.token_hash");

  ExpectRefused(CheckRotation("short", kT, Token()), "presented_hash");
  ExpectRefused(CheckRotation(std::string(32, 'p'), absl::InfinitePast(), Token()), "used_at");
  token = Token();
  token.scopes = {"\xff"};
  ExpectRefused(CheckRotation(std::string(32, 'p'), kT, token), "successor.scopes");

  Revocation r = Rev();
  r.kind = static_cast<Revocation::Kind>(5);
  ExpectRefused(CheckRevocation(r), "revocation.kind");
  // A signing key's revocation lives in its key row, never in the table.
  r.kind = Revocation::Kind::kSigningKey;
  ExpectRefused(CheckRevocation(r), "revocation.kind");
  r = Rev();
  r.key = "";
  ExpectRefused(CheckRevocation(r), "revocation.key");
  r = Rev();
  r.expires_at = absl::InfiniteFuture();
  ExpectRefused(CheckRevocation(r), "revocation.expires_at");
}

TEST(RecordChecks, KnowTheThreeRevocationKinds) {
  EXPECT_FALSE(IsRevocationKind(0));
  EXPECT_TRUE(IsRevocationKind(1));
  EXPECT_TRUE(IsRevocationKind(2));
  EXPECT_TRUE(IsRevocationKind(3));
  EXPECT_FALSE(IsRevocationKind(static_cast<int>(Revocation::Kind::kSigningKey)));
  EXPECT_FALSE(IsRevocationKind(5));
}

}  // namespace
}  // namespace tokend::store
