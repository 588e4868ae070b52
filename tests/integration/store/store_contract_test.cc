// The store contract, run against the in-memory fakes and against PostgreSQL
// so that the two cannot drift apart.

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/postgres/pg_refresh_token_store.h"
#include "store/postgres/pg_revocation_store.h"
#include "tests/integration/store/store_test_util.h"
#include "tests/support/fake_stores.h"

namespace tokend::testing {
namespace {

using store::RefreshFamily;
using store::RefreshToken;
using store::RefreshTokenStore;
using store::Revocation;
using store::RevocationStore;
using Kind = store::Revocation::Kind;
using Outcome = store::RefreshTokenStore::RotateOutcome;

// A deadline far enough away never to matter.
absl::Time Later() { return absl::Now() + absl::Seconds(30); }

class FakeBackend {
 public:
  absl::Status SetUp() {
    tokens_ = std::make_unique<FakeRefreshTokenStore>(revocations_);
    return absl::OkStatus();
  }
  RefreshTokenStore& tokens() { return *tokens_; }
  RevocationStore& revocations() { return revocations_; }

 private:
  FakeRevocationStore revocations_;
  std::unique_ptr<FakeRefreshTokenStore> tokens_;
};

class PostgresBackend {
 public:
  absl::Status SetUp() {
    // Each test gets its own database: no test sees another's rows.
    auto db = NewMigratedDatabase("contract", 16);
    if (!db.ok()) return db.status();
    db_ = *std::move(db);
    tokens_ = std::make_unique<store::postgres::PgRefreshTokenStore>(db_.db.get());
    revocations_ = std::make_unique<store::postgres::PgRevocationStore>(db_.db.get());
    return absl::OkStatus();
  }
  RefreshTokenStore& tokens() { return *tokens_; }
  RevocationStore& revocations() { return *revocations_; }

 private:
  TestDatabase db_;
  std::unique_ptr<store::postgres::PgRefreshTokenStore> tokens_;
  std::unique_ptr<store::postgres::PgRevocationStore> revocations_;
};

template <typename Backend>
class StoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::Status s = backend_.SetUp();
    ASSERT_TRUE(s.ok()) << s;
  }
  RefreshTokenStore& tokens() { return backend_.tokens(); }
  RevocationStore& revocations() { return backend_.revocations(); }

  std::vector<Revocation> Unexpired(absl::Time now) {
    std::vector<Revocation> out;
    absl::Status s =
        revocations().ForEachUnexpired(now, [&](const Revocation& r) { out.push_back(r); });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  // Creates a family with one token; returns the token.
  RefreshToken Create(absl::string_view family_id, absl::string_view subject, int hash) {
    RefreshToken first = MakeToken(TokenHash(hash), family_id, At(0));
    absl::Status s = tokens().CreateFamily(MakeFamily(family_id, subject), first, Later());
    EXPECT_TRUE(s.ok()) << s;
    return first;
  }

  Backend backend_;
};

class BackendNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, FakeBackend>) return "Fake";
    return "Postgres";
  }
};

using Backends = ::testing::Types<FakeBackend, PostgresBackend>;
TYPED_TEST_SUITE(StoreContractTest, Backends, BackendNames);

TYPED_TEST(StoreContractTest, CreateFamilyThenFindReturnsEverythingAsStored) {
  RefreshFamily family = MakeFamily("fam-AAAAAAAAAAAAAAAAAAAA", "user \"ünïcode\" 42");
  family.audience = {"api://orders", "with space", "quote\" and \\backslash", "{braces,comma}"};
  family.custom_claims_json = R"({"tenant":"acme","emoji":"🔑"})";
  // Microseconds are kept; anything finer is dropped.
  family.created_at = At(0) + absl::Nanoseconds(123456789);
  family.absolute_expires_at = At(1000) + absl::Microseconds(1);
  RefreshToken first = MakeToken(TokenHash(1), family.family_id, At(1) + absl::Microseconds(7));
  first.scopes = {};
  ASSERT_TRUE(this->tokens().CreateFamily(family, first, Later()).ok());

  auto found = this->tokens().Find(first.token_hash, Later());
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  const store::RefreshTokenState& state = **found;
  EXPECT_EQ(state.token.token_hash, first.token_hash);
  EXPECT_EQ(state.token.family_id, family.family_id);
  EXPECT_EQ(state.token.scopes, first.scopes);
  EXPECT_EQ(state.token.issued_at, first.issued_at);
  EXPECT_EQ(state.token.expires_at, first.expires_at);
  EXPECT_EQ(state.family.family_id, family.family_id);
  EXPECT_EQ(state.family.client_id, family.client_id);
  EXPECT_EQ(state.family.subject, family.subject);
  EXPECT_EQ(state.family.audience, family.audience);
  EXPECT_EQ(state.family.custom_claims_json, family.custom_claims_json);
  EXPECT_EQ(state.family.created_at, At(0) + absl::Microseconds(123456));
  EXPECT_EQ(state.family.absolute_expires_at, family.absolute_expires_at);
  EXPECT_FALSE(state.used_at.has_value());
  EXPECT_FALSE(state.family_revoked);
  EXPECT_FALSE(state.subject_revoked_at.has_value());
}

