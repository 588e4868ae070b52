#ifndef TOKEND_SERVER_RPC_API_SERVER_H_
#define TOKEND_SERVER_RPC_API_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "ops/metrics.h"
#include "rpc/server_credentials.h"
#include "rpc/token_service_impl.h"

namespace tokend::rpc {

struct ApiServerOptions {
  std::string listen;  // "host:port"; port 0 picks a free one
  TlsFiles tls;
  // Whether the replica can serve right now (for example, its revocation
  // view is current); the health service follows it. Empty: always.
  std::function<bool()> can_serve;
  // Connection limits. Why: a connection is trusted for what its handshake
  // showed, so none may live for ever (every call is also checked again,
  // peer_certificate_check.h). At max_connection_age (+-10% jitter, gRPC's)
  // the server sends GOAWAY, and calls in flight get the grace to finish;
  // clients reconnect with a new handshake. A client that has not finished
  // its TLS handshake after handshake_timeout is disconnected.
  absl::Duration max_connection_age = absl::Minutes(30);
  absl::Duration max_connection_age_grace = absl::Seconds(30);
  absl::Duration handshake_timeout = absl::Seconds(5);
  // Calls one connection may have open at once (HTTP/2 streams); 0: gRPC's
  // default, no limit. Bounds what one connection can pile onto the server.
  int max_concurrent_streams = 0;
  // Whether to serve gRPC server reflection (grpc.reflection.v1alpha) on the
  // same port, behind the same mutual TLS, to any caller whose certificate
  // chains to the client CA: it reveals only the public schema.
  bool reflection = false;
};

// The service name tokend registers with the standard health service, beside
// the empty name: both answer the same.
inline constexpr char kHealthServiceName[] = "tokend.v1.TokenService";

// The API port: TokenService and the standard health service over mutual
// TLS, with tokend's limits and interceptors, from start to drain.
class ApiServer {
 public:
  // Listens and serves `service` and the standard health service, for ""
  // and kHealthServiceName: SERVING while options.can_serve() says so and
  // the server is not draining, NOT_SERVING otherwise (checked every
  // 250 ms). `service` and `metrics` must outlive the server. UNAVAILABLE naming the address when
  // it cannot listen (for example, the port is in use).
  // Listens and serves `service` (and health, SERVING). `service` and
  // `metrics` must outlive the server. UNAVAILABLE naming the address when
  // it cannot listen (for example, the port is in use); NOT_FOUND or
  // INVALID_ARGUMENT naming tls.client_ca_file when the CA bundle for the
  // per-call check cannot be read.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(const ApiServerOptions& options,
                                                          TokenServiceImpl* service,
                                                          ops::Metrics* metrics);

  // The port it listens on.
  int port() const { return port_; }

  // Whether Drain has begun; readiness answers 503 from then on.
  bool draining() const { return draining_.load(); }

  // The shutdown sequence: health turns NOT_SERVING (and draining() true),
  // WatchRevocations streams end (UNAVAILABLE: long-lived, they would only
  // hold the shutdown up; watchers resume elsewhere from their position),
  // new calls are still answered for `delay` so that endpoints and balancers
  // stop routing first, then the port closes and in-flight calls get `grace`
  // to finish. Returns when every call has finished. Why it may end the
  // process instead: gRPC cancels calls still running after `grace`, but
  // waits for their handlers, and one blocked on a stalled database would
  // hold the process (and finish its write after its caller was told
  // UNAVAILABLE); every database write is one transaction, which PostgreSQL
  // rolls back when the connection closes, so exiting (status 0) then
  // half-writes nothing.
  void Drain(absl::Duration delay, absl::Duration grace);

  ~ApiServer();

 private:
  ApiServer() = default;
  // Sets the health of both names when it changes.
  void UpdateHealth();

  std::unique_ptr<grpc::Server> server_;
  TokenServiceImpl* service_ = nullptr;
  int port_ = 0;
  std::function<bool()> can_serve_;
  std::atomic<bool> draining_{false};
  absl::Mutex mu_;
  std::optional<bool> serving_ ABSL_GUARDED_BY(mu_);  // as last set
  absl::Notification stop_health_;
  std::thread health_;
};

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_API_SERVER_H_
