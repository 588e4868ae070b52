#ifndef TOKEND_CLIENT_REVOCATION_VIEW_H_
#define TOKEND_CLIENT_REVOCATION_VIEW_H_

// A verifier's copy of one tokend replica's revocation view, fed with the
// messages of WatchRevocations. Pure state: no threads, no I/O, time passed
// in. The Verifier reads it on every call and its watch thread writes it.

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::client {

// Why the view cannot vouch for a token now (see RevocationView::Currency).
enum class ViewProblem {
  kNone,          // current: every revocation up to a moment ago is known
  kNoSnapshot,    // no complete snapshot received yet
  kTooOld,        // nothing proved it current within the staleness bound
  kReplicaStale,  // the replica's last heartbeat said its own view is stale
};

// "no snapshot", "too old", "replica stale" ("" for kNone).
absl::string_view ViewProblemName(ViewProblem problem);

class RevocationView {
 public:
  RevocationView() = default;
  RevocationView(const RevocationView&) = delete;
  RevocationView& operator=(const RevocationView&) = delete;

  // Marks the start of a new stream (after a reconnect): snapshot parts the
  // last stream left half-sent are dropped. The revocations held stay (a
  // resumed stream adds to them, a new snapshot replaces them once
  // complete), and so does the last proof of currency, which only a
  // heartbeat of the new stream advances.
  void StartStream();

  // Applies one message received at `now`. Snapshot parts are collected
  // aside and replace the view together when the part with `complete`
  // arrives (until then the old view answers); a replaced view is not
  // proved current until the next heartbeat, since the replica that sent
  // the snapshot may itself be stale. A revocation event is added to the
  // view. A heartbeat with stale = false proves the view current as of
  // `now` (unless a snapshot is half-received); one with stale = true makes
  // the view untrusted until a heartbeat says otherwise. Events never prove
  // currency: a stale replica still sends them. Each message's position becomes position().
  // Revocations whose expires_at has passed are forgotten along the way.
  // INVALID_ARGUMENT for a message this view cannot use (no event, a
  // revocation without a target, a revocation event before any snapshot on
  // a fresh view); the caller should then reconnect from scratch.
  absl::Status Apply(const v1::WatchRevocationsResponse& message, absl::Time now);

  // Whether the view can vouch now: it has had a complete snapshot, the
  // last heartbeat did not say stale, and it was last proved current no
  // more than `max_staleness` before `now`.
  ViewProblem Currency(absl::Time now, absl::Duration max_staleness) const;

  // Whether an access token with these claims is revoked: its jti, its
  // refresh family (sid, when not empty), or its subject with iat at or
  // before the subject's cut-off (whole seconds, as tokend compares).
  bool IsRevoked(absl::string_view token_id, absl::string_view session_id,
                 absl::string_view subject, absl::Time issued_at) const;

  // Whether the signing key `kid` is revoked (signing_key_id): every token
  // whose header names it is.
  bool IsSigningKeyRevoked(absl::string_view kid) const;

  // Whether the view holds any revoked signing key, without a lock: false
  // lets a caller skip reading a token's kid. It may lag a concurrent Apply
  // by that call, as if the message had come a moment later.
  bool HoldsRevokedSigningKeys() const {
    return signing_keys_held_.load(std::memory_order_acquire) > 0;
  }

  // The position to resume from: the last message's, or nullopt before any.
  std::optional<v1::RevocationPosition> position() const;

  // How many revocations the view holds (tokens, families, subjects,
  // signing keys).
  size_t size() const;

  // Empties everything, as if new: the next stream must start with a
  // snapshot. For a message the view could not use.
  void Reset();

 private:
  struct Entries {
    // Each revocation with when it may be forgotten.
    absl::flat_hash_map<std::string, absl::Time> tokens;
    absl::flat_hash_map<std::string, absl::Time> families;
    struct Subject {
      absl::Time revoked_before;
      absl::Time expires_at;
    };
    absl::flat_hash_map<std::string, Subject> subjects;
    absl::flat_hash_map<std::string, absl::Time> signing_keys;  // by kid
    void Add(const v1::WatchedRevocation& revocation);
    void ForgetExpired(absl::Time now);
    size_t size() const {
      return tokens.size() + families.size() + subjects.size() + signing_keys.size();
    }
  };
  // Sets signing_keys_held_ from current_. Needs mu_ held exclusively.
  void UpdateSigningKeysHeld() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  Entries current_ ABSL_GUARDED_BY(mu_);
  std::optional<Entries> incoming_snapshot_ ABSL_GUARDED_BY(mu_);
  bool had_snapshot_ ABSL_GUARDED_BY(mu_) = false;
  // Set by a heartbeat that said stale, cleared by one that did not.
  bool untrusted_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Time> proved_current_at_ ABSL_GUARDED_BY(mu_);
  std::optional<v1::RevocationPosition> position_ ABSL_GUARDED_BY(mu_);
  absl::Time next_forget_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // current_.signing_keys.size(), for HoldsRevokedSigningKeys.
  std::atomic<size_t> signing_keys_held_{0};
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_REVOCATION_VIEW_H_
