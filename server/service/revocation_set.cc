#include "service/revocation_set.h"

#include <algorithm>
#include <cstring>

#include "absl/time/time.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"

namespace tokend::service {
namespace {

int64_t UnixSeconds(absl::Time t) { return absl::ToUnixSeconds(t); }

// `t` at the store's precision (PostgreSQL keeps microseconds, rounding
// towards the past like absl::ToUnixMicros), so that a revocation applied
// from this replica's clock and the same one read back from the store are
// equal, whichever arrives first.
absl::Time StorePrecision(absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) return t;
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace

bool CoveredBySubjectRevocation(absl::Time issued_at, absl::Time revoked_at) {
  return absl::ToUnixSeconds(issued_at) <= absl::ToUnixSeconds(revoked_at);
}

bool RevocationSet::IsReversible(absl::string_view key) {
  std::string decoded;
  return key.size() == 22 && crypto::Base64UrlDecode(key, &decoded) &&
         decoded.size() == sizeof(CompactKey);
}

std::string RevocationSet::KeyText(const CompactKey& key) const {
  auto it = digested_key_text_.find(key);
  if (it != digested_key_text_.end()) return it->second;
  return crypto::Base64UrlEncode(
      absl::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

RevocationSet::CompactKey RevocationSet::Compact(absl::string_view key) {
  CompactKey compact{};
  std::string decoded;
  // Strict decoding: exactly one text decodes to these bytes, so KeyText
  // gives the key back.
  if (key.size() == 22 && crypto::Base64UrlDecode(key, &decoded) &&
      decoded.size() == compact.size()) {
    std::memcpy(compact.data(), decoded.data(), compact.size());
    return compact;
  }
  std::string digest = crypto::Sha256(key);
  std::memcpy(compact.data(), digest.data(), compact.size());
  return compact;
}

bool RevocationSet::Add(const store::Revocation& revocation) {
  using Kind = store::Revocation::Kind;
  store::Revocation applied = revocation;
  bool changed = false;
  switch (revocation.kind) {
    case Kind::kToken:
    case Kind::kFamily: {
      CompactKey key = Compact(revocation.key);
      const bool reversible = IsReversible(revocation.key);
      int64_t expires = UnixSeconds(revocation.expires_at);
      absl::MutexLock lock(&mu_);
      auto& map = revocation.kind == Kind::kToken ? tokens_ : families_;
      auto [it, inserted] = map.try_emplace(key, expires);
      if (inserted) {
        changed = true;
        if (!reversible) digested_key_text_.try_emplace(key, revocation.key);
      } else if (expires > it->second) {
        it->second = expires;
        changed = true;
      }
      applied.expires_at = absl::FromUnixSeconds(it->second);
      if (changed && log_ != nullptr) log_->Append(applied);
      break;
    }
    case Kind::kSubject: {
      const absl::Time revoked_at = StorePrecision(revocation.revoked_at);
      const absl::Time expires_at = StorePrecision(revocation.expires_at);
      absl::MutexLock lock(&mu_);
      auto [it, inserted] =
          subjects_.try_emplace(revocation.key, SubjectRevocation{revoked_at, expires_at});
      if (inserted) {
        changed = true;
      } else {
        if (revoked_at > it->second.revoked_at) {
          it->second.revoked_at = revoked_at;
          changed = true;
        }
        if (expires_at > it->second.expires_at) {
          it->second.expires_at = expires_at;
          changed = true;
        }
      }
      applied.revoked_at = it->second.revoked_at;
      applied.expires_at = it->second.expires_at;
      if (changed && log_ != nullptr) log_->Append(applied);
      break;
    }
    case Kind::kSigningKey: {
      const absl::Time expires_at = StorePrecision(revocation.expires_at);
      absl::MutexLock lock(&mu_);
      auto [it, inserted] = signing_keys_.try_emplace(revocation.key, expires_at);
      if (inserted) {
        changed = true;
      } else if (expires_at > it->second) {
        it->second = expires_at;
        changed = true;
      }
      // Watchers learn only that the key is revoked and until when.
      applied.revoked_at = absl::InfinitePast();
      applied.expires_at = it->second;
      if (changed && log_ != nullptr) log_->Append(applied);
      break;
    }
  }
  // Outside the lock: listeners wake watchers, which then read the log.
  if (changed && log_ != nullptr) log_->Notify();
  return changed;
}

RevocationSet::Snapshot RevocationSet::TakeSnapshot() const {
  using Kind = store::Revocation::Kind;
  Snapshot snapshot;
  absl::ReaderMutexLock lock(&mu_);
  // Read under this lock, which every Append happens under: the sequence
  // matches the contents exactly.
  if (log_ != nullptr) snapshot.sequence = log_->last_sequence();
  snapshot.revocations.reserve(tokens_.size() + families_.size() + subjects_.size() +
                               signing_keys_.size());
  for (const auto* map : {&tokens_, &families_}) {
    const Kind kind = map == &tokens_ ? Kind::kToken : Kind::kFamily;
    for (const auto& [key, expires] : *map) {
      store::Revocation r;
      r.kind = kind;
      r.key = KeyText(key);
      r.expires_at = absl::FromUnixSeconds(expires);
      snapshot.revocations.push_back(std::move(r));
    }
  }
  for (const auto& [subject, revocation] : subjects_) {
    snapshot.revocations.push_back(store::Revocation{.kind = Kind::kSubject,
                                                     .key = subject,
                                                     .revoked_at = revocation.revoked_at,
                                                     .expires_at = revocation.expires_at});
  }
  for (const auto& [kid, expires_at] : signing_keys_) {
    snapshot.revocations.push_back(
        store::Revocation{.kind = Kind::kSigningKey,
                          .key = kid,
                          .revoked_at = absl::InfinitePast(),  // not kept, not sent
                          .expires_at = expires_at});
  }
  return snapshot;
}

bool RevocationSet::IsAccessTokenRevoked(absl::string_view jti, absl::string_view session_id,
                                         absl::string_view subject, absl::Time issued_at) const {
  CompactKey jti_key = Compact(jti);
  CompactKey family_key{};
  if (!session_id.empty()) family_key = Compact(session_id);
  absl::ReaderMutexLock lock(&mu_);
  if (tokens_.contains(jti_key)) return true;
  if (!session_id.empty() && families_.contains(family_key)) return true;
  if (!subjects_.empty()) {
    auto it = subjects_.find(subject);
    if (it != subjects_.end() && CoveredBySubjectRevocation(issued_at, it->second.revoked_at)) {
      return true;
    }
  }
  return false;
}

bool RevocationSet::IsFamilyRevoked(absl::string_view family_id) const {
  CompactKey key = Compact(family_id);
  absl::ReaderMutexLock lock(&mu_);
  return families_.contains(key);
}

bool RevocationSet::IsSigningKeyRevoked(absl::string_view kid) const {
  absl::ReaderMutexLock lock(&mu_);
  return signing_keys_.contains(kid);
}

std::optional<absl::Time> RevocationSet::SubjectRevokedAt(absl::string_view subject) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return std::nullopt;
  return it->second.revoked_at;
}

void RevocationSet::ForgetExpired(absl::Time now) {
  int64_t now_seconds = UnixSeconds(now);
  absl::MutexLock lock(&mu_);
  absl::erase_if(tokens_, [&](const auto& entry) { return entry.second <= now_seconds; });
  absl::erase_if(families_, [&](const auto& entry) { return entry.second <= now_seconds; });
  absl::erase_if(digested_key_text_, [&](const auto& entry) {
    return !tokens_.contains(entry.first) && !families_.contains(entry.first);
  });
  absl::erase_if(subjects_, [&](const auto& entry) { return entry.second.expires_at <= now; });
  absl::erase_if(signing_keys_, [&](const auto& entry) { return entry.second <= now; });
}

RevocationSet::RevocationSet(absl::Duration max_staleness, RevocationLog* log)
    : max_staleness_(max_staleness), log_(log) {}

void RevocationSet::MarkCaughtUp(absl::Time as_of) {
  const int64_t micros = absl::ToUnixMicros(as_of);
  int64_t seen = caught_up_micros_.load(std::memory_order_relaxed);
  while (micros > seen &&
         !caught_up_micros_.compare_exchange_weak(seen, micros, std::memory_order_release)) {
  }
}

absl::Duration RevocationSet::Age(absl::Time now) const {
  const int64_t micros = caught_up_micros_.load(std::memory_order_acquire);
  if (micros == std::numeric_limits<int64_t>::min()) return absl::InfiniteDuration();
  return now - absl::FromUnixMicros(micros);
}

bool RevocationSet::IsCurrent(absl::Time now) const {
  if (max_staleness_ == absl::InfiniteDuration()) return true;
  return Age(now) <= max_staleness_;
}

size_t RevocationSet::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return tokens_.size() + families_.size() + subjects_.size() + signing_keys_.size();
}

}  // namespace tokend::service
