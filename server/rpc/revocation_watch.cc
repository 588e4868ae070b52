#include "rpc/revocation_watch.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rpc/proto_conversion.h"

namespace tokend::rpc {

using service::RevocationLog;
using Snapshot = service::RevocationSet::Snapshot;

namespace {

// A call refused before it streams anything.
class RefusedStream final : public grpc::ServerWriteReactor<v1::WatchRevocationsResponse> {
 public:
  explicit RefusedStream(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

// One WatchRevocations call. Sends, one message at a time, whichever comes
// first: the next part of its snapshot, the next event of the log after its
// cursor, a due heartbeat. Every state change happens under mu_; gRPC's
// Start* and Finish are called without it, because a reaction may run on
// the calling thread and take it.
class WatchStream final : public grpc::ServerWriteReactor<v1::WatchRevocationsResponse> {
 public:
  // `snapshot` null: resume after `cursor`, sending only the log's events.
  WatchStream(RevocationWatchers* owner, std::shared_ptr<const Snapshot> snapshot,
              v1::RevocationSnapshot::Reason reason, uint64_t cursor, bool stale)
      : owner_(owner),
        snapshot_(std::move(snapshot)),
        reason_(reason),
        cursor_(cursor),
        stale_(stale) {}

  // Keeps itself alive until OnDone; call once, before anything can end it.
  void KeepAliveUntilDone(std::shared_ptr<WatchStream> self) {
    absl::MutexLock lock(&mu_);
    self_ = std::move(self);
  }

  // Sends what there is to send, or ends a stream that fell too far behind.
  void Pump() {
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      // Checked even while a write is in flight: a watcher that does not
      // read keeps its write in flight for ever. Counted from the start of
      // that write, not from the cursor: a watcher resuming from far back
      // that reads as fast as it is sent is catching up, not stuck.
      const uint64_t head = owner_->log_->last_sequence();
      if (write_in_flight_ && head - head_at_write_ > owner_->options_.max_pending_events) {
        finish = grpc::Status(
            grpc::StatusCode::RESOURCE_EXHAUSTED,
            absl::StrCat("watcher too slow: more than ", owner_->options_.max_pending_events,
                         " revocations arrived while one message waited for it; reconnect with "
                         "the last position seen"));
      } else if (write_in_flight_) {
        return;
      } else {
        switch (Next(&response_)) {
          case NextMessage::kNone:
            return;
          case NextMessage::kReady:
            write_in_flight_ = true;
            head_at_write_ = head;
            break;
          case NextMessage::kLost:
            finish = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                  "watcher too slow: its position is no longer kept; reconnect "
                                  "with the last position seen");
            break;
        }
      }
      if (finish.has_value()) finishing_ = true;
    }
    if (finish.has_value()) {
      Finish(*std::move(finish));
    } else {
      StartWrite(&response_);
    }
  }

  // The heartbeat is due; `stale` is the view's state now.
  void Tick(bool stale) {
    {
      absl::MutexLock lock(&mu_);
      heartbeat_due_ = true;
      stale_ = stale;
    }
    Pump();
  }

  // Ends the stream with `status` unless it is already ending.
  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      finishing_ = true;
    }
    Finish(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    {
      absl::MutexLock lock(&mu_);
      write_in_flight_ = false;
    }
    // Not ok: the call is broken or cancelled; it still must be finished.
    if (!ok) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "stream broken"));
      return;
    }
    Pump();
  }

  void OnCancel() override { End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

  void OnDone() override {
    owner_->Remove(this);
    std::shared_ptr<WatchStream> self;
    {
      absl::MutexLock lock(&mu_);
      self = std::move(self_);
    }
    // `self` may be the last reference: nothing may touch this object after.
  }

 private:
  enum class NextMessage { kNone, kReady, kLost };

  NextMessage Next(v1::WatchRevocationsResponse* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    out->Clear();
    out->mutable_position()->set_epoch(owner_->log_->epoch());
    if (snapshot_ != nullptr) {
      out->mutable_position()->set_sequence(snapshot_->sequence);
      v1::RevocationSnapshot* part = out->mutable_snapshot();
      part->set_reason(reason_);
      const absl::Time now = owner_->clock_->Now();
      size_t bytes = 0;
      while (next_in_snapshot_ < snapshot_->revocations.size() &&
             (bytes < owner_->options_.snapshot_part_bytes || part->revocations_size() == 0)) {
        const store::Revocation& r = snapshot_->revocations[next_in_snapshot_++];
        // The snapshot may be shared and older than now: what expired since
        // covers no active token, so it is left out.
        if (r.expires_at <= now) continue;
        v1::WatchedRevocation* w = part->add_revocations();
        ToProto(r, w);
        bytes += w->ByteSizeLong() + 4;
      }
      if (next_in_snapshot_ == snapshot_->revocations.size()) {
        part->set_complete(true);
        snapshot_.reset();
      }
      return NextMessage::kReady;
    }
    RevocationLog::ReadResult read = owner_->log_->ReadAfter(cursor_, 1);
    if (read.outcome != RevocationLog::ReadOutcome::kOk) return NextMessage::kLost;
    if (!read.events.empty()) {
      cursor_ = read.events.front().sequence;
      out->mutable_position()->set_sequence(cursor_);
      ToProto(read.events.front().revocation, out->mutable_revoked());
      return NextMessage::kReady;
    }
    if (heartbeat_due_) {
      heartbeat_due_ = false;
      out->mutable_position()->set_sequence(cursor_);
      out->mutable_heartbeat()->set_stale(stale_);
      return NextMessage::kReady;
    }
    return NextMessage::kNone;
  }

  RevocationWatchers* const owner_;

  absl::Mutex mu_;
  std::shared_ptr<WatchStream> self_ ABSL_GUARDED_BY(mu_);
  // The snapshot still being sent (null once complete) and the next index.
  std::shared_ptr<const Snapshot> snapshot_ ABSL_GUARDED_BY(mu_);
  size_t next_in_snapshot_ ABSL_GUARDED_BY(mu_) = 0;
  const v1::RevocationSnapshot::Reason reason_;
  // The sequence number of the last event sent (or of the snapshot).
  uint64_t cursor_ ABSL_GUARDED_BY(mu_);
  // A heartbeat is owed; the first goes right after the catch-up, so a new
  // watcher learns at once whether the view is stale.
  bool heartbeat_due_ ABSL_GUARDED_BY(mu_) = true;
  bool stale_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  // The log's last sequence number when the write in flight started.
  uint64_t head_at_write_ ABSL_GUARDED_BY(mu_) = 0;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  // The message being written; only the thread that set write_in_flight_
  // touches it until OnWriteDone.
  v1::WatchRevocationsResponse response_;
};

