#include "service/key_schedule.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace tokend::service {
namespace {

using store::SigningKeyChanges;
using store::SigningKeyRecord;

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// R = 30 days, P = 1 h, T = 15 min + 5 s: the defaults.
const KeyScheduleOptions kDefaults{.rotate_every = absl::Hours(720),
                                   .publish_ahead = absl::Hours(1),
                                   .retain_after = absl::Minutes(15) + absl::Seconds(5)};

// The table, changed only through PlanKeys/PlanRevoke as the store would.
class Table {
 public:
  explicit Table(KeyScheduleOptions options) : options_(options) {}

  SigningKeyChanges Plan(absl::Time now, KeyAction action = KeyAction::kMaintain) {
    absl::StatusOr<SigningKeyChanges> changes = PlanKeys(rows_, now, options_, action, Maker(now));
    EXPECT_TRUE(changes.ok()) << changes.status();
    Apply(*changes);
    return *changes;
  }
  absl::Status Revoke(const std::string& kid, absl::Time now) {
    absl::StatusOr<SigningKeyChanges> changes = PlanRevoke(rows_, kid, now, options_, Maker(now));
    if (!changes.ok()) return changes.status();
    Apply(*changes);
    return absl::OkStatus();
  }
  const std::vector<SigningKeyRecord>& rows() const { return rows_; }
  const SigningKeyRecord& Row(const std::string& kid) const {
    return *std::find_if(rows_.begin(), rows_.end(),
                         [&](const SigningKeyRecord& r) { return r.kid == kid; });
  }
  std::string Signer(absl::Time now) const {
    KeysInForce f = KeysAt(rows_, now);
    return f.signer.has_value() ? rows_[*f.signer].kid : "";
  }
  std::vector<std::string> Published(absl::Time now) const {
    std::vector<std::string> out;
    for (size_t i : KeysAt(rows_, now).published) out.push_back(rows_[i].kid);
    return out;
  }

 private:
  NewKeyFn Maker(absl::Time now) {
    maker_ = [this, now](absl::Time pf, absl::Time sf, absl::Time su,
                         absl::Time da) -> absl::StatusOr<SigningKeyRecord> {
      return SigningKeyRecord{.kid = absl::StrCat("k", ++made_),
                              .alg = "ES256",
                              .publish_from = pf,
                              .signs_from = sf,
                              .signs_until = su,
                              .delete_after = da,
                              .created_at = now};
    };
    return maker_;
  }
  void Apply(const SigningKeyChanges& changes) {
    for (const std::string& kid : changes.remove) {
      rows_.erase(std::remove_if(rows_.begin(), rows_.end(),
                                 [&](const SigningKeyRecord& r) { return r.kid == kid; }),
                  rows_.end());
    }
    for (const SigningKeyRecord& u : changes.update) {
      for (SigningKeyRecord& r : rows_) {
        if (r.kid == u.kid) r = u;
      }
    }
    for (const SigningKeyRecord& r : changes.insert) {
      for (const SigningKeyRecord& existing : rows_) {
        if (existing.revoked_at.has_value()) continue;
        EXPECT_NE(existing.signs_from, r.signs_from) << "two keys for one period";
      }
      rows_.push_back(r);
    }
    for (const SigningKeyRecord& r : rows_) {
      EXPECT_LE(r.publish_from, r.signs_from) << r.kid;
      EXPECT_LT(r.signs_from, r.signs_until) << r.kid;
      EXPECT_LE(r.signs_until + options_.retain_after, r.delete_after) << r.kid;
    }
  }