TYPED_TEST(StoreContractTest, FindOfUnknownTokenIsNullopt) {
  this->Create("fam-1", "alice", 1);
  auto found = this->tokens().Find(TokenHash(2), Later());
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_FALSE(found->has_value());
}

TYPED_TEST(StoreContractTest, CreateFamilyWithExistingIdOrTokenIsAlreadyExistsAndWritesNothing) {
  this->Create("fam-1", "alice", 1);
  // Same family id, new token: the new token must not appear.
  absl::Status s = this->tokens().CreateFamily(MakeFamily("fam-1", "mallory"),
                                               MakeToken(TokenHash(2), "fam-1", At(0)), Later());
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  auto found = this->tokens().Find(TokenHash(2), Later());
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  // New family id, existing token hash: the new family must not appear.
  s = this->tokens().CreateFamily(MakeFamily("fam-2", "bob"),
                                  MakeToken(TokenHash(1), "fam-2", At(0)), Later());
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << s;
  found = this->tokens().Find(TokenHash(1), Later());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->family.subject, "alice");
  // fam-2 does not exist: a token can be created in it now.
  EXPECT_TRUE(this->tokens()
                  .CreateFamily(MakeFamily("fam-2", "bob"), MakeToken(TokenHash(3), "fam-2", At(0)),
                                Later())
                  .ok());
}

TYPED_TEST(StoreContractTest, RotateMarksUsedAndStoresSuccessorInThePresentedFamily) {
  const RefreshToken first = this->Create("fam-1", "alice", 1);
  RefreshToken successor = MakeToken(TokenHash(2), "some-other-family", At(60));
  successor.scopes = {"orders:read"};
  auto outcome =
      this->tokens().Rotate(first.token_hash, At(60) + absl::Microseconds(5), successor, Later());
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(*outcome, Outcome::kRotated);

  auto old_state = this->tokens().Find(first.token_hash, Later());
  ASSERT_TRUE(old_state.ok() && old_state->has_value());
  EXPECT_EQ((*old_state)->used_at, At(60) + absl::Microseconds(5));

  auto new_state = this->tokens().Find(successor.token_hash, Later());
  ASSERT_TRUE(new_state.ok() && new_state->has_value());
  EXPECT_EQ((*new_state)->token.family_id, "fam-1");
  EXPECT_EQ((*new_state)->family.subject, "alice");
  EXPECT_EQ((*new_state)->token.scopes, successor.scopes);
  EXPECT_EQ((*new_state)->token.issued_at, successor.issued_at);
  EXPECT_EQ((*new_state)->token.expires_at, successor.expires_at);
  EXPECT_FALSE((*new_state)->used_at.has_value());
}

TYPED_TEST(StoreContractTest, RotateOfUsedOrUnknownTokenIsAlreadyUsedAndWritesNothing) {
  const RefreshToken first = this->Create("fam-1", "alice", 1);
  ASSERT_EQ(*this->tokens().Rotate(first.token_hash, At(60),
                                   MakeToken(TokenHash(2), "fam-1", At(60)), Later()),
            Outcome::kRotated);
  auto again = this->tokens().Rotate(first.token_hash, At(120),
                                     MakeToken(TokenHash(3), "fam-1", At(120)), Later());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, Outcome::kAlreadyUsed);
  auto unknown = this->tokens().Rotate(TokenHash(99), At(120),
                                       MakeToken(TokenHash(4), "fam-1", At(120)), Later());
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(*unknown, Outcome::kAlreadyUsed);

  for (int n : {3, 4}) {
    auto found = this->tokens().Find(TokenHash(n), Later());
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value()) << n;
  }
  // The first use's time is kept.
  EXPECT_EQ((*this->tokens().Find(first.token_hash, Later()))->used_at, At(60));
}

