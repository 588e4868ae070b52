#ifndef TOKEND_SERVER_OPS_OPS_SERVER_H_
#define TOKEND_SERVER_OPS_OPS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ops/metrics.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace tokend::ops {

// What the ops port serves. Each function runs on a thread of its own (one
// per function, never on the thread that reads requests): it must be
// thread-safe, must not throw (a throw is answered 500), and must stay valid
// until Stop(). One call answers every request for its path that arrived
// before the call began, so a slow function delays only its own path.
struct OpsHandlers {
  // OK when the API can serve (keys loaded, database reachable, not
  // draining). Empty: always ready. A failure's message is shown to anyone
  // who reaches the port: keep secrets (DSNs, key paths) out of it.
  std::function<absl::Status()> ready;
  // The current JWK Set, {"keys":[...]}. Empty: /.well-known/jwks.json is 404.
  std::function<std::string()> jwks_json;
  // Not owned; must outlive the server. Null: /metrics is 404.
  Metrics* metrics = nullptr;
};

// The plaintext HTTP ops port (libmicrohttpd, one event-driven thread that
// reads every connection, plus one thread per handler):
//   GET /healthz                -> 200 "ok" while the process runs
//   GET /readyz                 -> 200 "ready" when handlers.ready() is OK,
//                                  else 503 with its message on one line
//   GET /metrics                -> 200 text/plain; version=0.0.4
//   GET /.well-known/jwks.json  -> 200 application/jwk-set+json (the media
//                                  type RFC 7517 section 8.5.1 registers),
//                                  Cache-Control: public, max-age=300
//   HEAD on those paths answers as GET does, without the body.
//   any other path -> 404; any other method on a known path -> 405 with
//   "Allow: GET, HEAD". The query string is ignored.
// A client that connects and then sends slowly or not at all costs one idle
// connection and no thread, so it cannot hold up the probes; the limits below
// bound what many of them cost.
// It carries no secrets (the JWK Set is public), so it needs no TLS; bind it
// to an address that only the cluster reaches.
class OpsServer {
 public:
  // Connections open at once; beyond it new ones wait in the listen backlog.
  static constexpr int kConnectionLimit = 512;
  // Connections open at once from one client address; beyond it new ones
  // from that address are closed at once.
  static constexpr int kPerIpConnectionLimit = 256;
  // A connection that sends or accepts nothing for this long is closed
  // (a request that stalls in its headers, an idle keep-alive connection).
  static constexpr absl::Duration kIdleTimeout = absl::Seconds(3);
  // Memory for one connection's request line and headers (and libmicrohttpd's
  // bookkeeping): a request that needs more is refused (431 or 414).
  static constexpr int kConnectionMemory = 16 * 1024;

  // Listens on `listen`, "host:port": host an IPv4 literal (0.0.0.0 for every
  // interface), an IPv6 literal in brackets ([::] for every interface, which
  // serves IPv4 clients too where the host allows dual-stack sockets, and
  // falls back to 0.0.0.0 where the host has no IPv6 at all), or a DNS name,
  // resolved once here to its first IPv4 address, else its first IPv6 one;
  // port 0 picks a free port (see port()).
  // INVALID_ARGUMENT for a malformed address; UNAVAILABLE naming the address
  // when the name does not resolve or the address cannot be bound (in use,
  // not local). Never aborts.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(const std::string& listen,
                                                          OpsHandlers handlers);

  ~OpsServer();  // Stop()s
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

  // Stops listening (new clients are refused at once), lets the handlers
  // finish their calls and answer the requests queued for them, waits at
  // most a second more for answers still being sent, then closes every
  // connection. Takes milliseconds unless a handler is slow. Idempotent; call
  // it from one thread only, never from a handler.
  void Stop();

 private:
  class Lane;       // one handler's thread
  struct Request;   // one request's state
  class Callbacks;  // libmicrohttpd's callbacks

  explicit OpsServer(OpsHandlers handlers);
  // The lane that answers `request`, or nullptr when it is answered already.
  Lane* Route(Request& request, const char* url, const char* method);

  OpsHandlers handlers_;
  std::unique_ptr<Lane> readiness_;
  std::unique_ptr<Lane> metrics_;
  std::unique_ptr<Lane> jwks_;
  MHD_Daemon* daemon_ = nullptr;
  int listener_ = -1;
  int port_ = 0;

  absl::Mutex mu_;
  int open_requests_ ABSL_GUARDED_BY(mu_) = 0;
  std::string start_error_ ABSL_GUARDED_BY(mu_);  // the first message while starting
  bool starting_ ABSL_GUARDED_BY(mu_) = true;
  absl::Time last_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int unlogged_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tokend::ops

#endif  // TOKEND_SERVER_OPS_OPS_SERVER_H_