  KeyScheduleOptions options_;
  std::vector<SigningKeyRecord> rows_;
  int made_ = 0;
  std::function<absl::StatusOr<SigningKeyRecord>(absl::Time, absl::Time, absl::Time, absl::Time)>
      maker_;
};

TEST(KeySchedule, TheFirstStartMakesAKeyThatPublishesAndSignsAtOnce) {
  Table table(kDefaults);
  SigningKeyChanges changes = table.Plan(kStart);
  ASSERT_EQ(changes.insert.size(), 1u);
  EXPECT_EQ(table.Signer(kStart), "k1");
  EXPECT_EQ(table.Row("k1").signs_until, kStart + kDefaults.rotate_every);
  EXPECT_EQ(table.Row("k1").delete_after, kStart + kDefaults.rotate_every + kDefaults.retain_after);
  EXPECT_TRUE(table.Plan(kStart + absl::Minutes(1)).empty()) << "nothing due a minute later";
}

// Drives the schedule over four periods, a replica planning every minute,
// and checks at every minute what a verifier would meet.
TEST(KeySchedule, OverManyPeriodsEveryKeyIsPublishedAheadAndAtMostThreeArePublished) {
  Table table(kDefaults);
  std::map<std::string, absl::Time> first_published, first_signed, last_signed, left_set;
  const absl::Duration step = absl::Minutes(1);
  for (absl::Time now = kStart; now < kStart + 4 * kDefaults.rotate_every; now += step) {
    table.Plan(now);
    const std::vector<std::string> published = table.Published(now);
    ASSERT_LE(published.size(), 3u) << now;
    ASSERT_FALSE(published.empty());
    const std::string signer = table.Signer(now);
    ASSERT_EQ(published.front(), signer);
    for (const std::string& kid : published) first_published.emplace(kid, now);
    first_signed.emplace(signer, now);
    last_signed[signer] = now;
    for (const SigningKeyRecord& r : table.rows()) {
      if (std::find(published.begin(), published.end(), r.kid) == published.end() &&
          first_published.count(r.kid) != 0) {
        left_set.emplace(r.kid, now);
      }
    }
  }
  ASSERT_GE(first_signed.size(), 4u);
  for (const auto& [kid, signed_at] : first_signed) {
    if (kid == "k1") continue;  // the bootstrap key has nobody to be ahead of
    EXPECT_GE(signed_at - first_published[kid], kDefaults.publish_ahead) << kid;
  }
  // Each key signs one period (within the planning step).
  for (const auto& [kid, from] : first_signed) {
    if (last_signed[kid] + step >= kStart + 4 * kDefaults.rotate_every) continue;
    EXPECT_LE(absl::AbsDuration(last_signed[kid] + step - from - kDefaults.rotate_every), step)
        << kid;
  }
  // A retired key stays published until every token it signed has expired,
  // then leaves the set (and the table).
  for (const auto& [kid, gone] : left_set) {
    EXPECT_GE(gone - (last_signed[kid] + step), kDefaults.retain_after) << kid;
    EXPECT_LE(gone - (last_signed[kid] + step), kDefaults.retain_after + 2 * step) << kid;
  }
  EXPECT_LE(table.rows().size(), 3u);
}

TEST(KeySchedule, TheNextKeyIsMadeWhenTheSignerHasTwoPublishAheadsLeft) {
  Table table(kDefaults);
  table.Plan(kStart);
  const absl::Time due = kStart + kDefaults.rotate_every - 2 * kDefaults.publish_ahead;
  EXPECT_TRUE(table.Plan(due - absl::Seconds(1)).insert.empty());
  SigningKeyChanges changes = table.Plan(due);
  ASSERT_EQ(changes.insert.size(), 1u);
  const SigningKeyRecord& next = changes.insert[0];
  EXPECT_EQ(next.signs_from, kStart + kDefaults.rotate_every);
  EXPECT_EQ(next.publish_from, next.signs_from - kDefaults.publish_ahead);
  EXPECT_EQ(table.Published(due).size(), 1u) << "made, but not published yet";
  EXPECT_EQ(table.Published(next.publish_from).size(), 2u);
  EXPECT_EQ(table.Signer(next.signs_from - absl::Microseconds(1)), "k1");
  EXPECT_EQ(table.Signer(next.signs_from), next.kid);
  EXPECT_TRUE(table.Plan(due + absl::Minutes(1)).empty()) << "made once";
}

TEST(KeySchedule, ANextKeyMadeLateStillWaitsOutThePublishAhead) {
  Table table(kDefaults);
  table.Plan(kStart);
  // Every replica was down until 10 minutes before the signer's end.
  const absl::Time late = kStart + kDefaults.rotate_every - absl::Minutes(10);
  SigningKeyChanges changes = table.Plan(late);
  ASSERT_EQ(changes.insert.size(), 1u);
  EXPECT_EQ(changes.insert[0].signs_from, late + kDefaults.publish_ahead);
  EXPECT_EQ(changes.insert[0].publish_from, late);
  EXPECT_EQ(table.Row("k1").signs_until, late + kDefaults.publish_ahead);
  EXPECT_EQ(table.Signer(late + absl::Minutes(30)), "k1") << "the old key signs on meanwhile";
}

TEST(KeySchedule, RevokingTheSignerUnpublishesItAndANewKeySignsAtOnce) {
  Table table(kDefaults);
  table.Plan(kStart);
  const absl::Time now = kStart + absl::Hours(5);
  ASSERT_TRUE(table.Revoke("k1", now).ok());
  EXPECT_EQ(table.Signer(now), "k2");
  EXPECT_EQ(table.Published(now), std::vector<std::string>{"k2"});
  EXPECT_TRUE(table.Row("k1").revoked_at.has_value());
  EXPECT_EQ(table.Revoke("k1", now).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(table.Revoke("nope", now).code(), absl::StatusCode::kNotFound);
}

TEST(KeySchedule, RevokingTheNextKeyLeavesTheSignerAndMakesAnotherNextKey) {
  Table table(kDefaults);
  table.Plan(kStart);
  const absl::Time due = kStart + kDefaults.rotate_every - 2 * kDefaults.publish_ahead;
  table.Plan(due);
  ASSERT_TRUE(table.Revoke("k2", due + absl::Minutes(1)).ok());
  EXPECT_EQ(table.Signer(due + absl::Minutes(1)), "k1");
  const SigningKeyRecord& k3 = table.Row("k3");
  EXPECT_GE(k3.signs_from - k3.publish_from, kDefaults.publish_ahead);
}

TEST(KeySchedule, RotateMakesTheNextKeyNowAndRotateNowSwitchesAtOnce) {
  Table table(kDefaults);
  table.Plan(kStart);
  const absl::Time t1 = kStart + absl::Hours(2);
  table.Plan(t1, KeyAction::kRotate);
  EXPECT_EQ(table.Row("k2").publish_from, t1);
  EXPECT_EQ(table.Row("k2").signs_from, t1 + kDefaults.publish_ahead);
  EXPECT_EQ(table.Row("k1").signs_until, t1 + kDefaults.publish_ahead);
  EXPECT_EQ(table.Row("k1").delete_after, t1 + kDefaults.publish_ahead + kDefaults.retain_after);

  const absl::Time t2 = t1 + absl::Minutes(10);
  table.Plan(t2, KeyAction::kRotateNow);
  EXPECT_EQ(table.Signer(t2), "k3");
  EXPECT_EQ(table.Row("k1").signs_until, t2);
  // The scheduled next key keeps its slot and its publish-ahead.
  EXPECT_EQ(table.Row("k3").signs_until, table.Row("k2").signs_from);
  EXPECT_EQ(table.Signer(table.Row("k2").signs_from), "k2");
}

TEST(KeySchedule, NextChangeIsTheNearestInstantOfAnUnrevokedRow) {
  Table table(kDefaults);
  table.Plan(kStart);
  EXPECT_EQ(NextChangeAfter(table.rows(), kStart),
            kStart + kDefaults.rotate_every + kDefaults.retain_after);
  const absl::Time due = kStart + kDefaults.rotate_every - 2 * kDefaults.publish_ahead;
  table.Plan(due);
  EXPECT_EQ(NextChangeAfter(table.rows(), due), due + kDefaults.publish_ahead);
}

}  // namespace
}  // namespace tokend::service
