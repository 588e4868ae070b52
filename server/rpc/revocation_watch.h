#ifndef TOKEND_SERVER_RPC_REVOCATION_WATCH_H_
#define TOKEND_SERVER_RPC_REVOCATION_WATCH_H_

#include <grpcpp/grpcpp.h>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "service/revocation_log.h"
#include "service/revocation_set.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::rpc {

struct WatchOptions {
  // Every open stream gets a heartbeat this often.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  // A stream to which more than this many revocations arrive while one of
  // its messages waits for the connection to take it (the watcher does not
  // read) is ended with RESOURCE_EXHAUSTED; at most the log's capacity, so
  // that it can resume.
  size_t max_pending_events = 1000;
  // Streams open at once; one more is refused with RESOURCE_EXHAUSTED.
  size_t max_watchers = 1000;
  // A snapshot is sent in parts of about this many bytes (and at least one
  // revocation each), well under a client's default 4 MiB message limit.
  size_t snapshot_part_bytes = 256 * 1024;
};

class WatchStream;

// The server side of WatchRevocations: every open stream, the heartbeat
// thread, and the wake-ups from the revocation log. Served from memory only.
//
// Why the callback API with one reactor per stream: a stream spends its life
// waiting, and must not hold a thread while it does (a sync-API stream would,
// and enough watchers would starve the unary RPCs). Each stream pulls the
// next message from the shared log when its previous write is done, so it
// holds at most one message and its place in the log: memory per stream is
// bounded whatever the watcher does, and one that does not read falls behind
// until it is cut (max_pending_events).
class RevocationWatchers {
 public:
  // Every pointer must outlive this object, which must outlive the gRPC
  // server (its streams call back into it until their OnDone). Starts the
  // heartbeat thread and listens to `log`, the one `set` appends to.
  RevocationWatchers(const service::RevocationSet* set, service::RevocationLog* log,
                     const common::Clock* clock, WatchOptions options);
  ~RevocationWatchers();  // Stop()s.

  RevocationWatchers(const RevocationWatchers&) = delete;
  RevocationWatchers& operator=(const RevocationWatchers&) = delete;

  // A reactor serving one WatchRevocations call (the caller is already
  // authorized). RESOURCE_EXHAUSTED when max_watchers streams are open;
  // UNAVAILABLE after Stop.
  grpc::ServerWriteReactor<v1::WatchRevocationsResponse>* Open(
      grpc::CallbackServerContext* context, const v1::WatchRevocationsRequest& request);

  // Ends every open stream with UNAVAILABLE and refuses new ones, so that a
  // server shutting down does not wait for its watchers (they reconnect
  // elsewhere with their position). Idempotent; does not wait for the
  // streams' OnDone (the gRPC server's shutdown does).
  void Stop();

  // Streams open now, for metrics.
  size_t open_streams() const;

 private:
  friend class WatchStream;

  // The streams, copied under the lock: calls into them happen without it,
  // so that a stream finishing inline cannot deadlock with this object.
  std::vector<std::shared_ptr<WatchStream>> Streams() const;
  void Remove(const WatchStream* stream);
  // The snapshot for a new stream: the cached one if the log has not moved
  // since it was taken (so that many watchers reconnecting at once share
  // one copy), else a new one.
  std::shared_ptr<const service::RevocationSet::Snapshot> CurrentSnapshot();
  void HeartbeatLoop();

  const service::RevocationSet* const set_;
  service::RevocationLog* const log_;
  const common::Clock* const clock_;
  const WatchOptions options_;
  int listener_id_ = 0;

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<WatchStream>> streams_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const service::RevocationSet::Snapshot> cached_snapshot_ ABSL_GUARDED_BY(mu_);

  absl::Notification stop_heartbeats_;
  std::thread heartbeats_;
};

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_REVOCATION_WATCH_H_