TYPED_TEST(StoreContractTest, RotateToAnExistingHashIsAlreadyExistsAndLeavesTheTokenUnused) {
  const RefreshToken first = this->Create("fam-1", "alice", 1);
  this->Create("fam-2", "bob", 2);
  auto outcome = this->tokens().Rotate(first.token_hash, At(60),
                                       MakeToken(TokenHash(2), "fam-1", At(60)), Later());
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kAlreadyExists) << outcome.status();
  auto found = this->tokens().Find(first.token_hash, Later());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_FALSE((*found)->used_at.has_value());
  EXPECT_EQ((*this->tokens().Find(TokenHash(2), Later()))->family.family_id, "fam-2");
}

TYPED_TEST(StoreContractTest, ConcurrentRotatesOfOneTokenHaveExactlyOneWinner) {
  const RefreshToken first = this->Create("fam-1", "alice", 1);
  constexpr int kThreads = 12;
  absl::Barrier barrier(kThreads);
  std::vector<absl::StatusOr<Outcome>> outcomes(kThreads, absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      barrier.Block();
      outcomes[i] = this->tokens().Rotate(first.token_hash, At(60),
                                          MakeToken(TokenHash(100 + i), "fam-1", At(60)), Later());
    });
  }
  for (auto& t : threads) t.join();
  int rotated = 0;
  int winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << outcomes[i].status();
    if (*outcomes[i] == Outcome::kRotated) {
      ++rotated;
      winner = i;
    }
  }
  EXPECT_EQ(rotated, 1);
  for (int i = 0; i < kThreads; ++i) {
    auto found = this->tokens().Find(TokenHash(100 + i), Later());
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->has_value(), i == winner) << i;
  }
}

TYPED_TEST(StoreContractTest, FindReportsFamilyAndLatestSubjectRevocation) {
  const RefreshToken alice = this->Create("fam-1", "alice", 1);
  const RefreshToken bob = this->Create("fam-2", "bob", 2);
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kSubject, "alice", At(50), At(5000)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kSubject, "alice", At(40), At(5000)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kFamily, "fam-1", At(45), At(5000)), Later())
                  .ok());
  // Other kinds with the same keys change nothing for bob.
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "fam-2", At(45), At(5000)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "bob", At(45), At(5000)), Later())
                  .ok());

  auto a = this->tokens().Find(alice.token_hash, Later());
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_TRUE((*a)->family_revoked);
  EXPECT_EQ((*a)->subject_revoked_at, At(50));

  auto b = this->tokens().Find(bob.token_hash, Later());
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_FALSE((*b)->family_revoked);
  EXPECT_FALSE((*b)->subject_revoked_at.has_value());
}

TYPED_TEST(StoreContractTest, RevokeIsIdempotentAndKeepsTheLaterTimes) {
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "jti-1", At(20), At(100)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "jti-1", At(10), At(200)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "jti-1", At(10), At(150)), Later())
                  .ok());
  std::vector<Revocation> all = this->Unexpired(At(0));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].kind, Kind::kToken);
  EXPECT_EQ(all[0].key, "jti-1");
  EXPECT_EQ(all[0].revoked_at, At(20));
  EXPECT_EQ(all[0].expires_at, At(200));
}

TYPED_TEST(StoreContractTest, SameKeyOfDifferentKindsAreDifferentRevocations) {
  for (Kind kind : {Kind::kToken, Kind::kFamily, Kind::kSubject}) {
    ASSERT_TRUE(
        this->revocations().Revoke(MakeRevocation(kind, "same", At(1), At(100)), Later()).ok());
  }
  EXPECT_EQ(this->Unexpired(At(0)).size(), 3u);
}

TYPED_TEST(StoreContractTest, ForEachUnexpiredSkipsExpired) {
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "expired", At(0), At(100)), Later())
                  .ok());
  ASSERT_TRUE(
      this->revocations()
          .Revoke(MakeRevocation(Kind::kToken, "live", At(0), At(100) + absl::Microseconds(1)),
                  Later())
          .ok());
  // expires_at must be strictly after now.
  std::vector<Revocation> all = this->Unexpired(At(100));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key, "live");
  EXPECT_EQ(this->Unexpired(At(101)).size(), 0u);
}

TYPED_TEST(StoreContractTest, LongAndUnusualKeysRoundTrip) {
  // Subjects are caller-supplied: several KB, spaces, quotes, non-ASCII, and
  // bytes that do not compress (so no index can hold the key itself).
  std::string long_key = "subject with spaces \"and quotes\" ünï ";
  unsigned state = 12345;
  while (long_key.size() < 6000) {
    state = state * 1103515245 + 12345;
    long_key.push_back(static_cast<char>('!' + (state >> 16) % 90));
  }
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kSubject, long_key, At(1), At(100)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kSubject, long_key, At(2), At(100)), Later())
                  .ok());
  std::vector<Revocation> all = this->Unexpired(At(0));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].key, long_key);
  EXPECT_EQ(all[0].revoked_at, At(2));

  // Find matches the subject exactly.
  RefreshFamily family = MakeFamily("fam-1", long_key);
  ASSERT_TRUE(
      this->tokens().CreateFamily(family, MakeToken(TokenHash(1), "fam-1", At(0)), Later()).ok());
  auto found = this->tokens().Find(TokenHash(1), Later());
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->subject_revoked_at, At(2));
}

