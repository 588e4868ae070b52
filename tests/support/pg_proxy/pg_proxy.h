#ifndef TOKEND_TESTS_SUPPORT_PG_PROXY_PG_PROXY_H_
#define TOKEND_TESTS_SUPPORT_PG_PROXY_PG_PROXY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace tokend::testing {

// A TCP proxy on loopback in front of a PostgreSQL server, for tests of what
// tokend does when a connection breaks at the worst moment: after PostgreSQL
// committed a statement, before tokend heard so.
//
// It forwards bytes both ways and reads PostgreSQL's replies as protocol
// messages (type byte and length), so the client must not ask for TLS or
// GSS encryption (a DSN with sslmode=disable gssencmode=disable). When armed
// with a prepared statement's name, the first connection whose client then
// binds that statement is closed, both ways, in place of forwarding the
// ReadyForQuery that follows: by then the statement's implicit transaction
// has committed, and the client never learns it. Thread-safe.
class PgProxy {
 public:
  // Listens on 127.0.0.1 (a free port) in front of 127.0.0.1:`target_port`.
  static absl::StatusOr<std::unique_ptr<PgProxy>> Start(int target_port);
  ~PgProxy();

  int port() const { return port_; }

  // Cuts the next connection that runs `statement` (see above), once.
  void CutAfterCommitOf(std::string statement);
  // How many connections were cut so far.
  int cuts() const { return cuts_.load(); }

 private:
  PgProxy() = default;
  void Accept();
  void Relay(int client, int server);

  int listener_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> cuts_{0};
  absl::Mutex mu_;
  std::string armed_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
  std::vector<std::thread> relays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_PG_PROXY_PG_PROXY_H_
