#ifndef TOKEND_SERVER_SERVICE_REVOCATION_SET_H_
#define TOKEND_SERVER_SERVICE_REVOCATION_SET_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/revocation_log.h"
#include "store/records.h"

namespace tokend::service {

// Whether a token issued at `issued_at` is covered by a revocation of its
// subject at `revoked_at`. Compared in whole seconds, because iat has whole
// seconds: a token issued in the second of the revocation counts as before it.
bool CoveredBySubjectRevocation(absl::Time issued_at, absl::Time revoked_at);

// The in-memory view of every unexpired revocation, so that introspecting an
// access token needs no database round trip. Filled at start-up from the
// store, then kept current by this replica's own revocations and by the
// store's feed of every replica's. Thread-safe; lookups take a shared lock.
class RevocationSet {
 public:
  // `max_staleness`: how long after the feed last proved the view caught up
  // it may still be trusted (IsCurrent). Infinite: always (a set that no
  // feed fills, as in tests of the service alone).
  // `log`, if not null, receives every revocation that changes the view
  // (RevocationLog::Append under this set's lock, then Notify), and must
  // outlive the set.
  explicit RevocationSet(absl::Duration max_staleness = absl::InfiniteDuration(),
                         RevocationLog* log = nullptr);

  // Adds (or merges, keeping the later times) one revocation. Returns
  // whether the view changed: a new revocation, or a later expires_at or
  // subject cut-off than it held. Only a change is appended to the log,
  // with the merged times (as the view now holds it), so the same
  // revocation added again (a store feed's resync, a signing key row read
  // every second) is one event, not one per add.
  bool Add(const store::Revocation& revocation);

  // Every revocation held, with the log's last sequence number at that
  // instant (0 without a log): the events after it are exactly what
  // changed since. For watchers; copies the whole view. Token, family and
  // signing key revocations carry no revoked_at (the view does not keep it).
  struct Snapshot {
    uint64_t sequence = 0;
    std::vector<store::Revocation> revocations;
  };
  Snapshot TakeSnapshot() const;

  // Whether an access token with these claims is revoked: by its jti, by its
  // refresh family `session_id` (may be empty), or by a revocation of
  // `subject` at or after `issued_at` (compared in whole seconds, as iat is).
  bool IsAccessTokenRevoked(absl::string_view jti, absl::string_view session_id,
                            absl::string_view subject, absl::Time issued_at) const;

  // Whether the refresh family is revoked.
  bool IsFamilyRevoked(absl::string_view family_id) const;

  // Whether the signing key `kid` is revoked (a kSigningKey revocation).
  bool IsSigningKeyRevoked(absl::string_view kid) const;

  // When `subject` was last revoked, if it was.
  std::optional<absl::Time> SubjectRevokedAt(absl::string_view subject) const;

  // Forgets revocations whose expires_at <= now; they cover no active token.
  void ForgetExpired(absl::Time now);

  // Number of revocations held, for metrics.
  size_t size() const;

  // The feed has proved that every revocation committed before `as_of` is
  // in the set. Earlier times than one already marked are ignored.
  void MarkCaughtUp(absl::Time as_of);

  // Whether the view can vouch, at `now`, that a token it does not hold is
  // not revoked: it was caught up at most max_staleness ago. A replica whose
  // view is not current must not answer "active" from it. Lock-free.
  bool IsCurrent(absl::Time now) const;

  // How long ago the view was last caught up (InfiniteDuration before the
  // first time), for metrics.
  absl::Duration Age(absl::Time now) const;

 private:
  // jtis and family ids that tokend generates are 22 base64url characters
  // (16 bytes); they are held as those 16 bytes so that a million revocations
  // stay small. Any other key is held as the first 16 bytes of its SHA-256.
  using CompactKey = std::array<unsigned char, 16>;
  static CompactKey Compact(absl::string_view key);
  // Whether Compact(key) holds `key` itself (and not a digest of it).
  static bool IsReversible(absl::string_view key);
  // The text of a key of tokens_ or families_. Needs mu_.
  std::string KeyText(const CompactKey& key) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const absl::Duration max_staleness_;
  RevocationLog* const log_;
  // Unix microseconds of the latest MarkCaughtUp; INT64_MIN before the first.
  std::atomic<int64_t> caught_up_micros_{std::numeric_limits<int64_t>::min()};

  mutable absl::Mutex mu_;
  // Values: expires_at in unix seconds.
  absl::flat_hash_map<CompactKey, int64_t> tokens_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CompactKey, int64_t> families_ ABSL_GUARDED_BY(mu_);
  struct SubjectRevocation {
    absl::Time revoked_at;
    absl::Time expires_at;
  };
  absl::flat_hash_map<std::string, SubjectRevocation> subjects_ ABSL_GUARDED_BY(mu_);
  // Revoked signing keys by kid, with expires_at (the key's delete_after).
  // A handful at most: kept as given.
  absl::flat_hash_map<std::string, absl::Time> signing_keys_ ABSL_GUARDED_BY(mu_);
  // The text of the (rare) keys that Compact could only digest, so that a
  // snapshot can name them; removed with their entry.
  absl::flat_hash_map<CompactKey, std::string> digested_key_text_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_REVOCATION_SET_H_
