#ifndef TOKEND_SERVER_SERVICE_KEY_SCHEDULE_H_
#define TOKEND_SERVER_SERVICE_KEY_SCHEDULE_H_

// The life of managed signing keys, as pure functions of the stored rows and
// a time: which keys are in force at an instant (every replica computes this
// by its own clock, so no replica needs to hear from another to switch), and
// what a replica should change so that the schedule holds (run under the
// store's lock, so exactly one replica makes each change).
//
// A key's life, for rotate_every R, publish_ahead P and retain_after T (the
// longest access-token lifetime plus leeway):
//   created      when the signer has 2P left (one P to spare for replicas to
//                read the row before it must be published);
//   published    from publish_from = signs_from - P: every verifier that
//                refreshes its JWK Set at least every P sees it before any
//                token it signs;
//   signs        from signs_from = the previous key's signs_until, for R;
//   retired      at signs_until, when the next key takes over; still
//                published, for the tokens it signed;
//   deleted      at delete_after = signs_until + T, when every token it
//                signed has expired: it leaves the JWK Set and the table.
// With T + P <= 2R at most three keys are published at once: the previous
// (retiring), the signer, the next.
//
// A revoked key is neither published nor used at once. When the signer is
// revoked (or none signs: the first start, or every replica was down), a new
// key is created that is published and signs at once: without a publish
// ahead, verifiers that cached the JWK Set may reject its tokens until they
// refresh it; that is the price of an emergency.

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/signing_key_store.h"

namespace tokend::service {

struct KeyScheduleOptions {
  absl::Duration rotate_every;   // R
  absl::Duration publish_ahead;  // P
  absl::Duration retain_after;   // T
};

// The keys in force at one instant, as indices into the rows given.
struct KeysInForce {
  // The signer: among the unrevoked, undeleted rows whose signs_from has
  // come, the latest. A key therefore signs until the next one's signs_from
  // arrives, even past its own signs_until when no next key was made in
  // time (better than not signing at all).
  std::optional<size_t> signer;
  // Every unrevoked row with publish_from <= now < delete_after (the signer
  // too, even if publish_from has not come: it signs), signer first, then
  // by signs_from, newest first.
  std::vector<size_t> published;
};
KeysInForce KeysAt(const std::vector<store::SigningKeyRecord>& rows, absl::Time now);

// The first instant after `now` at which KeysAt may answer differently
// (InfiniteFuture when none).
absl::Time NextChangeAfter(const std::vector<store::SigningKeyRecord>& rows, absl::Time now);

// What a change asks of the schedule besides keeping it.
enum class KeyAction {
  kMaintain,   // create the next key when due, delete what expired
  kRotate,     // make the next key now: published now, signing after P
               // (replacing a next key already made, which never signed)
  kRotateNow,  // a new key published and signing now (an emergency)
};

// Makes a new key row (generates, seals, names it) with these instants.
using NewKeyFn = absl::FunctionRef<absl::StatusOr<store::SigningKeyRecord>(
    absl::Time publish_from, absl::Time signs_from, absl::Time signs_until,
    absl::Time delete_after)>;

// The changes that make `rows` follow the schedule at `now` (empty when they
// do). Deletes rows past delete_after; when no key signs, creates one that
// publishes and signs now; otherwise creates the signer's successor once the
// signer has 2P left, signing at its signs_until or, if that is less than P
// away, P from now (the signer's signs_until then moves to match).
absl::StatusOr<store::SigningKeyChanges> PlanKeys(const std::vector<store::SigningKeyRecord>& rows,
                                                  absl::Time now, const KeyScheduleOptions& options,
                                                  KeyAction action, NewKeyFn new_key);

// Marks `kid` revoked at `now`, then PlanKeys(kMaintain) on the result: when
// it was the signer, a new key signs at once. NOT_FOUND for an unknown kid;
// FAILED_PRECONDITION when it is revoked already.
absl::StatusOr<store::SigningKeyChanges> PlanRevoke(
    const std::vector<store::SigningKeyRecord>& rows, absl::string_view kid, absl::Time now,
    const KeyScheduleOptions& options, NewKeyFn new_key);

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_KEY_SCHEDULE_H_
