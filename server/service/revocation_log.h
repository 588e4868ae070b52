#ifndef TOKEND_SERVER_SERVICE_REVOCATION_LOG_H_
#define TOKEND_SERVER_SERVICE_REVOCATION_LOG_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "store/records.h"

namespace tokend::service {

// One revocation as this replica's view applied it, with its place in the
// replica's sequence.
struct AppliedRevocation {
  uint64_t sequence = 0;
  store::Revocation revocation;
};

// The sequence of revocations this replica's RevocationSet applied, for
// watchers: each gets the next number, and the latest `capacity` are kept in
// a ring so that a watcher that reconnects can be sent only what it missed.
// The epoch, chosen by the owner (random per process), tells positions of
// this process from any other's. Thread-safe.
class RevocationLog {
 public:
  // `capacity` (at least 1) events are kept.
  RevocationLog(std::string epoch, size_t capacity);

  RevocationLog(const RevocationLog&) = delete;
  RevocationLog& operator=(const RevocationLog&) = delete;

  const std::string& epoch() const { return epoch_; }

  // Records `applied` with the next sequence number and returns it. The
  // RevocationSet calls it under its own lock, so that the numbers follow
  // the order the view applied them and a snapshot's last_sequence() matches
  // its contents. Does not notify: see Notify.
  uint64_t Append(const store::Revocation& applied);

  // The sequence number of the latest event; 0 before the first.
  uint64_t last_sequence() const;

  enum class ReadOutcome {
    kOk,       // `events` holds what follows `after` (possibly nothing)
    kTooOld,   // events right after `after` are no longer kept
    kUnknown,  // `after` is beyond the latest event: not a position of this log
  };
  struct ReadResult {
    ReadOutcome outcome = ReadOutcome::kOk;
    std::vector<AppliedRevocation> events;
  };
  // The events numbered after `after`, oldest first, at most `max_events`.
  ReadResult ReadAfter(uint64_t after, size_t max_events) const;

  // Listeners are called by Notify, which the RevocationSet calls after it
  // appended and released its lock: they should only wake a reader, never
  // block. AddListener returns an id for RemoveListener; once RemoveListener
  // returns, the listener is not running and will not be called again.
  int AddListener(std::function<void()> listener);
  void RemoveListener(int id);
  void Notify();

 private:
  const std::string epoch_;
  const size_t capacity_;

  mutable absl::Mutex mu_;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<AppliedRevocation> ring_ ABSL_GUARDED_BY(mu_);  // oldest first

  // Separate from mu_ so that a listener may read the log. Held while the
  // listeners run, which is what makes RemoveListener's promise hold.
  absl::Mutex listeners_mu_;
  int next_listener_id_ ABSL_GUARDED_BY(listeners_mu_) = 0;
  absl::flat_hash_map<int, std::function<void()>> listeners_ ABSL_GUARDED_BY(listeners_mu_);
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_REVOCATION_LOG_H_
