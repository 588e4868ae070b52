#include "service/revocation_set.h"

#include <string>

#include "gtest/gtest.h"

namespace tokend::service {
namespace {

using store::Revocation;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

Revocation Of(Revocation::Kind kind, std::string key, absl::Time revoked_at,
              absl::Duration keep = absl::Hours(1)) {
  return Revocation{
      .kind = kind, .key = std::move(key), .revoked_at = revoked_at, .expires_at = kT0 + keep};
}

TEST(SubjectRevocationCoverage, ComparesWholeSecondsBecauseIatHasWholeSeconds) {
  EXPECT_TRUE(CoveredBySubjectRevocation(kT0, kT0));
  EXPECT_TRUE(CoveredBySubjectRevocation(kT0 - absl::Seconds(10), kT0));
  // Issued later in the same second as the revocation: counts as before it.
  EXPECT_TRUE(CoveredBySubjectRevocation(kT0, kT0 + absl::Milliseconds(900)));
  EXPECT_FALSE(CoveredBySubjectRevocation(kT0 + absl::Seconds(1), kT0 + absl::Milliseconds(900)));
  EXPECT_FALSE(CoveredBySubjectRevocation(kT0 + absl::Seconds(2), kT0));
}

TEST(RevocationSet, RevokesAnAccessTokenByItsJtiOnly) {
  RevocationSet set;
  set.Add(Of(Revocation::Kind::kToken, "AAAAAAAAAAAAAAAAAAAAAA", kT0));
  EXPECT_TRUE(set.IsAccessTokenRevoked("AAAAAAAAAAAAAAAAAAAAAA", "", "alice", kT0));
  EXPECT_FALSE(set.IsAccessTokenRevoked("AAAAAAAAAAAAAAAAAAAAAQ", "", "alice", kT0));
  // A jti that is not tokend's 22-character form is still matched exactly.
  set.Add(Of(Revocation::Kind::kToken, "some-other-jti", kT0));
  EXPECT_TRUE(set.IsAccessTokenRevoked("some-other-jti", "", "bob", kT0));
  EXPECT_FALSE(set.IsAccessTokenRevoked("some-other-jtj", "", "bob", kT0));
}

TEST(RevocationSet, RevokesEveryAccessTokenOfARevokedFamily) {
  RevocationSet set;
  set.Add(Of(Revocation::Kind::kFamily, "FFFFFFFFFFFFFFFFFFFFFF", kT0));
  EXPECT_TRUE(set.IsFamilyRevoked("FFFFFFFFFFFFFFFFFFFFFF"));
  EXPECT_TRUE(set.IsAccessTokenRevoked("AAAAAAAAAAAAAAAAAAAAAA", "FFFFFFFFFFFFFFFFFFFFFF", "alice",
                                       kT0 + absl::Hours(1)));
  EXPECT_FALSE(set.IsAccessTokenRevoked("AAAAAAAAAAAAAAAAAAAAAA", "", "alice", kT0));
  EXPECT_FALSE(set.IsFamilyRevoked("GGGGGGGGGGGGGGGGGGGGGG"));
}

TEST(RevocationSet, RevokesASubjectsTokensIssuedUpToTheRevocationOnly) {
  RevocationSet set;
  set.Add(Of(Revocation::Kind::kSubject, "alice", kT0));
  EXPECT_TRUE(set.IsAccessTokenRevoked("j1", "", "alice", kT0 - absl::Minutes(1)));
  EXPECT_TRUE(set.IsAccessTokenRevoked("j1", "", "alice", kT0));
  EXPECT_FALSE(set.IsAccessTokenRevoked("j1", "", "alice", kT0 + absl::Seconds(2)));
  EXPECT_FALSE(set.IsAccessTokenRevoked("j1", "", "alicia", kT0));
  EXPECT_EQ(set.SubjectRevokedAt("alice"), kT0);
}

TEST(RevocationSet, KeepsTheLaterTimesWhenTheSameKeyIsRevokedTwice) {
  RevocationSet set;
  set.Add(Of(Revocation::Kind::kSubject, "alice", kT0 + absl::Minutes(5)));
  set.Add(Of(Revocation::Kind::kSubject, "alice", kT0));  // an older replay
  EXPECT_EQ(set.SubjectRevokedAt("alice"), kT0 + absl::Minutes(5));
  EXPECT_EQ(set.size(), 1u);
}

TEST(RevocationSet, ASubjectRevocationBackFromTheStoreAtMicrosecondsIsNoChange) {
  // The replica that revoked applies its own clock's reading (nanoseconds);
  // the store keeps and re-delivers microseconds, in either order. The same
  // revocation must count as one change, or watchers get it twice.
  const absl::Time local = kT0 + absl::Nanoseconds(123'456'789);
  const absl::Time stored = kT0 + absl::Microseconds(123'456);
  Revocation from_store = Of(Revocation::Kind::kSubject, "alice", stored);
  from_store.expires_at = stored + absl::Hours(1);
  Revocation from_here = Of(Revocation::Kind::kSubject, "alice", local);
  from_here.expires_at = local + absl::Hours(1);

  RevocationSet store_first;
  EXPECT_TRUE(store_first.Add(from_store));
  EXPECT_FALSE(store_first.Add(from_here));
  RevocationSet here_first;
  EXPECT_TRUE(here_first.Add(from_here));
  EXPECT_FALSE(here_first.Add(from_store));
  EXPECT_EQ(store_first.SubjectRevokedAt("alice"), here_first.SubjectRevokedAt("alice"));
}

TEST(RevocationSet, ForgetsOnlyRevocationsThatHaveExpired) {
  RevocationSet set;
  set.Add(Of(Revocation::Kind::kToken, "short", kT0, absl::Minutes(1)));
  set.Add(Of(Revocation::Kind::kFamily, "long", kT0, absl::Hours(2)));
  set.Add(Of(Revocation::Kind::kSubject, "bob", kT0, absl::Minutes(1)));
  EXPECT_EQ(set.size(), 3u);
  set.ForgetExpired(kT0 + absl::Minutes(30));
  EXPECT_EQ(set.size(), 1u);
  EXPECT_FALSE(set.IsAccessTokenRevoked("short", "", "x", kT0));
  EXPECT_TRUE(set.IsFamilyRevoked("long"));
  EXPECT_FALSE(set.SubjectRevokedAt("bob").has_value());
}

TEST(RevocationSet, IsCurrentOnlyWithinItsBoundOfTheLatestCatchUp) {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  RevocationSet bounded(absl::Seconds(5));
  EXPECT_FALSE(bounded.IsCurrent(t0));
  EXPECT_EQ(bounded.Age(t0), absl::InfiniteDuration());
  bounded.MarkCaughtUp(t0);
  EXPECT_TRUE(bounded.IsCurrent(t0 + absl::Seconds(5)));
  EXPECT_FALSE(bounded.IsCurrent(t0 + absl::Seconds(6)));
  // An older proof does not move it back.
  bounded.MarkCaughtUp(t0 - absl::Seconds(3));
  EXPECT_EQ(bounded.Age(t0 + absl::Seconds(2)), absl::Seconds(2));
  // Unbounded, it is always current.
  EXPECT_TRUE(RevocationSet().IsCurrent(t0));
}

}  // namespace
}  // namespace tokend::service
