#include "service/revocation_log.h"

#include <algorithm>
#include <utility>

namespace tokend::service {

RevocationLog::RevocationLog(std::string epoch, size_t capacity)
    : epoch_(std::move(epoch)), capacity_(std::max<size_t>(capacity, 1)) {}

uint64_t RevocationLog::Append(const store::Revocation& applied) {
  absl::MutexLock lock(&mu_);
  const uint64_t sequence = ++last_sequence_;
  if (ring_.size() == capacity_) ring_.pop_front();
  ring_.push_back(AppliedRevocation{sequence, applied});
  return sequence;
}

uint64_t RevocationLog::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

RevocationLog::ReadResult RevocationLog::ReadAfter(uint64_t after, size_t max_events) const {
  ReadResult result;
  absl::MutexLock lock(&mu_);
  if (after > last_sequence_) {
    result.outcome = ReadOutcome::kUnknown;
    return result;
  }
  // The ring holds last_sequence_ - ring_.size() + 1 .. last_sequence_.
  const uint64_t oldest_kept = last_sequence_ - ring_.size() + 1;
  if (after + 1 < oldest_kept) {
    result.outcome = ReadOutcome::kTooOld;
    return result;
  }
  const size_t first = static_cast<size_t>(after + 1 - oldest_kept);
  const size_t count = std::min(max_events, ring_.size() - first);
  result.events.assign(ring_.begin() + static_cast<std::ptrdiff_t>(first),
                       ring_.begin() + static_cast<std::ptrdiff_t>(first + count));
  return result;
}

int RevocationLog::AddListener(std::function<void()> listener) {
  absl::MutexLock lock(&listeners_mu_);
  const int id = ++next_listener_id_;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void RevocationLog::RemoveListener(int id) {
  absl::MutexLock lock(&listeners_mu_);
  listeners_.erase(id);
}

void RevocationLog::Notify() {
  absl::MutexLock lock(&listeners_mu_);
  for (auto& [id, listener] : listeners_) listener();
}

}  // namespace tokend::service
