// Managed signing keys on PostgreSQL: rows round-trip, exactly one of many
// concurrent replicas makes each key, and rewrapping under load loses none.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/barrier.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "crypto/key_codec.h"
#include "gtest/gtest.h"
#include "keys/key_envelope.h"
#include "service/managed_keys.h"
#include "store/postgres/pg_signing_key_store.h"
#include "tests/integration/store/store_test_util.h"

namespace tokend::testing {
namespace {

using service::ManagedKeys;
using store::SigningKeyRecord;
using store::postgres::PgSigningKeyStore;

const service::KeyScheduleOptions kSchedule{.rotate_every = absl::Hours(720),
                                            .publish_ahead = absl::Hours(1),
                                            .retain_after = absl::Minutes(15)};

keys::KekSet Keks(std::vector<char> fills) {
  std::vector<keys::Kek> keks;
  for (char fill : fills) keks.push_back({.id = "", .bytes = std::string(32, fill)});
  absl::StatusOr<keys::KekSet> set = keys::KekSet::New(std::move(keks));
  EXPECT_TRUE(set.ok()) << set.status();
  return *std::move(set);
}

std::unique_ptr<store::postgres::Database> Open(const std::string& dsn, int pool_size) {
  absl::StatusOr<std::unique_ptr<store::postgres::Database>> db =
      store::postgres::Database::Open({.dsn = dsn, .pool_size = pool_size});
  EXPECT_TRUE(db.ok()) << db.status();
  return db.ok() ? *std::move(db) : nullptr;
}

TEST(PgSigningKeys, RowsRoundTripWithEveryColumn) {
  auto tdb = NewMigratedDatabase("keys_roundtrip");
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  PgSigningKeyStore store(tdb->db.get());
  SigningKeyRecord row{.kid = "kid-1",
                       .alg = "ES256",
                       .kek_id = "kek-0000abcd",
                       .sealed_key = std::string("\x00\xff\x01sealed", 9),
                       .publish_from = At(0),
                       .signs_from = At(10),
                       .signs_until = At(20),
                       .delete_after = At(30.5),
                       .revoked_at = At(15.25),
                       .created_at = At(0),
                       .imported = true};
  ASSERT_TRUE(store
                  .Change(
                      [&](const std::vector<SigningKeyRecord>& rows)
                          -> absl::StatusOr<store::SigningKeyChanges> {
                        EXPECT_TRUE(rows.empty());
                        return store::SigningKeyChanges{.insert = {row}};
                      },
                      absl::Now() + absl::Seconds(10))
                  .ok());
  absl::StatusOr<std::vector<SigningKeyRecord>> rows = store.List(absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const SigningKeyRecord& got = (*rows)[0];
  EXPECT_EQ(got.kid, row.kid);
  EXPECT_EQ(got.alg, row.alg);
  EXPECT_EQ(got.kek_id, row.kek_id);
  EXPECT_EQ(got.sealed_key, row.sealed_key);
  EXPECT_EQ(got.publish_from, row.publish_from);
  EXPECT_EQ(got.signs_from, row.signs_from);
  EXPECT_EQ(got.signs_until, row.signs_until);
  EXPECT_EQ(got.delete_after, row.delete_after);
  ASSERT_TRUE(got.revoked_at.has_value());
  EXPECT_EQ(*got.revoked_at, *row.revoked_at);
  EXPECT_TRUE(got.imported);
}

// Eight replicas start at once on an empty table, then all find the next
// key due at once: each time exactly one key is made.
TEST(PgSigningKeys, ConcurrentReplicasMakeExactlyOneKeyPerPeriod) {
  auto tdb = NewMigratedDatabase("keys_race");
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  constexpr int kReplicas = 8;
  common::FakeClock clock(absl::Now());
  std::vector<std::unique_ptr<store::postgres::Database>> dbs;
  std::vector<std::unique_ptr<PgSigningKeyStore>> stores;
  std::vector<std::unique_ptr<ManagedKeys>> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    dbs.push_back(Open(tdb->dsn, 1));
    ASSERT_NE(dbs.back(), nullptr);
    stores.push_back(std::make_unique<PgSigningKeyStore>(dbs.back().get()));
    replicas.push_back(
        std::make_unique<ManagedKeys>(stores.back().get(), Keks({'a'}),
                                      service::ManagedKeysOptions{.schedule = kSchedule}, &clock));
  }
  auto race = [&] {
    absl::Barrier barrier(kReplicas);
    std::vector<absl::Status> results(kReplicas);
    std::vector<std::thread> threads;
    for (int i = 0; i < kReplicas; ++i) {
      threads.emplace_back([&, i] {
        barrier.Block();
        results[i] = replicas[i]->Maintain().status();
      });
    }
    for (auto& t : threads) t.join();
    for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  };
  race();
  absl::StatusOr<std::vector<SigningKeyRecord>> rows = replicas[0]->List();
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(rows->size(), 1u) << "the first start";
  const absl::Time first_until = (*rows)[0].signs_until;

  clock.Set(first_until - 2 * kSchedule.publish_ahead + absl::Seconds(1));
  race();
  rows = replicas[0]->List();
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u) << "the next key";
  EXPECT_EQ((*rows)[1].signs_from, first_until);
}

TEST(PgSigningKeys, TheRowHoldsNoPrivateKeyBytes) {
  auto tdb = NewMigratedDatabase("keys_sealed");
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  PgSigningKeyStore store(tdb->db.get());
  common::RealClock clock;
  ManagedKeys keys(&store, Keks({'a'}), {.schedule = kSchedule}, &clock);
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::GeneratePrivateKey(crypto::Algorithm::kES256);
  ASSERT_TRUE(key.ok());
  absl::StatusOr<std::string> der = crypto::PrivateKeyToDer(**key);
  ASSERT_TRUE(der.ok());
  std::shared_ptr<EVP_PKEY> shared(key->release(), EVP_PKEY_free);
  ASSERT_TRUE(keys.Import(shared, crypto::Algorithm::kES256, "imported-1", false).ok());
  // Every column of the row as text, the bytea as hex.
  absl::StatusOr<std::string> row = Cluster().Psql(
      tdb->name, "SELECT row_to_json(k)::text FROM tokend_signing_keys k WHERE kid = 'imported-1'");
  ASSERT_TRUE(row.ok()) << row.status();
  ASSERT_TRUE(absl::StrContains(*row, "imported-1")) << *row;
  const std::string row_hex = absl::AsciiStrToLower(*row);
  const std::string der_hex = absl::BytesToHexString(*der);
  // No 16-byte run of the DER (the private scalar included) is in the row.
  for (size_t i = 0; i + 32 <= der_hex.size(); i += 16) {
    EXPECT_FALSE(absl::StrContains(row_hex, der_hex.substr(i, 32))) << "DER bytes at " << i / 2;
  }
  const std::string der_b64 = absl::Base64Escape(*der);
  for (size_t i = 0; i + 24 <= der_b64.size(); i += 12) {
    EXPECT_FALSE(absl::StrContains(*row, der_b64.substr(i, 24))) << "PEM text at " << i;
  }
  EXPECT_FALSE(absl::StrContains(*row, "PRIVATE KEY"));
}

// Rewrapping under a new KEK while replicas keep maintaining the schedule
// (and rotating) loses no key: afterwards every key opens with the new KEK
// alone.
TEST(PgSigningKeys, ConcurrentRewrapUnderLoadLosesNoKey) {
  auto tdb = NewMigratedDatabase("keys_rewrap", 4);
  ASSERT_TRUE(tdb.ok()) << tdb.status();
  PgSigningKeyStore store(tdb->db.get());
  common::RealClock clock;
  ManagedKeys old_kek(&store, Keks({'a'}), {.schedule = kSchedule}, &clock);
  ASSERT_TRUE(old_kek.Maintain().ok());
  ASSERT_TRUE(old_kek.Rotate(false).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> rotations{0};
  std::thread load([&] {
    ManagedKeys replica(&store, Keks({'a'}), {.schedule = kSchedule}, &clock);
    while (!stop.load()) {
      absl::StatusOr<std::vector<SigningKeyRecord>> rows = replica.Rotate(false);
      EXPECT_TRUE(rows.ok()) << rows.status();
      ++rotations;
    }
  });
  absl::Cleanup stop_load = [&] {
    stop = true;
    load.join();
  };
  // Overlap is the point, and on a busy machine the load thread may not
  // run at all during a fixed number of rewraps: rewrap until it has
  // rotated several times while rewraps were going on.
  const absl::Time load_deadline = absl::Now() + absl::Seconds(10);
  while (rotations.load() == 0 && absl::Now() < load_deadline)
    absl::SleepFor(absl::Milliseconds(1));
  ASSERT_GT(rotations.load(), 0) << "the load never rotated";
  ManagedKeys both(&store, Keks({'b', 'a'}), {.schedule = kSchedule}, &clock);
  const int rotations_before = rotations.load();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  absl::StatusOr<int> rewrapped;
  int passes = 0;
  while (passes < 5 || (rotations.load() < rotations_before + 3 && absl::Now() < deadline)) {
    rewrapped = both.Rewrap();
    ASSERT_TRUE(rewrapped.ok()) << rewrapped.status();
    ++passes;
  }
  EXPECT_GE(rotations.load(), rotations_before + 3)
      << "the load stalled during " << passes << " rewraps";
  std::move(stop_load).Invoke();
  // The load kept sealing new keys under 'a': one more pass, then none left.
  rewrapped = both.Rewrap();
  ASSERT_TRUE(rewrapped.ok());
  absl::StatusOr<std::vector<SigningKeyRecord>> rows = both.List();
  ASSERT_TRUE(rows.ok());
  ASSERT_GE(rows->size(), 2u);
  keys::KekSet new_only = Keks({'b'});
  for (const SigningKeyRecord& r : *rows) {
    EXPECT_EQ(r.kek_id, new_only.sealing().id) << r.kid;
    EXPECT_TRUE(
        new_only
            .Open(r.kid, crypto::Algorithm::kES256, {.kek_id = r.kek_id, .sealed = r.sealed_key})
            .ok())
        << r.kid;
  }
  EXPECT_EQ(*both.Rewrap(), 0);
}

}  // namespace
}  // namespace tokend::testing
