#include "service/key_schedule.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tokend::service {
namespace {

using store::SigningKeyChanges;
using store::SigningKeyRecord;

bool Live(const SigningKeyRecord& r, absl::Time now) {
  return !r.revoked_at.has_value() && now < r.delete_after;
}

}  // namespace

KeysInForce KeysAt(const std::vector<SigningKeyRecord>& rows, absl::Time now) {
  KeysInForce out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SigningKeyRecord& r = rows[i];
    if (!Live(r, now) || r.signs_from > now) continue;
    if (!out.signer.has_value() || rows[*out.signer].signs_from < r.signs_from) out.signer = i;
  }
  std::vector<size_t> others;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (out.signer == i || !Live(rows[i], now) || rows[i].publish_from > now) continue;
    others.push_back(i);
  }
  std::sort(others.begin(), others.end(),
            [&](size_t a, size_t b) { return rows[a].signs_from > rows[b].signs_from; });
  if (out.signer.has_value()) out.published.push_back(*out.signer);
  out.published.insert(out.published.end(), others.begin(), others.end());
  return out;
}

absl::Time NextChangeAfter(const std::vector<SigningKeyRecord>& rows, absl::Time now) {
  absl::Time next = absl::InfiniteFuture();
  for (const SigningKeyRecord& r : rows) {
    if (r.revoked_at.has_value()) continue;
    for (absl::Time t : {r.publish_from, r.signs_from, r.delete_after}) {
      if (t > now) next = std::min(next, t);
    }
  }
  return next;
}

absl::StatusOr<SigningKeyChanges> PlanKeys(const std::vector<SigningKeyRecord>& rows,
                                           absl::Time now, const KeyScheduleOptions& options,
                                           KeyAction action, NewKeyFn new_key) {
  SigningKeyChanges changes;
  std::vector<SigningKeyRecord> kept;
  for (const SigningKeyRecord& r : rows) {
    if (r.delete_after <= now) {
      changes.remove.push_back(r.kid);
    } else {
      kept.push_back(r);
    }
  }
  auto add = [&](absl::Time publish_from, absl::Time signs_from,
                 absl::Time signs_until) -> absl::Status {
    absl::StatusOr<SigningKeyRecord> made =
        new_key(publish_from, signs_from, signs_until, signs_until + options.retain_after);
    if (!made.ok()) return made.status();
    changes.insert.push_back(*std::move(made));
    return absl::OkStatus();
  };

  const KeysInForce in_force = KeysAt(kept, now);
  // The key already made to sign after the signer, if any.
  const SigningKeyRecord* next = nullptr;
  for (const SigningKeyRecord& r : kept) {
    if (Live(r, now) && r.signs_from > now &&
        (next == nullptr || r.signs_from < next->signs_from)) {
      next = &r;
    }
  }

  if (action == KeyAction::kRotate && next != nullptr) {
    // It has not signed yet: the new key replaces it.
    changes.remove.push_back(next->kid);
    next = nullptr;
  }

  if (!in_force.signer.has_value() || action == KeyAction::kRotateNow) {
    if (in_force.signer.has_value()) {
      SigningKeyRecord old = kept[*in_force.signer];
      if (old.signs_from < now) {
        // It signed until now: its tokens live at most T from now.
        old.signs_until = now;
        old.delete_after = now + options.retain_after;
        changes.update.push_back(std::move(old));
      }
    }
    // Signs until the next scheduled key takes over, which keeps its own
    // publish-ahead; else for a whole period.
    const absl::Time until = next != nullptr ? next->signs_from : now + options.rotate_every;
    if (absl::Status s = add(now, now, until); !s.ok()) return s;
    return changes;
  }

  if (next != nullptr) return changes;  // the successor is scheduled already
  const SigningKeyRecord& signer = kept[*in_force.signer];
  const bool due =
      action == KeyAction::kRotate || now >= signer.signs_until - 2 * options.publish_ahead;
  if (!due) return changes;
  // Published P before it signs, even when made late (or by `keys rotate`).
  const absl::Time signs_from = action == KeyAction::kRotate
                                    ? now + options.publish_ahead
                                    : std::max(signer.signs_until, now + options.publish_ahead);
  if (signs_from != signer.signs_until) {
    SigningKeyRecord moved = signer;
    moved.signs_until = signs_from;
    moved.delete_after = signs_from + options.retain_after;
    changes.update.push_back(std::move(moved));
  }
  if (absl::Status s =
          add(signs_from - options.publish_ahead, signs_from, signs_from + options.rotate_every);
      !s.ok()) {
    return s;
  }
  return changes;
}

absl::StatusOr<SigningKeyChanges> PlanRevoke(const std::vector<SigningKeyRecord>& rows,
                                             absl::string_view kid, absl::Time now,
                                             const KeyScheduleOptions& options, NewKeyFn new_key) {
  std::vector<SigningKeyRecord> after = rows;
  SigningKeyRecord* target = nullptr;
  for (SigningKeyRecord& r : after) {
    if (r.kid == kid) target = &r;
  }
  if (target == nullptr) return absl::NotFoundError(absl::StrCat("key \"", kid, "\": no such key"));
  if (target->revoked_at.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("key \"", kid, "\": already revoked"));
  }
  target->revoked_at = now;
  SigningKeyRecord revoked = *target;
  absl::StatusOr<SigningKeyChanges> changes =
      PlanKeys(after, now, options, KeyAction::kMaintain, new_key);
  if (!changes.ok()) return changes.status();
  changes->update.insert(changes->update.begin(), std::move(revoked));
  return changes;
}

}  // namespace tokend::service
