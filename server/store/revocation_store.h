#ifndef TOKEND_SERVER_STORE_REVOCATION_STORE_H_
#define TOKEND_SERVER_STORE_REVOCATION_STORE_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/records.h"

namespace tokend::store {

// Persistent revocations, shared by every replica. Thread-safe. Errors as in
// refresh_token_store.h.
class RevocationStore {
 public:
  virtual ~RevocationStore() = default;

  // Records `revocation` durably and tells every other replica (see
  // RevocationFeed). Idempotent: revoking a key again keeps the later
  // revoked_at and the later expires_at.
  virtual absl::Status Revoke(const Revocation& revocation, absl::Time deadline) = 0;

  // Calls `visit` for every revocation with expires_at > now, in no order,
  // on the calling thread.
  // Used at start-up and to resynchronize; must stream, not buffer, so that a
  // million rows cost no more than the in-memory set they fill.
  virtual absl::Status ForEachUnexpired(absl::Time now,
                                        const std::function<void(const Revocation&)>& visit) = 0;

  // Deletes revocations with expires_at <= now, and refresh families with
  // absolute_expires_at <= now together with all their tokens. Returns how
  // many rows went (revocations + families + tokens).
  virtual absl::StatusOr<int64_t> PurgeExpired(absl::Time now) = 0;
};

// Delivers revocations committed by any replica (including this one) soon
// after their commit, so that every replica's in-memory view converges within
// a second. A revocation may be delivered more than once.
class RevocationFeed {
 public:
  virtual ~RevocationFeed() = default;

  // Delivers every unexpired revocation to `deliver` on the calling thread
  // (start-up: when Start returns OK, the caller has seen every revocation
  // committed before the call), then delivers from a background thread
  // until Stop(): what that first read could not see, then every new
  // revocation. When the read fails, returns its error (UNAVAILABLE,
  // DEADLINE_EXCEEDED, INTERNAL as in refresh_token_store.h) and starts
  // nothing. Call once. `deliver` must be thread-safe and fast.
  //
  // `caught_up(as_of)` (may be empty) runs whenever the feed has proof that
  // every revocation committed before `as_of` (the feed's clock) has been
  // delivered: after Start's read, and then about every second while the
  // database answers. A view that stops being caught up is stale; see
  // RevocationSet::IsCurrent.
  virtual absl::Status Start(std::function<void(const Revocation&)> deliver,
                             std::function<void(absl::Time as_of)> caught_up) = 0;

  // Stops delivering and joins the thread. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_SERVER_STORE_REVOCATION_STORE_H_
