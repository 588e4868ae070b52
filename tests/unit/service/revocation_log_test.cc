#include "service/revocation_log.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/revocation_set.h"

namespace tokend::service {
namespace {

using store::Revocation;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

Revocation Token(std::string jti, absl::Duration keep = absl::Hours(1)) {
  return Revocation{.kind = Revocation::Kind::kToken,
                    .key = std::move(jti),
                    .revoked_at = kT0,
                    .expires_at = kT0 + keep};
}

std::vector<uint64_t> Sequences(const RevocationLog::ReadResult& read) {
  std::vector<uint64_t> out;
  for (const AppliedRevocation& e : read.events) out.push_back(e.sequence);
  return out;
}

TEST(RevocationLog, NumbersEventsFromOneInTheOrderTheyAreAppended) {
  RevocationLog log("epoch", 8);
  EXPECT_EQ(log.last_sequence(), 0u);
  EXPECT_EQ(log.Append(Token("a")), 1u);
  EXPECT_EQ(log.Append(Token("b")), 2u);
  EXPECT_EQ(log.last_sequence(), 2u);
  RevocationLog::ReadResult read = log.ReadAfter(0, 10);
  ASSERT_EQ(read.outcome, RevocationLog::ReadOutcome::kOk);
  ASSERT_EQ(read.events.size(), 2u);
  EXPECT_EQ(read.events[0].revocation.key, "a");
  EXPECT_EQ(read.events[1].revocation.key, "b");
}

TEST(RevocationLog, ReadsOnlyWhatFollowsAPositionAndAtMostTheAskedNumber) {
  RevocationLog log("epoch", 8);
  for (int i = 0; i < 5; ++i) log.Append(Token(absl::StrCat("t", i)));
  EXPECT_EQ(Sequences(log.ReadAfter(2, 10)), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(Sequences(log.ReadAfter(2, 1)), (std::vector<uint64_t>{3}));
  // At the head: nothing yet, but a position this log knows.
  RevocationLog::ReadResult at_head = log.ReadAfter(5, 10);
  EXPECT_EQ(at_head.outcome, RevocationLog::ReadOutcome::kOk);
  EXPECT_TRUE(at_head.events.empty());
}

TEST(RevocationLog, APositionBeyondTheLatestEventIsUnknown) {
  RevocationLog log("epoch", 8);
  EXPECT_EQ(log.ReadAfter(1, 10).outcome, RevocationLog::ReadOutcome::kUnknown);
  log.Append(Token("a"));
  EXPECT_EQ(log.ReadAfter(1, 10).outcome, RevocationLog::ReadOutcome::kOk);
  EXPECT_EQ(log.ReadAfter(2, 10).outcome, RevocationLog::ReadOutcome::kUnknown);
}

TEST(RevocationLog, KeepsOnlyTheLatestCapacityEventsAndSaysWhenAPositionIsTooOld) {
  RevocationLog log("epoch", 3);
  for (int i = 0; i < 10; ++i) log.Append(Token(absl::StrCat("t", i)));
  // Kept: 8, 9, 10. Resuming after 7 needs 8 onwards: still there.
  EXPECT_EQ(Sequences(log.ReadAfter(7, 10)), (std::vector<uint64_t>{8, 9, 10}));
  // After 6 would need 7, which is gone.
  EXPECT_EQ(log.ReadAfter(6, 10).outcome, RevocationLog::ReadOutcome::kTooOld);
  EXPECT_TRUE(log.ReadAfter(6, 10).events.empty());
  EXPECT_EQ(log.ReadAfter(0, 10).outcome, RevocationLog::ReadOutcome::kTooOld);
}

TEST(RevocationLog, ARemovedListenerIsNotCalledAgain) {
  RevocationLog log("epoch", 3);
  int a = 0, b = 0;
  const int id_a = log.AddListener([&a] { ++a; });
  log.AddListener([&b] { ++b; });
  log.Notify();
  log.RemoveListener(id_a);
  log.Notify();
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
}

TEST(RevocationSetLog, AppendsOnlyRevocationsThatChangeTheViewWithTheMergedTimes) {
  RevocationLog log("epoch", 16);
  RevocationSet set(absl::InfiniteDuration(), &log);
  int notified = 0;
  log.AddListener([&notified] { ++notified; });
  EXPECT_TRUE(set.Add(Token("AAAAAAAAAAAAAAAAAAAAAA", absl::Hours(2))));
  // The same again, or with an earlier expiry, changes nothing.
  EXPECT_FALSE(set.Add(Token("AAAAAAAAAAAAAAAAAAAAAA", absl::Hours(2))));
  EXPECT_FALSE(set.Add(Token("AAAAAAAAAAAAAAAAAAAAAA", absl::Hours(1))));
  EXPECT_TRUE(set.Add(Token("AAAAAAAAAAAAAAAAAAAAAA", absl::Hours(3))));
  const Revocation subject{.kind = Revocation::Kind::kSubject,
                           .key = "alice",
                           .revoked_at = kT0 + absl::Seconds(10),
                           .expires_at = kT0 + absl::Hours(5)};
  EXPECT_TRUE(set.Add(subject));
  // An earlier cut-off with a later expiry: the event has the later of each.
  Revocation older = subject;
  older.revoked_at = kT0;
  older.expires_at = kT0 + absl::Hours(6);
  EXPECT_TRUE(set.Add(older));

  RevocationLog::ReadResult read = log.ReadAfter(0, 100);
  ASSERT_EQ(read.events.size(), 4u);
  EXPECT_EQ(read.events[1].revocation.expires_at, kT0 + absl::Hours(3));
  EXPECT_EQ(read.events[3].revocation.key, "alice");
  EXPECT_EQ(read.events[3].revocation.revoked_at, kT0 + absl::Seconds(10));
  EXPECT_EQ(read.events[3].revocation.expires_at, kT0 + absl::Hours(6));
  EXPECT_EQ(notified, 4);
}

TEST(RevocationSetLog, ASnapshotNamesEveryKeyAsGivenWithTheSequenceItReflects) {
  RevocationLog log("epoch", 16);
  RevocationSet set(absl::InfiniteDuration(), &log);
  set.Add(Token("AAAAAAAAAAAAAAAAAAAAAA"));
  set.Add(Token("a-jti-that-is-not-tokends-own-form"));
  set.Add(Revocation{.kind = Revocation::Kind::kFamily,
                     .key = "BBBBBBBBBBBBBBBBBBBBBA",
                     .revoked_at = kT0,
                     .expires_at = kT0 + absl::Hours(1)});
  set.Add(Revocation{.kind = Revocation::Kind::kSubject,
                     .key = "bob",
                     .revoked_at = kT0,
                     .expires_at = kT0 + absl::Hours(1)});
  RevocationSet::Snapshot snapshot = set.TakeSnapshot();
  EXPECT_EQ(snapshot.sequence, 4u);
  std::vector<std::string> keys;
  for (const Revocation& r : snapshot.revocations) {
    keys.push_back(absl::StrCat(static_cast<int>(r.kind), ":", r.key));
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"1:AAAAAAAAAAAAAAAAAAAAAA",
                                            "1:a-jti-that-is-not-tokends-own-form",
                                            "2:BBBBBBBBBBBBBBBBBBBBBA", "3:bob"}));
  // Forgetting expired revocations changes the view without events.
  set.ForgetExpired(kT0 + absl::Hours(2));
  EXPECT_TRUE(set.TakeSnapshot().revocations.empty());
  EXPECT_EQ(set.TakeSnapshot().sequence, 4u);
}

// A revoked signing key comes from the key rows, which each replica reads
// every second: the first add is one event, the same key added again is
// none, and it stays in snapshots until its expiry.
TEST(RevocationSetLog, ARevokedSigningKeyIsOneEventHoweverOftenItIsAddedAndHeldUntilItExpires) {
  RevocationLog log("epoch", 16);
  RevocationSet set(absl::InfiniteDuration(), &log);
  const Revocation key{.kind = Revocation::Kind::kSigningKey,
                       .key = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
                       .revoked_at = kT0,
                       .expires_at = kT0 + absl::Hours(2)};
  EXPECT_FALSE(set.IsSigningKeyRevoked(key.key));
  EXPECT_TRUE(set.Add(key));
  for (int reread = 0; reread < 5; ++reread) EXPECT_FALSE(set.Add(key));
  EXPECT_EQ(log.last_sequence(), 1u);
  EXPECT_TRUE(set.IsSigningKeyRevoked(key.key));
  EXPECT_FALSE(set.IsSigningKeyRevoked("another-kid"));
  // Not a jti, family or subject of that name.
  EXPECT_FALSE(set.IsAccessTokenRevoked(key.key, key.key, key.key, kT0 - absl::Hours(1)));
  EXPECT_EQ(set.size(), 1u);

  RevocationLog::ReadResult read = log.ReadAfter(0, 10);
  ASSERT_EQ(read.events.size(), 1u);
  EXPECT_EQ(read.events[0].revocation.kind, Revocation::Kind::kSigningKey);
  EXPECT_EQ(read.events[0].revocation.key, key.key);
  EXPECT_EQ(read.events[0].revocation.expires_at, kT0 + absl::Hours(2));

  RevocationSet::Snapshot snapshot = set.TakeSnapshot();
  EXPECT_EQ(snapshot.sequence, 1u);
  ASSERT_EQ(snapshot.revocations.size(), 1u);
  EXPECT_EQ(snapshot.revocations[0].kind, Revocation::Kind::kSigningKey);
  EXPECT_EQ(snapshot.revocations[0].key, key.key);
  EXPECT_EQ(snapshot.revocations[0].expires_at, kT0 + absl::Hours(2));

  set.ForgetExpired(kT0 + absl::Hours(2) - absl::Seconds(1));
  EXPECT_TRUE(set.IsSigningKeyRevoked(key.key));
  set.ForgetExpired(kT0 + absl::Hours(2));
  EXPECT_FALSE(set.IsSigningKeyRevoked(key.key));
  EXPECT_TRUE(set.TakeSnapshot().revocations.empty());
  EXPECT_EQ(log.last_sequence(), 1u);
}

TEST(RevocationSetLogConcurrent, ASnapshotPlusTheEventsAfterItIsExactlyTheView) {
  RevocationLog log("epoch", 100000);
  RevocationSet set(absl::InfiniteDuration(), &log);
  constexpr int kWriters = 4, kPerWriter = 2000;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&set, w] {
      for (int i = 0; i < kPerWriter; ++i) set.Add(Token(absl::StrCat("w", w, "-", i)));
    });
  }
  // Snapshots taken while the writers run: each plus the log after it must
  // account for every revocation, none twice.
  std::vector<RevocationSet::Snapshot> snapshots;
  for (int i = 0; i < 20; ++i) snapshots.push_back(set.TakeSnapshot());
  for (std::thread& t : writers) t.join();
  for (const RevocationSet::Snapshot& snapshot : snapshots) {
    std::vector<std::string> keys;
    for (const Revocation& r : snapshot.revocations) keys.push_back(r.key);
    RevocationLog::ReadResult after = log.ReadAfter(snapshot.sequence, kWriters * kPerWriter);
    ASSERT_EQ(after.outcome, RevocationLog::ReadOutcome::kOk);
    for (const AppliedRevocation& e : after.events) keys.push_back(e.revocation.key);
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(keys.size(), static_cast<size_t>(kWriters * kPerWriter));
    EXPECT_EQ(std::unique(keys.begin(), keys.end()), keys.end());
  }
}

}  // namespace
}  // namespace tokend::service
