#ifndef TOKEND_SERVER_OPS_OPS_SERVER_H_
#define TOKEND_SERVER_OPS_OPS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ops/metrics.h"

struct mg_context;
struct mg_connection;

namespace tokend::ops {

// What the ops port serves. Every function runs on one of the server's
// worker threads, possibly several at once: each must be thread-safe, must
// not throw (a throw is answered 500), and must stay valid until Stop().
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

// The plaintext HTTP ops port (civetweb, 4 worker threads, no keep-alive,
// 5 s request timeout):
//   GET /healthz                -> 200 "ok" while the process runs
//   GET /readyz                 -> 200 "ready" when handlers.ready() is OK,
//                                  else 503 with its message on one line
//   GET /metrics                -> 200 text/plain; version=0.0.4
//   GET /.well-known/jwks.json  -> 200 application/jwk-set+json (the media
//                                  type RFC 7517 section 8.5.1 registers),
//                                  Cache-Control: public, max-age=300
//   any other path -> 404; any other method on a known path -> 405 with
//   "Allow: GET". The query string is ignored.
// It carries no secrets (the JWK Set is public), so it needs no TLS; bind it
// to an address that only the cluster reaches.
class OpsServer {
 public:
  // Listens on `listen`, "host:port": host an IPv4 literal (0.0.0.0 for every
  // interface) or a DNS name, resolved once here to its first IPv4 address;
  // port 0 picks a free port (see port()).
  // INVALID_ARGUMENT for a malformed address or an IPv6 one (Debian's
  // civetweb is built without IPv6); UNAVAILABLE naming the address when the
  // name does not resolve or the address cannot be bound (in use, not
  // local). Never aborts. Side effect of civetweb: SIGPIPE is ignored.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(
      const std::string& listen, OpsHandlers handlers);

  ~OpsServer();  // Stop()s
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // The port actually bound.
  int port() const { return port_; }

  // Stops listening (new clients are refused at once) and waits for
  // in-flight requests to finish; takes milliseconds. Idempotent; call it
  // from one thread only, never from a handler.
  void Stop();

 private:
  explicit OpsServer(OpsHandlers handlers);
  static int HandleRequest(mg_connection* conn, void* self);
  int Handle(mg_connection* conn);

  OpsHandlers handlers_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::string ip_;  // the IPv4 address bound
};

}  // namespace tokend::ops

#endif  // TOKEND_SERVER_OPS_OPS_SERVER_H_
