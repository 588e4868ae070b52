#ifndef TOKEND_SERVER_SERVICE_REVOCATION_SYNC_H_
#define TOKEND_SERVER_SERVICE_REVOCATION_SYNC_H_

#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/revocation_set.h"
#include "store/revocation_store.h"

namespace tokend::service {

// Keeps this replica's in-memory RevocationSet in step with the store, so
// that introspecting an access token never needs a database round trip:
//   - Start loads every unexpired revocation and then delivers every
//     replica's new ones as they commit (through the store's feed);
//   - every `forget_every` it forgets revocations that cover no live token;
//   - every `purge_every` it deletes expired revocations and refresh families
//     from the store (any replica may; the work is idempotent).
class RevocationSync {
 public:
  struct Options {
    absl::Duration forget_every = absl::Minutes(1);
    absl::Duration purge_every = absl::Minutes(10);
  };

  // Every pointer must outlive the sync.
  RevocationSync(store::RevocationStore* store, store::RevocationFeed* feed, RevocationSet* set,
                 const common::Clock* clock, Options options);
  ~RevocationSync();  // Stop()s.

  RevocationSync(const RevocationSync&) = delete;
  RevocationSync& operator=(const RevocationSync&) = delete;

  // Loads every unexpired revocation into the set (blocking), then keeps it
  // current until Stop(). Call once. The load's error (for example
  // UNAVAILABLE) is returned and nothing is started.
  absl::Status Start();

  // Stops the feed and the housekeeping. Idempotent.
  void Stop();

 private:
  void Housekeep();

  store::RevocationStore* const store_;
  store::RevocationFeed* const feed_;
  RevocationSet* const set_;
  const common::Clock* const clock_;
  const Options options_;
  absl::Notification stop_;
  std::thread housekeeping_;
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_REVOCATION_SYNC_H_
