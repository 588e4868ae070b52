#include "service/managed_keys.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "crypto/key_codec.h"
#include "keys/jwk.h"

namespace tokend::service {
namespace {

using common::Log;
using common::LogLevel;
using store::SigningKeyChanges;
using store::SigningKeyRecord;

// Bound of one store call.
constexpr absl::Duration kStoreTimeout = absl::Seconds(10);

}  // namespace

ManagedKeys::ManagedKeys(store::SigningKeyStore* store, keys::KekSet keks,
                         ManagedKeysOptions options, const common::Clock* clock)
    : store_(store), keks_(std::move(keks)), options_(options), clock_(clock) {}

ManagedKeys::~ManagedKeys() { Stop(); }

absl::StatusOr<SigningKeyRecord> ManagedKeys::MakeKey(absl::Time publish_from,
                                                      absl::Time signs_from, absl::Time signs_until,
                                                      absl::Time delete_after) {
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::GeneratePrivateKey(options_.alg);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> kid = keys::JwkThumbprint(**key, options_.alg);
  if (!kid.ok()) return kid.status();
  absl::StatusOr<keys::SealedKey> sealed = keks_.Seal(*kid, options_.alg, **key);
  if (!sealed.ok()) return sealed.status();
  return SigningKeyRecord{.kid = *kid,
                          .alg = std::string(crypto::AlgorithmName(options_.alg)),
                          .kek_id = sealed->kek_id,
                          .sealed_key = std::move(sealed->sealed),
                          .publish_from = publish_from,
                          .signs_from = signs_from,
                          .signs_until = signs_until,
                          .delete_after = delete_after,
                          .created_at = clock_->Now()};
}

absl::StatusOr<std::vector<SigningKeyRecord>> ManagedKeys::List() {
  return store_->List(absl::Now() + kStoreTimeout);
}

absl::StatusOr<std::vector<SigningKeyRecord>> ManagedKeys::Plan(KeyAction action) {
  absl::Status status = store_->Change(
      [&](const std::vector<SigningKeyRecord>& rows) -> absl::StatusOr<SigningKeyChanges> {
        return PlanKeys(rows, clock_->Now(), options_.schedule, action,
                        [&](absl::Time pf, absl::Time sf, absl::Time su, absl::Time da) {
                          return MakeKey(pf, sf, su, da);
                        });
      },
      absl::Now() + kStoreTimeout);
  if (!status.ok()) return status;
  return List();
}

absl::StatusOr<std::vector<SigningKeyRecord>> ManagedKeys::Maintain() {
  return Plan(KeyAction::kMaintain);
}

absl::StatusOr<std::vector<SigningKeyRecord>> ManagedKeys::Rotate(bool now) {
  return Plan(now ? KeyAction::kRotateNow : KeyAction::kRotate);
}

absl::StatusOr<std::vector<SigningKeyRecord>> ManagedKeys::Revoke(const std::string& kid) {
  absl::Status status = store_->Change(
      [&](const std::vector<SigningKeyRecord>& rows) -> absl::StatusOr<SigningKeyChanges> {
        return PlanRevoke(rows, kid, clock_->Now(), options_.schedule,
                          [&](absl::Time pf, absl::Time sf, absl::Time su, absl::Time da) {
                            return MakeKey(pf, sf, su, da);
                          });
      },
      absl::Now() + kStoreTimeout);
  if (!status.ok()) return status;
  return List();
}

absl::StatusOr<std::vector<SigningKeyRecord>> ManagedKeys::Import(
    std::shared_ptr<EVP_PKEY> private_key, crypto::Algorithm alg, std::string kid, bool now) {
  if (private_key == nullptr) return absl::InvalidArgumentError("import: no key");
  if (absl::Status s = crypto::GetAlgorithm(alg).CheckKey(*private_key); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("import: ", s.message()));
  }
  for (char c : kid) {
    // The kid goes into JOSE headers, JWKs and log lines: visible ASCII
    // only, the rule signing_keys[*].kid follows in the configuration.
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("import: the kid must be visible ascii characters");
    }
  }
  if (kid.empty()) {
    absl::StatusOr<std::string> thumbprint = keys::JwkThumbprint(*private_key, alg);
    if (!thumbprint.ok()) return thumbprint.status();
    kid = *std::move(thumbprint);
  }
  absl::StatusOr<keys::SealedKey> sealed = keks_.Seal(kid, alg, *private_key);
  if (!sealed.ok()) return sealed.status();
  absl::Status status = store_->Change(
      [&](const std::vector<SigningKeyRecord>& rows) -> absl::StatusOr<SigningKeyChanges> {
        for (const SigningKeyRecord& r : rows) {
          if (r.kid == kid) {
            return absl::AlreadyExistsError(absl::StrCat("import: kid \"", kid, "\" exists"));
          }
        }
        return PlanKeys(rows, clock_->Now(), options_.schedule,
                        now ? KeyAction::kRotateNow : KeyAction::kRotate,
                        [&](absl::Time pf, absl::Time sf, absl::Time su,
                            absl::Time da) -> absl::StatusOr<SigningKeyRecord> {
                          return SigningKeyRecord{.kid = kid,
                                                  .alg = std::string(crypto::AlgorithmName(alg)),
                                                  .kek_id = sealed->kek_id,
                                                  .sealed_key = sealed->sealed,
                                                  .publish_from = pf,
                                                  .signs_from = sf,
                                                  .signs_until = su,
                                                  .delete_after = da,
                                                  .created_at = clock_->Now(),
                                                  .imported = true};
                        });
      },
      absl::Now() + kStoreTimeout);
  if (!status.ok()) return status;
  return List();
}

