#include "client/revocation_view.h"

#include <algorithm>
#include <utility>

namespace tokend::client {
namespace {

absl::Time FromProto(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// Forgetting expired revocations walks the whole view; once a second is
// plenty, since a forgotten revocation covers only tokens that have expired.
constexpr absl::Duration kForgetInterval = absl::Seconds(1);

void KeepLater(absl::flat_hash_map<std::string, absl::Time>& map, const std::string& key,
               absl::Time expires_at) {
  auto [it, inserted] = map.emplace(key, expires_at);
  if (!inserted) it->second = std::max(it->second, expires_at);
}

template <typename Map, typename ExpiresAt>
void EraseExpired(Map& map, absl::Time now, ExpiresAt expires_at) {
  for (auto it = map.begin(); it != map.end();) {
    if (expires_at(it->second) <= now) {
      map.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::Status CheckRevocation(const v1::WatchedRevocation& revocation) {
  if (revocation.target_case() == v1::WatchedRevocation::TARGET_NOT_SET) {
    return absl::InvalidArgumentError("watch: a revocation without a target");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view ViewProblemName(ViewProblem problem) {
  switch (problem) {
    case ViewProblem::kNone:
      return "";
    case ViewProblem::kNoSnapshot:
      return "no complete revocation snapshot yet";
    case ViewProblem::kTooOld:
      return "revocation view older than its staleness bound";
    case ViewProblem::kReplicaStale:
      return "the tokend replica says its revocation view is stale";
  }
  return "unknown";
}

void RevocationView::Entries::Add(const v1::WatchedRevocation& revocation) {
  const absl::Time expires_at = FromProto(revocation.expires_at());
  switch (revocation.target_case()) {
    case v1::WatchedRevocation::kTokenId:
      KeepLater(tokens, revocation.token_id(), expires_at);
      break;
    case v1::WatchedRevocation::kRefreshFamilyId:
      KeepLater(families, revocation.refresh_family_id(), expires_at);
      break;
    case v1::WatchedRevocation::kSubject: {
      const Subject subject{.revoked_before = FromProto(revocation.revoked_before()),
                            .expires_at = expires_at};
      auto [it, inserted] = subjects.emplace(revocation.subject(), subject);
      if (!inserted) {
        // An event may extend a revocation: a later cut-off, a later expiry.
        it->second.revoked_before = std::max(it->second.revoked_before, subject.revoked_before);
        it->second.expires_at = std::max(it->second.expires_at, subject.expires_at);
      }
      break;
    }
    case v1::WatchedRevocation::kSigningKeyId:
      KeepLater(signing_keys, revocation.signing_key_id(), expires_at);
      break;
    case v1::WatchedRevocation::TARGET_NOT_SET:
      break;
  }
}

void RevocationView::Entries::ForgetExpired(absl::Time now) {
  EraseExpired(tokens, now, [](absl::Time t) { return t; });
  EraseExpired(families, now, [](absl::Time t) { return t; });
  EraseExpired(subjects, now, [](const Subject& s) { return s.expires_at; });
  EraseExpired(signing_keys, now, [](absl::Time t) { return t; });
}

void RevocationView::UpdateSigningKeysHeld() {
  signing_keys_held_.store(current_.signing_keys.size(), std::memory_order_release);
}

void RevocationView::StartStream() {
  absl::MutexLock lock(&mu_);
  incoming_snapshot_.reset();
}

absl::Status RevocationView::Apply(const v1::WatchRevocationsResponse& message, absl::Time now) {
  absl::MutexLock lock(&mu_);
  switch (message.event_case()) {
    case v1::WatchRevocationsResponse::kSnapshot: {
      const v1::RevocationSnapshot& part = message.snapshot();
      if (!incoming_snapshot_.has_value()) incoming_snapshot_.emplace();
      for (const v1::WatchedRevocation& revocation : part.revocations()) {
        if (absl::Status s = CheckRevocation(revocation); !s.ok()) return s;
        incoming_snapshot_->Add(revocation);
      }
      if (part.complete()) {
        current_ = *std::move(incoming_snapshot_);
        incoming_snapshot_.reset();
        had_snapshot_ = true;
        // Why: the replica that sent it may be stale; its next heartbeat says.
        proved_current_at_.reset();
      }
      break;
    }
    case v1::WatchRevocationsResponse::kRevoked: {
      if (absl::Status s = CheckRevocation(message.revoked()); !s.ok()) return s;
      if (!had_snapshot_ || incoming_snapshot_.has_value()) {
        return absl::InvalidArgumentError("watch: a revocation event before a complete snapshot");
      }
      current_.Add(message.revoked());
      break;
    }
    case v1::WatchRevocationsResponse::kHeartbeat:
      untrusted_ = message.heartbeat().stale();
      if (!untrusted_ && had_snapshot_ && !incoming_snapshot_.has_value()) {
        proved_current_at_ = now;
      }
      break;
    case v1::WatchRevocationsResponse::EVENT_NOT_SET:
      return absl::InvalidArgumentError("watch: a message without an event");
  }
  if (message.has_position()) position_ = message.position();
  if (now >= next_forget_) {
    current_.ForgetExpired(now);
    next_forget_ = now + kForgetInterval;
  }
  UpdateSigningKeysHeld();
  return absl::OkStatus();
}

ViewProblem RevocationView::Currency(absl::Time now, absl::Duration max_staleness) const {
  absl::ReaderMutexLock lock(&mu_);
  if (!had_snapshot_) return ViewProblem::kNoSnapshot;
  if (untrusted_) return ViewProblem::kReplicaStale;
  if (!proved_current_at_.has_value() || now - *proved_current_at_ > max_staleness) {
    return ViewProblem::kTooOld;
  }
  return ViewProblem::kNone;
}

bool RevocationView::IsRevoked(absl::string_view token_id, absl::string_view session_id,
                               absl::string_view subject, absl::Time issued_at) const {
  absl::ReaderMutexLock lock(&mu_);
  if (current_.tokens.contains(token_id)) return true;
  if (!session_id.empty() && current_.families.contains(session_id)) return true;
  if (!current_.subjects.empty()) {
    auto it = current_.subjects.find(subject);
    // Whole seconds, as tokend compares: iat has whole seconds, so a token
    // issued in the second of the revocation counts as before it.
    if (it != current_.subjects.end() &&
        absl::ToUnixSeconds(issued_at) <= absl::ToUnixSeconds(it->second.revoked_before)) {
      return true;
    }
  }
  return false;
}

bool RevocationView::IsSigningKeyRevoked(absl::string_view kid) const {
  absl::ReaderMutexLock lock(&mu_);
  return current_.signing_keys.contains(kid);
}

std::optional<v1::RevocationPosition> RevocationView::position() const {
  absl::ReaderMutexLock lock(&mu_);
  return position_;
}

size_t RevocationView::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return current_.size();
}

void RevocationView::Reset() {
  absl::MutexLock lock(&mu_);
  current_ = Entries();
  incoming_snapshot_.reset();
  had_snapshot_ = false;
  untrusted_ = false;
  proved_current_at_.reset();
  position_.reset();
  UpdateSigningKeysHeld();
}

}  // namespace tokend::client
