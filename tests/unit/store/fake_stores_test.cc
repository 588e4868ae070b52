#include "tests/support/fake_stores.h"

#include <vector>

#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace tokend::testing {
namespace {

using store::RefreshFamily;
using store::RefreshToken;
using store::Revocation;
using Kind = store::Revocation::Kind;

const absl::Time kStart = absl::FromUnixSeconds(1800000000);

RefreshFamily Family(const std::string& id) {
  RefreshFamily f;
  f.family_id = id;
  f.client_id = "client";
  f.subject = "alice";
  f.created_at = kStart;
  f.absolute_expires_at = kStart + absl::Hours(24);
  return f;
}

RefreshToken Token(char fill, const std::string& family_id) {
  RefreshToken t;
  t.token_hash = std::string(32, fill);
  t.family_id = family_id;
  t.issued_at = kStart;
  t.expires_at = kStart + absl::Hours(1);
  return t;
}

Revocation Rev(Kind kind, const std::string& key, absl::Time revoked, absl::Time expires) {
  Revocation r;
  r.kind = kind;
  r.key = key;
  r.revoked_at = revoked;
  r.expires_at = expires;
  return r;
}

TEST(FakeStores, UnavailableFailsEveryCallOfBothStoresAndWritesNothing) {
  FakeRevocationStore revocations;
  FakeRefreshTokenStore tokens(revocations);
  ASSERT_TRUE(tokens.CreateFamily(Family("f1"), Token('a', "f1"), kStart).ok());

  revocations.SetUnavailable(true);  // shared: the token store is down too
  EXPECT_TRUE(absl::IsUnavailable(tokens.CreateFamily(Family("f2"), Token('b', "f2"), kStart)));
  EXPECT_TRUE(absl::IsUnavailable(tokens.Find(std::string(32, 'a'), kStart).status()));
  EXPECT_TRUE(absl::IsUnavailable(
      tokens.Rotate(std::string(32, 'a'), kStart, Token('c', "f1"), kStart).status()));
  EXPECT_TRUE(absl::IsUnavailable(
      revocations.Revoke(Rev(Kind::kToken, "j", kStart, kStart + absl::Hours(1)), kStart)));
  EXPECT_TRUE(absl::IsUnavailable(revocations.ForEachUnexpired(kStart, [](const Revocation&) {})));
  EXPECT_TRUE(absl::IsUnavailable(revocations.PurgeExpired(kStart).status()));

  tokens.SetUnavailable(false);
  EXPECT_EQ(tokens.family_count(), 1u);
  EXPECT_EQ(tokens.token_count(), 1u);
  EXPECT_EQ(revocations.size(), 0u);
  auto found = tokens.Find(std::string(32, 'a'), kStart);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE((*found)->used_at.has_value());
}

TEST(FakeStores, SetFailureReturnsTheGivenStatus) {
  FakeRevocationStore revocations;
  revocations.SetFailure(absl::DeadlineExceededError("slow"));
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      revocations.Revoke(Rev(Kind::kToken, "j", kStart, kStart + absl::Hours(1)), kStart)));
  revocations.SetFailure(absl::OkStatus());
  EXPECT_TRUE(
      revocations.Revoke(Rev(Kind::kToken, "j", kStart, kStart + absl::Hours(1)), kStart).ok());
}

TEST(FakeStores, StandaloneTokenStoreSeesNoRevocations) {
  FakeRefreshTokenStore tokens;
  ASSERT_TRUE(tokens.CreateFamily(Family("f1"), Token('a', "f1"), kStart).ok());
  auto found = tokens.Find(std::string(32, 'a'), kStart);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE((*found)->family_revoked);
}

TEST(FakeRevocationFeed, ReplaysOnStartThenDeliversEachRevokeMerged) {
  common::FakeClock clock(kStart);
  FakeRevocationStore store;
  ASSERT_TRUE(
      store
          .Revoke(Rev(Kind::kToken, "expired", kStart - absl::Hours(2), kStart - absl::Hours(1)),
                  kStart)
          .ok());
  ASSERT_TRUE(
      store.Revoke(Rev(Kind::kToken, "live", kStart, kStart + absl::Hours(1)), kStart).ok());
  std::vector<Revocation> got;
  FakeRevocationFeed feed(store, &clock);
  ASSERT_TRUE(feed.Start([&](const Revocation& r) { got.push_back(r); }, nullptr).ok());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].key, "live");

  ASSERT_TRUE(
      store.Revoke(Rev(Kind::kSubject, "bob", kStart, kStart + absl::Hours(1)), kStart).ok());
  ASSERT_TRUE(
      store
          .Revoke(Rev(Kind::kSubject, "bob", kStart - absl::Hours(1), kStart + absl::Hours(3)),
                  kStart)
          .ok());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].revoked_at, kStart);
  EXPECT_EQ(got[2].expires_at, kStart + absl::Hours(3));

  feed.Stop();
  ASSERT_TRUE(
      store.Revoke(Rev(Kind::kToken, "after", kStart, kStart + absl::Hours(1)), kStart).ok());
  EXPECT_EQ(got.size(), 3u);
}

TEST(FakeRevocationFeed, StartFailsAndStartsNothingWhileTheStoreIsUnavailable) {
  common::FakeClock clock(kStart);
  FakeRevocationStore store;
  ASSERT_TRUE(
      store.Revoke(Rev(Kind::kToken, "live", kStart, kStart + absl::Hours(1)), kStart).ok());
  std::vector<Revocation> got;
  FakeRevocationFeed feed(store, &clock);
  store.SetUnavailable(true);
  EXPECT_TRUE(
      absl::IsUnavailable(feed.Start([&](const Revocation& r) { got.push_back(r); }, nullptr)));
  store.SetUnavailable(false);
  ASSERT_TRUE(
      store.Revoke(Rev(Kind::kToken, "later", kStart, kStart + absl::Hours(1)), kStart).ok());
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace tokend::testing