absl::StatusOr<int> ManagedKeys::Rewrap() {
  int rewrapped = 0;
  absl::Status status = store_->Change(
      [&](const std::vector<SigningKeyRecord>& rows) -> absl::StatusOr<SigningKeyChanges> {
        rewrapped = 0;
        SigningKeyChanges changes;
        for (const SigningKeyRecord& r : rows) {
          if (r.kek_id == keks_.sealing().id) continue;
          std::optional<crypto::Algorithm> alg = crypto::AlgorithmFromName(r.alg);
          if (!alg.has_value()) {
            return absl::InternalError(absl::StrCat("key \"", r.kid, "\": unknown alg ", r.alg));
          }
          absl::StatusOr<crypto::EvpPkeyPtr> key =
              keks_.Open(r.kid, *alg, {.kek_id = r.kek_id, .sealed = r.sealed_key});
          if (!key.ok()) return key.status();
          absl::StatusOr<keys::SealedKey> sealed = keks_.Seal(r.kid, *alg, **key);
          if (!sealed.ok()) return sealed.status();
          SigningKeyRecord updated = r;
          updated.kek_id = sealed->kek_id;
          updated.sealed_key = std::move(sealed->sealed);
          changes.update.push_back(std::move(updated));
          ++rewrapped;
        }
        return changes;
      },
      absl::Now() + kStoreTimeout);
  if (!status.ok()) return status;
  return rewrapped;
}

absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ManagedKeys::RingAt(
    const std::vector<SigningKeyRecord>& rows, absl::Time now) {
  const KeysInForce in_force = KeysAt(rows, now);
  if (!in_force.signer.has_value()) {
    return absl::FailedPreconditionError("managed keys: no key signs now");
  }
  std::vector<keys::Key> ring;
  for (size_t index : in_force.published) {
    const SigningKeyRecord& r = rows[index];
    auto it = opened_.find(r.kid);
    if (it == opened_.end()) {
      std::optional<crypto::Algorithm> alg = crypto::AlgorithmFromName(r.alg);
      absl::Status error;
      if (!alg.has_value()) {
        error = absl::InvalidArgumentError(absl::StrCat("key \"", r.kid, "\": unknown alg"));
      } else {
        absl::StatusOr<crypto::EvpPkeyPtr> key =
            keks_.Open(r.kid, *alg, {.kek_id = r.kek_id, .sealed = r.sealed_key});
        if (key.ok()) {
          it = opened_
                   .emplace(r.kid, keys::Key{.kid = r.kid,
                                             .alg = *alg,
                                             .pkey = std::shared_ptr<EVP_PKEY>(key->release(),
                                                                               EVP_PKEY_free)})
                   .first;
        } else {
          error = key.status();
        }
      }
      if (!error.ok()) {
        if (index == *in_force.signer) return error;
        Log(LogLevel::kError, "managed key cannot be opened; not published",
            {{"kid", r.kid}, {"error", error.message()}});
        continue;
      }
    }
    ring.push_back(it->second);
  }
  // Forget keys that left the table.
  absl::erase_if(opened_, [&](const auto& entry) {
    return std::none_of(rows.begin(), rows.end(),
                        [&](const SigningKeyRecord& r) { return r.kid == entry.first; });
  });
  return keys::KeyRing::New(std::move(ring));
}

absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ManagedKeys::Start() {
  if (thread_.joinable()) return absl::FailedPreconditionError("managed keys already started");
  absl::StatusOr<std::vector<SigningKeyRecord>> rows = Maintain();
  if (!rows.ok()) return rows.status();
  rows_ = *std::move(rows);
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = RingAt(rows_, clock_->Now());
  if (!ring.ok()) return ring.status();
  ring_signature_.clear();
  for (const keys::Key& k : (*ring)->keys()) absl::StrAppend(&ring_signature_, k.kid, " ");
  Refresh(/*reread=*/false);  // the stats
  return ring;
}

void ManagedKeys::Watch(std::function<void(std::shared_ptr<const keys::KeyRing>)> on_change,
                        std::function<void(const store::Revocation&)> on_revoked) {
  on_change_ = std::move(on_change);
  on_revoked_ = std::move(on_revoked);
  // Before the thread: keys revoked before this replica started are in the
  // view before it serves a watcher.
  ReportRevoked(clock_->Now());
  thread_ = std::thread([this] { Run(); });
}