RevocationWatchers::RevocationWatchers(const service::RevocationSet* set,
                                       service::RevocationLog* log, const common::Clock* clock,
                                       WatchOptions options)
    : set_(set), log_(log), clock_(clock), options_(options) {
  listener_id_ = log_->AddListener([this] {
    for (const std::shared_ptr<WatchStream>& stream : Streams()) stream->Pump();
  });
  heartbeats_ = std::thread([this] { HeartbeatLoop(); });
}

RevocationWatchers::~RevocationWatchers() { Stop(); }

void RevocationWatchers::Stop() {
  std::vector<std::shared_ptr<WatchStream>> streams;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    streams = streams_;
  }
  log_->RemoveListener(listener_id_);
  stop_heartbeats_.Notify();
  if (heartbeats_.joinable()) heartbeats_.join();
  for (const std::shared_ptr<WatchStream>& stream : streams) {
    stream->End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "server shutting down; reconnect with the last position seen"));
  }
}

size_t RevocationWatchers::open_streams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

std::vector<std::shared_ptr<WatchStream>> RevocationWatchers::Streams() const {
  absl::MutexLock lock(&mu_);
  return streams_;
}

void RevocationWatchers::Remove(const WatchStream* stream) {
  absl::MutexLock lock(&mu_);
  std::erase_if(streams_, [stream](const auto& s) { return s.get() == stream; });
}

std::shared_ptr<const Snapshot> RevocationWatchers::CurrentSnapshot() {
  {
    absl::MutexLock lock(&mu_);
    if (cached_snapshot_ != nullptr && cached_snapshot_->sequence == log_->last_sequence()) {
      return cached_snapshot_;
    }
  }
  // Copied without mu_: it may take a while for a large view.
  auto snapshot = std::make_shared<const Snapshot>(set_->TakeSnapshot());
  absl::MutexLock lock(&mu_);
  if (cached_snapshot_ == nullptr || cached_snapshot_->sequence < snapshot->sequence) {
    cached_snapshot_ = snapshot;
  }
  return snapshot;
}

grpc::ServerWriteReactor<v1::WatchRevocationsResponse>* RevocationWatchers::Open(
    grpc::CallbackServerContext* /*context*/, const v1::WatchRevocationsRequest& request) {
  auto refusal = [this]() -> std::optional<grpc::Status> {
    if (stopped_) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "server shutting down; watch another replica");
    }
    if (streams_.size() >= options_.max_watchers) {
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                          "too many watchers on this replica; retry with backoff");
    }
    return std::nullopt;
  };
  {
    absl::MutexLock lock(&mu_);
    if (std::optional<grpc::Status> refused = refusal(); refused.has_value()) {
      return new RefusedStream(*std::move(refused));
    }
  }

  v1::RevocationSnapshot::Reason reason = v1::RevocationSnapshot::REASON_NO_POSITION;
  std::optional<uint64_t> resume_after;
  if (request.has_resume_from()) {
    reason = v1::RevocationSnapshot::REASON_UNKNOWN_POSITION;
    if (request.resume_from().epoch() == log_->epoch()) {
      switch (log_->ReadAfter(request.resume_from().sequence(), 0).outcome) {
        case RevocationLog::ReadOutcome::kOk:
          resume_after = request.resume_from().sequence();
          break;
        case RevocationLog::ReadOutcome::kTooOld:
          reason = v1::RevocationSnapshot::REASON_POSITION_TOO_OLD;
          break;
        case RevocationLog::ReadOutcome::kUnknown:
          break;
      }
    }
  }
  std::shared_ptr<const Snapshot> snapshot;
  if (!resume_after.has_value()) snapshot = CurrentSnapshot();
  const uint64_t cursor = resume_after.has_value() ? *resume_after : snapshot->sequence;
  auto stream = std::make_shared<WatchStream>(this, std::move(snapshot), reason, cursor,
                                              !set_->IsCurrent(clock_->Now()));
  stream->KeepAliveUntilDone(stream);
  {
    absl::MutexLock lock(&mu_);
    if (std::optional<grpc::Status> refused = refusal(); refused.has_value()) {
      stream->End(*std::move(refused));
      return stream.get();
    }
    streams_.push_back(stream);
  }
  stream->Pump();
  return stream.get();
}

void RevocationWatchers::HeartbeatLoop() {
  while (!stop_heartbeats_.WaitForNotificationWithTimeout(options_.heartbeat_interval)) {
    const bool stale = !set_->IsCurrent(clock_->Now());
    for (const std::shared_ptr<WatchStream>& stream : Streams()) stream->Tick(stale);
  }
}

}  // namespace tokend::rpc
