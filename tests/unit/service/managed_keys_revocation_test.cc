// ManagedKeys hands each revoked key on as a revocation of its kid, for the
// replica's revocation view, once per key however often it re-reads the
// rows: with an in-memory key store and a fake clock.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "keys/key_envelope.h"
#include "service/managed_keys.h"

namespace tokend::service {
namespace {

using store::Revocation;
using store::SigningKeyChanges;
using store::SigningKeyRecord;

// The rows in memory; Change applies what `decide` makes of them at once.
class MemorySigningKeyStore final : public store::SigningKeyStore {
 public:
  absl::StatusOr<std::vector<SigningKeyRecord>> List(absl::Time) override {
    absl::MutexLock lock(&mu_);
    ++lists_;
    std::vector<SigningKeyRecord> rows = rows_;
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.signs_from < b.signs_from; });
    return rows;
  }
  absl::Status Change(
      absl::FunctionRef<absl::StatusOr<SigningKeyChanges>(const std::vector<SigningKeyRecord>&)>
          decide,
      absl::Time) override {
    absl::MutexLock lock(&mu_);
    absl::StatusOr<SigningKeyChanges> changes = decide(rows_);
    if (!changes.ok()) return changes.status();
    for (const std::string& kid : changes->remove) {
      std::erase_if(rows_, [&](const SigningKeyRecord& r) { return r.kid == kid; });
    }
    for (const SigningKeyRecord& u : changes->update) {
      for (SigningKeyRecord& r : rows_) {
        if (r.kid == u.kid) r = u;
      }
    }
    for (const SigningKeyRecord& i : changes->insert) rows_.push_back(i);
    return absl::OkStatus();
  }
  int lists() {
    absl::MutexLock lock(&mu_);
    return lists_;
  }

 private:
  absl::Mutex mu_;
  std::vector<SigningKeyRecord> rows_ ABSL_GUARDED_BY(mu_);
  int lists_ ABSL_GUARDED_BY(mu_) = 0;
};

keys::KekSet TestKeks() {
  const std::string bytes(32, 'k');
  absl::StatusOr<keys::KekSet> keks =
      keys::KekSet::New({{.id = keys::KekId(bytes), .bytes = bytes}});
  EXPECT_TRUE(keks.ok()) << keks.status();
  return *std::move(keks);
}

ManagedKeysOptions Options() {
  return ManagedKeysOptions{.alg = crypto::Algorithm::kES256,
                            .schedule = {.rotate_every = absl::Hours(1),
                                         .publish_ahead = absl::Minutes(10),
                                         .retain_after = absl::Minutes(20)},
                            .poll_interval = absl::Milliseconds(5)};
}

std::string SignerKid(const std::vector<SigningKeyRecord>& rows, absl::Time now) {
  KeysInForce in_force = KeysAt(rows, now);
  return in_force.signer.has_value() ? rows[*in_force.signer].kid : "";
}

const SigningKeyRecord* Row(const std::vector<SigningKeyRecord>& rows, const std::string& kid) {
  for (const SigningKeyRecord& r : rows) {
    if (r.kid == kid) return &r;
  }
  return nullptr;
}

TEST(ManagedKeysRevocations, EachRevokedKeyIsHandedOnOnceHoweverOftenTheRowsAreRead) {
  common::FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  MemorySigningKeyStore store;
  // `tokend keys` as an operator runs it, on the same rows.
  ManagedKeys admin(&store, TestKeks(), Options(), &clock);
  absl::StatusOr<std::vector<SigningKeyRecord>> rows = admin.Maintain();
  ASSERT_TRUE(rows.ok()) << rows.status();
  const std::string first = SignerKid(*rows, clock.Now());
  ASSERT_FALSE(first.empty());
  clock.Advance(absl::Minutes(1));
  rows = admin.Revoke(first);  // before the replica starts
  ASSERT_TRUE(rows.ok()) << rows.status();
  const std::string second = SignerKid(*rows, clock.Now());
  ASSERT_FALSE(second.empty());
  ASSERT_NE(second, first);

  ManagedKeys replica(&store, TestKeks(), Options(), &clock);
  ASSERT_TRUE(replica.Start().ok());
  absl::Mutex mu;
  std::vector<Revocation> handed_on;
  replica.Watch([](std::shared_ptr<const keys::KeyRing>) {},
                [&](const Revocation& r) {
                  absl::MutexLock lock(&mu);
                  handed_on.push_back(r);
                });
  auto count = [&] {
    absl::MutexLock lock(&mu);
    return handed_on.size();
  };
  // The key revoked before the start: handed on before Watch returned.
  ASSERT_EQ(count(), 1u);
  {
    absl::MutexLock lock(&mu);
    const SigningKeyRecord* row = Row(*rows, first);
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(handed_on[0].kind, Revocation::Kind::kSigningKey);
    EXPECT_EQ(handed_on[0].key, first);
    EXPECT_EQ(handed_on[0].expires_at, row->delete_after);
    EXPECT_EQ(handed_on[0].revoked_at, row->revoked_at);
  }

  clock.Advance(absl::Minutes(1));
  rows = admin.Revoke(second);
  ASSERT_TRUE(rows.ok()) << rows.status();
  replica.Poke();
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (count() < 2 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(count(), 2u);
  // Many more reads of the same rows hand on nothing more.
  const int lists = store.lists();
  while (store.lists() < lists + 20 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_GE(store.lists(), lists + 20);
  replica.Stop();
  absl::MutexLock lock(&mu);
  ASSERT_EQ(handed_on.size(), 2u);
  EXPECT_EQ(handed_on[1].key, second);
  EXPECT_EQ(handed_on[1].expires_at, Row(*rows, second)->delete_after);
}

}  // namespace
}  // namespace tokend::service