void ManagedKeys::ReportRevoked(absl::Time now) {
  absl::erase_if(reported_revoked_, [&](const std::string& kid) {
    return std::none_of(rows_.begin(), rows_.end(),
                        [&](const SigningKeyRecord& r) { return r.kid == kid; });
  });
  if (!on_revoked_) return;
  for (const SigningKeyRecord& r : rows_) {
    // Past delete_after every token the key signed has expired: nothing to
    // tell (and the row is about to be deleted).
    if (!r.revoked_at.has_value() || r.delete_after <= now) continue;
    if (!reported_revoked_.insert(r.kid).second) continue;
    Log(LogLevel::kInfo, "signing key revoked; added to the revocation view",
        {{"kid", r.kid}, {"until", absl::FormatTime(r.delete_after)}});
    on_revoked_(store::Revocation{.kind = store::Revocation::Kind::kSigningKey,
                                  .key = r.kid,
                                  .revoked_at = *r.revoked_at,
                                  .expires_at = r.delete_after});
  }
}

void ManagedKeys::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

void ManagedKeys::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

ManagedKeysStats ManagedKeys::stats() const {
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  ManagedKeysStats out;
  if (signer_since_ < now) out.signing_key_age_seconds = absl::ToDoubleSeconds(now - signer_since_);
  if (next_rotation_ != absl::InfiniteFuture()) {
    out.seconds_to_next_rotation = std::max(0.0, absl::ToDoubleSeconds(next_rotation_ - now));
  }
  out.keys_published = published_;
  out.keys_revoked = revoked_;
  return out;
}

void ManagedKeys::Refresh(bool reread) {
  if (reread) {
    const absl::Time now = clock_->Now();
    // Only a change that is due takes the store's lock; reading is enough
    // to find out whether one is.
    absl::StatusOr<std::vector<SigningKeyRecord>> rows = List();
    if (rows.ok()) {
      absl::StatusOr<SigningKeyChanges> needed =
          PlanKeys(*rows, now, options_.schedule, KeyAction::kMaintain,
                   [](absl::Time, absl::Time, absl::Time, absl::Time) {
                     return absl::StatusOr<SigningKeyRecord>(SigningKeyRecord{});
                   });
      if (needed.ok() && !needed->empty()) rows = Maintain();
    }
    if (!rows.ok()) {
      Log(LogLevel::kWarning, "managed keys cannot be read; keeping the keys in force",
          {{"error", rows.status().message()}});
    } else {
      rows_ = *std::move(rows);
    }
  }
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = RingAt(rows_, now);
  if (!ring.ok()) {
    Log(LogLevel::kError, "managed keys: keeping the key ring in force",
        {{"error", ring.status().message()}});
  } else {
    std::string signature;
    for (const keys::Key& k : (*ring)->keys()) absl::StrAppend(&signature, k.kid, " ");
    if (signature != ring_signature_) {
      ring_signature_ = signature;
      Log(LogLevel::kInfo, "signing keys changed",
          {{"primary_kid", (*ring)->primary().kid}, {"published", signature}});
      if (on_change_) on_change_(*ring);
    }
  }
  ReportRevoked(now);
  const KeysInForce in_force = KeysAt(rows_, now);
  absl::MutexLock lock(&mu_);
  signer_since_ =
      in_force.signer.has_value() ? rows_[*in_force.signer].signs_from : absl::InfiniteFuture();
  next_rotation_ = absl::InfiniteFuture();
  revoked_ = 0;
  for (const SigningKeyRecord& r : rows_) {
    if (r.revoked_at.has_value()) ++revoked_;
    if (!r.revoked_at.has_value() && r.signs_from > now) {
      next_rotation_ = std::min(next_rotation_, r.signs_from);
    }
  }
  // The next key is made only 2P before its turn; until then the rotation
  // is still due when the signer's period ends (PlanKeys makes its
  // successor sign from then).
  if (next_rotation_ == absl::InfiniteFuture() && in_force.signer.has_value()) {
    next_rotation_ = rows_[*in_force.signer].signs_until;
  }
  published_ = static_cast<int>(in_force.published.size());
}

void ManagedKeys::Run() {
  absl::Time next_read = absl::Now() + options_.poll_interval;
  while (true) {
    bool poked = false;
    {
      // Wakes at the next instant the ring may change (by this replica's
      // clock), the next re-read, a poke, or Stop.
      const absl::Time change_at = NextChangeAfter(rows_, clock_->Now());
      const absl::Duration until_change = change_at - clock_->Now();
      const absl::Duration wait =
          std::max(absl::ZeroDuration(), std::min(next_read - absl::Now(), until_change));
      absl::MutexLock lock(&mu_);
      auto wake = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || poked_; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
      if (stopping_) return;
      poked = poked_;
      poked_ = false;
    }
    const bool reread = poked || absl::Now() >= next_read;
    if (reread) next_read = absl::Now() + options_.poll_interval;
    Refresh(reread);
  }
}

}  // namespace tokend::service
