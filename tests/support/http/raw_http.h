#ifndef TOKEND_TESTS_SUPPORT_HTTP_RAW_HTTP_H_
#define TOKEND_TESTS_SUPPORT_HTTP_RAW_HTTP_H_

// Plain-socket HTTP for tests of the ops port: one request with everything
// (connect included) bounded by a deadline, over IPv4 or IPv6, from a chosen
// source address; and a crowd of clients that send a partial request and
// then wait, as a slow or hostile client does.
//
// Include as "tests/support/http/raw_http.h"; link tokend_test_http.

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tokend::testing {

struct RawHttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Sends `method target HTTP/1.1` (Host, Connection: close) to `host`:`port`,
// host a numeric IPv4 or IPv6 address (no brackets), from `source` (a
// numeric address of the same family; empty: the kernel's choice), and reads
// until the server closes. `extra_headers` ("Name: value\r\n" lines) go
// after Host and Connection. Everything, connect included, ends by `timeout`:
// DEADLINE_EXCEEDED then. UNAVAILABLE when the connection is refused or
// closed before a complete header block; INTERNAL for an unparsable answer.
absl::StatusOr<RawHttpResponse> RawHttpRequest(const std::string& host, int port,
                                               const std::string& method, const std::string& target,
                                               absl::Duration timeout = absl::Seconds(5),
                                               const std::string& source = "",
                                               const std::string& extra_headers = "");

// Whether this host can listen on and connect to ::1.
bool HostHasIpv6Loopback();

// `count` connections to host:port, each of which sends `partial` (a request
// without its blank line) and then waits; a connection the server closes or
// answers is opened again. Runs on its own thread from Start until Stop (or
// destruction). Uses count + a few descriptors.
class StallingClients {
 public:
  StallingClients(std::string host, int port, int count,
                  std::string partial = "GET /healthz HTTP/1.1\r\n");
  ~StallingClients();  // Stop()s
  StallingClients(const StallingClients&) = delete;
  StallingClients& operator=(const StallingClients&) = delete;

  void Start();
  void Stop();
  // Waits until every connection has sent its partial request at least once;
  // false if that takes longer than `timeout`.
  bool WaitUntilAllStalled(absl::Duration timeout);
  // Connections that have sent their partial request and wait now.
  int stalled() const { return stalled_.load(); }
  // How often the server closed (or answered) a stalled connection.
  int dropped() const { return dropped_.load(); }

 private:
  void Run();

  const std::string host_;
  const int port_;
  const int count_;
  const std::string partial_;
  std::atomic<bool> stop_{false};
  std::atomic<int> stalled_{0};
  std::atomic<int> ever_stalled_{0};
  std::atomic<int> dropped_{0};
  std::thread thread_;
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_HTTP_RAW_HTTP_H_
