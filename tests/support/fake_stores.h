#ifndef TOKEND_TESTS_SUPPORT_FAKE_STORES_H_
#define TOKEND_TESTS_SUPPORT_FAKE_STORES_H_

// In-memory fakes of the store interfaces, for tests of the service without
// PostgreSQL. They honour the same contracts as the PostgreSQL stores, which
// tests/integration/store/store_contract_test.cc checks against both:
// Rotate is exactly-once, Revoke keeps the later times, times are kept to the
// microsecond, the same inputs are ALREADY_EXISTS, and INVALID_ARGUMENT (both
// check them with store/record_checks.h). They differ in that they ignore
// deadlines (tests often run on a fake clock) and never fail unless told to
// (SetUnavailable, SetFailure).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "store/records.h"
#include "store/refresh_token_store.h"
#include "store/revocation_store.h"

namespace tokend::testing {

namespace internal {
struct FakeStoreState;  // the shared in-memory "database"
}

// Revocations in memory. Thread-safe.
class FakeRevocationStore final : public store::RevocationStore {
 public:
  FakeRevocationStore();
  ~FakeRevocationStore() override;

  absl::Status Revoke(const store::Revocation& revocation, absl::Time deadline) override;
  // Visits a snapshot, outside the store's lock (`visit` may call the store).
  absl::Status ForEachUnexpired(
      absl::Time now, const std::function<void(const store::Revocation&)>& visit) override;
  // Also purges the families (and their tokens) of every FakeRefreshTokenStore
  // sharing this store's state, as the PostgreSQL store does.
  absl::StatusOr<int64_t> PurgeExpired(absl::Time now) override;

  // While true, every call of this store and of the stores and feeds sharing
  // its state fails with UNAVAILABLE and changes nothing, as when PostgreSQL
  // is down.
  void SetUnavailable(bool unavailable);
  // Every call fails with `failure` instead (OK: calls work again).
  void SetFailure(absl::Status failure);

  // Inspection for tests (never fail).
  size_t size() const;
  std::optional<store::Revocation> Get(store::Revocation::Kind kind, absl::string_view key) const;

 private:
  friend class FakeRefreshTokenStore;
  friend class FakeRevocationFeed;
  std::shared_ptr<internal::FakeStoreState> state_;
};

// Refresh families and tokens in memory. Thread-safe.
class FakeRefreshTokenStore final : public store::RefreshTokenStore {
 public:
  // With its own state: Find never reports a revocation.
  FakeRefreshTokenStore();
  // Shares `revocations`' state, as two stores on one database: Find reports
  // its revocations, its PurgeExpired purges these families, and
  // SetUnavailable on either affects both. `revocations` may be destroyed
  // first.
  explicit FakeRefreshTokenStore(FakeRevocationStore& revocations);
  ~FakeRefreshTokenStore() override;

  absl::Status CreateFamily(const store::RefreshFamily& family, const store::RefreshToken& first,
                            absl::Time deadline) override;
  absl::StatusOr<std::optional<store::RefreshTokenState>> Find(absl::string_view token_hash,
                                                               absl::Time deadline) override;
  // The successor joins the presented token's family whatever
  // successor.family_id says (as in PostgreSQL).
  absl::StatusOr<RotateOutcome> Rotate(absl::string_view presented_hash, absl::Time used_at,
                                       const store::RefreshToken& successor,
                                       absl::Time deadline) override;

  void SetUnavailable(bool unavailable);
  void SetFailure(absl::Status failure);

  size_t family_count() const;
  size_t token_count() const;

 private:
  std::shared_ptr<internal::FakeStoreState> state_;
};

// Delivers every revocation recorded through a FakeRevocationStore. Unlike
// PgRevocationFeed it has no thread: Start() replays every unexpired
// revocation (by `clock`) on the calling thread (or fails as the store is
// told to, starting nothing), then each successful Revoke delivers its
// merged revocation on the revoking thread, after the store's lock is
// released (so `deliver` may read the store, but must not Revoke).
class FakeRevocationFeed final : public store::RevocationFeed {
 public:
  // `store` and `clock` must outlive the feed.
  FakeRevocationFeed(FakeRevocationStore& store, const common::Clock* clock);
  ~FakeRevocationFeed() override;  // Stop()s.

  // `caught_up` (may be empty) runs after Start's replay and each Resync.
  absl::Status Start(std::function<void(const store::Revocation&)> deliver,
                     std::function<void(absl::Time)> caught_up) override;
  void Stop() override;
  // Replays every unexpired revocation now, as the real feed does after a
  // reconnect.
  void Resync();

 private:
  std::shared_ptr<internal::FakeStoreState> state_;
  const common::Clock* const clock_;
  std::shared_ptr<std::function<void(const store::Revocation&)>> deliver_;
  std::function<void(absl::Time)> caught_up_;
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_FAKE_STORES_H_
