#ifndef TOKEND_TESTS_SUPPORT_PG_PROXY_PG_PROXY_H_
#define TOKEND_TESTS_SUPPORT_PG_PROXY_PG_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

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
// has committed, and the client never learns it. It can also cut every
// connection and refuse new ones for a while, and hold bytes back, as a
// broken or slow network would. Thread-safe.
class PgProxy {
 public:
  // Listens on 127.0.0.1 (a free port) in front of 127.0.0.1:`target_port`.
  static absl::StatusOr<std::unique_ptr<PgProxy>> Start(int target_port);
  ~PgProxy();

  int port() const { return port_; }

  // Cuts the next connection that runs `statement` (see above), once.
  void CutAfterCommitOf(std::string statement);
  // How many connections were cut so far (by CutAfterCommitOf or SetCut).
  int cuts() const { return cuts_.load(); }
  // How many new connections were closed at once while cut: the attempts
  // of a client that cannot get through.
  int refused() const { return refused_.load(); }

  // true: closes every open connection, both ways, and closes each new one
  // as soon as it is accepted, until SetCut(false) lets them through again.
  void SetCut(bool cut);
  // Holds every chunk of bytes, either way, for `delay` before forwarding it
  // (zero: forwards at once). Applies to chunks read from now on.
  void SetDelay(absl::Duration delay);

 private:
  PgProxy() = default;
  void Accept();
  void Relay(int client, int server, std::atomic<bool>* done);
  // Joins the relays that have finished, so that a long run of cuts does
  // not keep their threads.
  void ReapRelays() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct RelayThread {
    std::thread thread;
    std::unique_ptr<std::atomic<bool>> done;
  };

  int listener_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> cuts_{0};
  std::atomic<int> refused_{0};
  std::atomic<bool> cut_{false};
  std::atomic<int64_t> delay_us_{0};
  absl::Mutex mu_;
  std::string armed_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
  std::vector<RelayThread> relays_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_PG_PROXY_PG_PROXY_H_
