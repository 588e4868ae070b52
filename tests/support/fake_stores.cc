#include "tests/support/fake_stores.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "store/record_checks.h"

namespace tokend::testing {
namespace internal {

struct FakeStoreState {
  using Deliver = std::function<void(const store::Revocation&)>;

  struct TokenRow {
    store::RefreshToken token;
    std::optional<absl::Time> used_at;
  };

  absl::Mutex mu;
  absl::Status failure ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, store::RefreshFamily> families ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, TokenRow> tokens ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::pair<int, std::string>, store::Revocation> revocations
      ABSL_GUARDED_BY(mu);

  // Held while delivering to feeds, never together with `mu`.
  absl::Mutex delivery_mu;
  std::vector<std::shared_ptr<Deliver>> feeds ABSL_GUARDED_BY(delivery_mu);
};

}  // namespace internal
namespace {

using internal::FakeStoreState;
using store::RefreshFamily;
using store::RefreshToken;
using store::RefreshTokenState;
using store::Revocation;

// PostgreSQL keeps microseconds; so do the fakes, so tests cannot tell them
// apart.
absl::Time Micros(absl::Time t) { return absl::FromUnixMicros(absl::ToUnixMicros(t)); }

RefreshToken Truncated(RefreshToken t) {
  t.issued_at = Micros(t.issued_at);
  t.expires_at = Micros(t.expires_at);
  return t;
}

std::vector<Revocation> Unexpired(FakeStoreState& st, absl::Time now) {
  absl::MutexLock lock(&st.mu);
  std::vector<Revocation> out;
  for (const auto& [key, r] : st.revocations) {
    if (r.expires_at > now) out.push_back(r);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------- revocations

FakeRevocationStore::FakeRevocationStore() : state_(std::make_shared<FakeStoreState>()) {}
FakeRevocationStore::~FakeRevocationStore() = default;

absl::Status FakeRevocationStore::Revoke(const Revocation& revocation, absl::Time deadline) {
  if (absl::Status s = store::CheckRevocation(revocation); !s.ok()) return s;
  Revocation merged;
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->failure.ok()) return state_->failure;
    const std::pair<int, std::string> key(static_cast<int>(revocation.kind), revocation.key);
    auto [it, inserted] = state_->revocations.try_emplace(key, revocation);
    Revocation& row = it->second;
    if (inserted) {
      row.revoked_at = Micros(revocation.revoked_at);
      row.expires_at = Micros(revocation.expires_at);
    } else {
      row.revoked_at = std::max(row.revoked_at, Micros(revocation.revoked_at));
      row.expires_at = std::max(row.expires_at, Micros(revocation.expires_at));
    }
    merged = row;
  }
  absl::MutexLock lock(&state_->delivery_mu);
  for (const auto& deliver : state_->feeds) (*deliver)(merged);
  return absl::OkStatus();
}

absl::Status FakeRevocationStore::ForEachUnexpired(
    absl::Time now, const std::function<void(const Revocation&)>& visit) {
  if (absl::Status s = store::CheckTime("now", now); !s.ok()) return s;
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->failure.ok()) return state_->failure;
  }
  for (const Revocation& r : Unexpired(*state_, now)) visit(r);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FakeRevocationStore::PurgeExpired(absl::Time now) {
  if (absl::Status s = store::CheckTime("now", now); !s.ok()) return s;
  absl::MutexLock lock(&state_->mu);
  if (!state_->failure.ok()) return state_->failure;
  int64_t deleted = 0;
  deleted += static_cast<int64_t>(absl::erase_if(
      state_->revocations, [now](const auto& kv) { return kv.second.expires_at <= now; }));
  std::vector<std::string> gone;
  for (const auto& [id, family] : state_->families) {
    if (family.absolute_expires_at <= now) gone.push_back(id);
  }
  for (const std::string& id : gone) state_->families.erase(id);
  deleted += static_cast<int64_t>(gone.size());
  deleted += static_cast<int64_t>(absl::erase_if(state_->tokens, [&](const auto& kv) {
    return !state_->families.contains(kv.second.token.family_id);
  }));
  return deleted;
}

void FakeRevocationStore::SetUnavailable(bool unavailable) {
  SetFailure(unavailable ? absl::UnavailableError("database unavailable") : absl::OkStatus());
}

void FakeRevocationStore::SetFailure(absl::Status failure) {
  absl::MutexLock lock(&state_->mu);
  state_->failure = std::move(failure);
}

size_t FakeRevocationStore::size() const {
  absl::MutexLock lock(&state_->mu);
  return state_->revocations.size();
}

std::optional<Revocation> FakeRevocationStore::Get(Revocation::Kind kind,
                                                   absl::string_view key) const {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->revocations.find(std::make_pair(static_cast<int>(kind), std::string(key)));
  if (it == state_->revocations.end()) return std::nullopt;
  return it->second;
}

// -------------------------------------------------------------- refresh tokens

FakeRefreshTokenStore::FakeRefreshTokenStore() : state_(std::make_shared<FakeStoreState>()) {}
FakeRefreshTokenStore::FakeRefreshTokenStore(FakeRevocationStore& revocations)
    : state_(revocations.state_) {}
FakeRefreshTokenStore::~FakeRefreshTokenStore() = default;

absl::Status FakeRefreshTokenStore::CreateFamily(const RefreshFamily& family,
                                                 const RefreshToken& first, absl::Time deadline) {
  if (absl::Status s = store::CheckNewFamily(family, first); !s.ok()) return s;
  absl::MutexLock lock(&state_->mu);
  if (!state_->failure.ok()) return state_->failure;
  if (state_->families.contains(family.family_id) || state_->tokens.contains(first.token_hash)) {
    return absl::AlreadyExistsError("record already exists");
  }
  RefreshFamily f = family;
  f.created_at = Micros(f.created_at);
  f.absolute_expires_at = Micros(f.absolute_expires_at);
  const std::string family_id = f.family_id;
  state_->families.emplace(family_id, std::move(f));
  RefreshToken t = Truncated(first);
  t.family_id = family.family_id;
  const std::string hash = t.token_hash;
  state_->tokens.emplace(hash, FakeStoreState::TokenRow{std::move(t), std::nullopt});
  return absl::OkStatus();
}

absl::StatusOr<std::optional<RefreshTokenState>> FakeRefreshTokenStore::Find(
    absl::string_view token_hash, absl::Time deadline) {
  if (absl::Status s = store::CheckTokenHash("token_hash", token_hash); !s.ok()) return s;
  absl::MutexLock lock(&state_->mu);
  if (!state_->failure.ok()) return state_->failure;
  auto it = state_->tokens.find(token_hash);
  if (it == state_->tokens.end()) return std::optional<RefreshTokenState>();
  auto family = state_->families.find(it->second.token.family_id);
  if (family == state_->families.end()) return std::optional<RefreshTokenState>();
  RefreshTokenState out;
  out.token = it->second.token;
  out.used_at = it->second.used_at;
  out.family = family->second;
  out.family_revoked = state_->revocations.contains(
      std::make_pair(static_cast<int>(Revocation::Kind::kFamily), family->second.family_id));
  auto subject = state_->revocations.find(
      std::make_pair(static_cast<int>(Revocation::Kind::kSubject), family->second.subject));
  if (subject != state_->revocations.end()) out.subject_revoked_at = subject->second.revoked_at;
  return std::optional<RefreshTokenState>(std::move(out));
}

absl::StatusOr<store::RefreshTokenStore::RotateOutcome> FakeRefreshTokenStore::Rotate(
    absl::string_view presented_hash, absl::Time used_at, const RefreshToken& successor,
    absl::Time deadline) {
  if (absl::Status s = store::CheckRotation(presented_hash, used_at, successor); !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&state_->mu);
  if (!state_->failure.ok()) return state_->failure;
  auto it = state_->tokens.find(presented_hash);
  if (it == state_->tokens.end() || it->second.used_at.has_value()) {
    return RotateOutcome::kAlreadyUsed;
  }
  if (state_->tokens.contains(successor.token_hash)) {
    return absl::AlreadyExistsError("record already exists");
  }
  it->second.used_at = Micros(used_at);
  RefreshToken t = Truncated(successor);
  t.family_id = it->second.token.family_id;
  const std::string hash = t.token_hash;
  state_->tokens.emplace(hash, FakeStoreState::TokenRow{std::move(t), std::nullopt});
  return RotateOutcome::kRotated;
}

void FakeRefreshTokenStore::SetUnavailable(bool unavailable) {
  SetFailure(unavailable ? absl::UnavailableError("database unavailable") : absl::OkStatus());
}

void FakeRefreshTokenStore::SetFailure(absl::Status failure) {
  absl::MutexLock lock(&state_->mu);
  state_->failure = std::move(failure);
}

size_t FakeRefreshTokenStore::family_count() const {
  absl::MutexLock lock(&state_->mu);
  return state_->families.size();
}

size_t FakeRefreshTokenStore::token_count() const {
  absl::MutexLock lock(&state_->mu);
  return state_->tokens.size();
}

// ------------------------------------------------------------------------ feed

FakeRevocationFeed::FakeRevocationFeed(FakeRevocationStore& store, const common::Clock* clock)
    : state_(store.state_), clock_(clock) {}

FakeRevocationFeed::~FakeRevocationFeed() { Stop(); }

absl::Status FakeRevocationFeed::Start(std::function<void(const Revocation&)> deliver,
                                       std::function<void(absl::Time)> caught_up) {
  if (deliver_ != nullptr) return absl::FailedPreconditionError("revocation feed already started");
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->failure.ok()) return state_->failure;
  }
  deliver_ = std::make_shared<FakeStoreState::Deliver>(std::move(deliver));
  caught_up_ = std::move(caught_up);
  {
    absl::MutexLock lock(&state_->delivery_mu);
    state_->feeds.push_back(deliver_);
  }
  Resync();
  return absl::OkStatus();
}

void FakeRevocationFeed::Stop() {
  if (deliver_ == nullptr) return;
  absl::MutexLock lock(&state_->delivery_mu);
  state_->feeds.erase(std::remove(state_->feeds.begin(), state_->feeds.end(), deliver_),
                      state_->feeds.end());
  deliver_.reset();
}

void FakeRevocationFeed::Resync() {
  if (deliver_ == nullptr) return;
  {
    absl::MutexLock lock(&state_->mu);
    if (!state_->failure.ok()) return;  // as a feed that cannot reach the database
  }
  const absl::Time as_of = clock_->Now();
  absl::MutexLock lock(&state_->delivery_mu);
  for (const Revocation& r : Unexpired(*state_, as_of)) (*deliver_)(r);
  if (caught_up_) caught_up_(as_of);
}

}  // namespace tokend::testing