TYPED_TEST(StoreContractTest, PurgeExpiredDeletesOnlyWhatExpired) {
  // Revocations: one expired, one not.
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "old", At(0), At(100)), Later())
                  .ok());
  ASSERT_TRUE(this->revocations()
                  .Revoke(MakeRevocation(Kind::kToken, "new", At(0), At(10000)), Later())
                  .ok());
  // Families: fam-old (two tokens) past its absolute expiry, fam-new not.
  RefreshFamily old_family = MakeFamily("fam-old", "alice");
  old_family.absolute_expires_at = At(100);
  ASSERT_TRUE(this->tokens()
                  .CreateFamily(old_family, MakeToken(TokenHash(1), "fam-old", At(0)), Later())
                  .ok());
  ASSERT_EQ(*this->tokens().Rotate(TokenHash(1), At(10), MakeToken(TokenHash(2), "fam-old", At(10)),
                                   Later()),
            Outcome::kRotated);
  this->Create("fam-new", "bob", 3);

  auto purged = this->revocations().PurgeExpired(At(100));
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 1 + 1 + 2);  // one revocation, one family, its two tokens

  std::vector<Revocation> left = this->Unexpired(At(0));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].key, "new");
  for (int n : {1, 2}) {
    auto found = this->tokens().Find(TokenHash(n), Later());
    ASSERT_TRUE(found.ok());
    EXPECT_FALSE(found->has_value()) << n;
  }
  auto kept = this->tokens().Find(TokenHash(3), Later());
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->has_value());

  auto again = this->revocations().PurgeExpired(At(100));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TYPED_TEST(StoreContractTest, InvalidInputsAreInvalidArgumentAndWriteNothing) {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  RefreshFamily family = MakeFamily("fam-1", "alice");
  // A hash that is not 32 bytes.
  EXPECT_EQ(this->tokens()
                .CreateFamily(family, MakeToken(std::string(31, 'x'), "fam-1", At(0)), Later())
                .code(),
            kInvalid);
  EXPECT_EQ(this->tokens().Find(std::string(33, 'x'), Later()).status().code(), kInvalid);
  // Text PostgreSQL cannot hold: a NUL, invalid UTF-8.
  RefreshFamily bad = family;
  bad.subject = std::string("al\0ice", 6);
  EXPECT_EQ(
      this->tokens().CreateFamily(bad, MakeToken(TokenHash(1), "fam-1", At(0)), Later()).code(),
      kInvalid);
  bad = family;
  bad.audience = {"\xff\xfe"};
  EXPECT_EQ(
      this->tokens().CreateFamily(bad, MakeToken(TokenHash(1), "fam-1", At(0)), Later()).code(),
      kInvalid);
  // Infinite times.
  bad = family;
  bad.absolute_expires_at = absl::InfiniteFuture();
  EXPECT_EQ(
      this->tokens().CreateFamily(bad, MakeToken(TokenHash(1), "fam-1", At(0)), Later()).code(),
      kInvalid);
  EXPECT_EQ(this->revocations()
                .Revoke(MakeRevocation(Kind::kToken, "jti", At(0), absl::InfiniteFuture()), Later())
                .code(),
            kInvalid);
  // Revocations: unknown kind, empty key, NUL in key.
  EXPECT_EQ(this->revocations()
                .Revoke(MakeRevocation(static_cast<Kind>(7), "jti", At(0), At(10)), Later())
                .code(),
            kInvalid);
  EXPECT_EQ(
      this->revocations().Revoke(MakeRevocation(Kind::kToken, "", At(0), At(10)), Later()).code(),
      kInvalid);
  EXPECT_EQ(
      this->revocations()
          .Revoke(MakeRevocation(Kind::kSubject, std::string("a\0b", 3), At(0), At(10)), Later())
          .code(),
      kInvalid);

  EXPECT_FALSE(this->tokens().Find(TokenHash(1), Later())->has_value());
  EXPECT_EQ(this->Unexpired(At(0)).size(), 0u);
}

}  // namespace
}  // namespace tokend::testing
