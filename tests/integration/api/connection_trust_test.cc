// Connections do not outlive the trust they were opened with: a call on a
// connection whose client certificate was rotated out of the client CA
// bundle, or has expired since the handshake, is refused; a client that
// never finishes its TLS handshake is dropped; a long-lived connection is
// closed at its maximum age, gracefully, and the client reconnects.
//
// Each test runs its own tokend with short limits, over real mutual TLS.

#include <grpcpp/grpcpp.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

// The reload interval of the tests' servers: short, so that a rotation
// takes effect quickly.
constexpr absl::Duration kReload = absl::Seconds(1);

// Replaces `path` atomically (write beside it, rename), as a Secret update does.
::testing::AssertionResult Install(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  if (absl::Status s = WriteTextFile(tmp, text); !s.ok()) {
    return ::testing::AssertionFailure() << s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return ::testing::AssertionFailure() << "rename " << tmp << ": " << std::strerror(errno);
  }
  return ::testing::AssertionSuccess();
}

// The server's log once it holds `line`, or after 5 s. Why wait: the
// server writes the line before it answers, but its stderr reaches the
// test through a pipe read by another thread, possibly after the answer.
std::string LogOnceItHolds(const TokendServer& server, absl::string_view line) {
  const absl::Time give_up = absl::Now() + absl::Seconds(5);
  std::string log = server.log();
  while (!absl::StrContains(log, line) && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
    log = server.log();
  }
  return log;
}

// Starts tokend with the bed's configuration, a reload interval of kReload,
// `client_ca_file`, and `tls_lines` (YAML, indented by two) added to its
// `tls` section.
absl::StatusOr<std::unique_ptr<TokendServer>> StartServer(const std::string& client_ca_file,
                                                          const std::string& tls_lines = "") {
  TokendConfig config = Bed().Config();
  config.client_ca_file = client_ca_file;
  config.tls_reload_interval = absl::FormatDuration(kReload);
  const std::string yaml = absl::StrReplaceAll(config.ToYaml(), {{"tls:\n", "tls:\n" + tls_lines}});
  const std::string path = absl::StrCat(Bed().dir(), "/", Unique("connection-trust"), ".yaml");
  if (absl::Status s = WriteTextFile(path, yaml); !s.ok()) return s;
  return TokendServer::Start(path);
}

// A copy of the bed's client CA bundle that a test may replace.
std::string OwnClientCaFile() {
  const std::string path = absl::StrCat(Bed().dir(), "/", Unique("client-ca"), ".crt");
  EXPECT_TRUE(Install(path, test::ReadTextFile(Bed().pki().ca_file())));
  return path;
}

// GetJwks through `stub`: the call's status.
grpc::Status GetJwks(v1::TokenService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetJwksResponse response;
  return stub.GetJwks(&context, v1::GetJwksRequest(), &response);
}

grpc::Status Introspect(v1::TokenService::Stub& stub) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::IntrospectResponse response;
  return stub.Introspect(&context, IntrospectRequest("not-a-token"), &response);
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), " ", status.error_message());
}

TEST(ConnectionTrust, ACallOnAnOpenConnectionIsRefusedOnceItsCaIsRotatedOut) {
  const std::string client_ca = OwnClientCaFile();
  absl::StatusOr<std::unique_ptr<TokendServer>> server = StartServer(client_ca);
  ASSERT_TRUE(server.ok()) << server.status();
  const test::CertFiles& cert = Bed().pki().client_uri();
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel((*server)->target(), SslCredentialsFor(&cert));
  std::unique_ptr<v1::TokenService::Stub> stub = v1::TokenService::NewStub(channel);
  grpc::Status before = GetJwks(*stub);
  ASSERT_TRUE(before.ok()) << Describe(before);
  ASSERT_TRUE(Introspect(*stub).ok());

  // The bundle now trusts only the other CA.
  ASSERT_TRUE(Install(client_ca, test::ReadTextFile(Bed().pki().untrusted_ca_file())));
  absl::SleepFor(kReload + absl::Milliseconds(1500));

  // The next calls on the connection opened before are refused, whatever
  // the RPC. (A new connection would fail its handshake: UNAVAILABLE.)
  grpc::Status after = GetJwks(*stub);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(after);
  EXPECT_EQ(after.error_message(), "client certificate no longer trusted");
  EXPECT_EQ(Introspect(*stub).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  constexpr absl::string_view kUntrustedLine =
      "msg=\"call refused: client certificate no longer trusted\"";
  const std::string log = LogOnceItHolds(**server, kUntrustedLine);
  EXPECT_TRUE(absl::StrContains(log, kUntrustedLine)) << log;
  EXPECT_TRUE(absl::StrContains(log, absl::StrCat("caller=", test::kClientUri))) << log;

  // A certificate of the CA now in the bundle gets in.
  const test::CertFiles& other = Bed().pki().client_untrusted();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = test::ReadTextFile(Bed().pki().ca_file());
  options.pem_cert_chain = test::ReadTextFile(other.cert_file);
  options.pem_private_key = test::ReadTextFile(other.key_file);
  std::unique_ptr<v1::TokenService::Stub> other_stub = v1::TokenService::NewStub(
      grpc::CreateChannel((*server)->target(), grpc::SslCredentials(options)));
  grpc::Status newcomer = GetJwks(*other_stub);
  EXPECT_TRUE(newcomer.ok()) << Describe(newcomer);
}

TEST(ConnectionTrust, ACallOnAnOpenConnectionIsRefusedOnceTheClientCertificateHasExpired) {
  absl::StatusOr<std::unique_ptr<TokendServer>> server = StartServer(Bed().pki().ca_file());
  ASSERT_TRUE(server.ok()) << server.status();
  // Valid for a few more seconds (whole seconds: the certificate's notAfter).
  test::CertSpec spec;
  spec.name = Unique("expiring-client");
  spec.common_name = "expiring-client";
  spec.sans = {{test::SubjectAltName::Type::kUri, test::kClientUri}};
  spec.not_after = absl::Seconds(3);
  const absl::Time expiry = absl::Now() + spec.not_after;
  absl::StatusOr<test::CertFiles> cert = Bed().pki().IssueCert(spec);
  ASSERT_TRUE(cert.ok()) << cert.status();
  std::unique_ptr<v1::TokenService::Stub> stub = v1::TokenService::NewStub(
      grpc::CreateChannel((*server)->target(), SslCredentialsFor(&*cert)));
  grpc::Status before = GetJwks(*stub);
  ASSERT_TRUE(before.ok()) << Describe(before);
  ASSERT_LT(absl::Now(), expiry) << "the machine is too slow for this test's timing";

  absl::SleepFor(expiry - absl::Now() + absl::Seconds(1));
  grpc::Status after = GetJwks(*stub);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(after);
  EXPECT_EQ(after.error_message(), "client certificate expired");
  constexpr absl::string_view kExpiredLine = "msg=\"call refused: client certificate expired\"";
  const std::string log = LogOnceItHolds(**server, kExpiredLine);
  EXPECT_TRUE(absl::StrContains(log, kExpiredLine)) << log;
}

// Connects to 127.0.0.1:`port` and sends nothing; returns how long the
// server took to close the connection, or `give_up` if it had not by then.
absl::StatusOr<absl::Duration> TimeUntilDisconnected(int port, absl::Duration give_up) {
  absl::StatusOr<std::unique_ptr<LoopbackSocket>> connection = LoopbackSocket::Connect(port);
  if (!connection.ok()) return connection.status();
  const int fd = (*connection)->fd();
  const absl::Time start = absl::Now();
  while (true) {
    const absl::Duration left = start + give_up - absl::Now();
    if (left <= absl::ZeroDuration()) return give_up;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::Now() - start;  // closed (0) or reset
  }
}

TEST(ConnectionTrust, AClientThatNeverStartsTlsIsDisconnectedWithinTheHandshakeTimeout) {
  // The standard server: the default tls.handshake_timeout of 5s.
  absl::StatusOr<absl::Duration> took =
      TimeUntilDisconnected(Server().api_port(), absl::Seconds(10));
  ASSERT_TRUE(took.ok()) << took.status();
  EXPECT_LT(*took, absl::Seconds(7)) << "still connected after " << *took;
  EXPECT_GE(*took, absl::Seconds(4)) << "disconnected before the timeout: " << *took;
}

// Counts the times `channel` leaves READY (its connection closes) until
// stopped.
class DisconnectCounter {
 public:
  explicit DisconnectCounter(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)), thread_([this] { Run(); }) {}
  ~DisconnectCounter() {
    stop_.store(true);
    thread_.join();
  }
  int count() const { return count_.load(); }

 private:
  void Run() {
    while (!stop_.load()) {
      const grpc_connectivity_state state = channel_->GetState(false);
      const bool changed = channel_->WaitForStateChange(
          state, std::chrono::system_clock::now() + std::chrono::milliseconds(100));
      if (changed && state == GRPC_CHANNEL_READY) count_.fetch_add(1);
    }
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::thread thread_;
};

TEST(ConnectionTrust, MaxConnectionAgeClosesALongLivedConnectionGracefullyAndTheClientReconnects) {
  absl::StatusOr<std::unique_ptr<TokendServer>> server =
      StartServer(Bed().pki().ca_file(),
                  "  max_connection_age: 1s\n"
                  "  max_connection_age_grace: 1s\n");
  ASSERT_TRUE(server.ok()) << server.status();
  const test::CertFiles& cert = Bed().pki().client_uri();
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateChannel((*server)->target(), SslCredentialsFor(&cert));
  std::unique_ptr<v1::TokenService::Stub> stub = v1::TokenService::NewStub(channel);
  grpc::Status first = GetJwks(*stub);
  ASSERT_TRUE(first.ok()) << Describe(first);

  // Calls without pause for several ages of a connection: each connection is
  // closed after about a second (+-10%), and not one call fails meanwhile.
  DisconnectCounter disconnects(channel);
  int calls = 0;
  int failed = 0;
  std::string failures;
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (absl::Now() < end) {
    grpc::Status status = (calls % 2 == 0) ? GetJwks(*stub) : Introspect(*stub);
    ++calls;
    if (!status.ok()) {
      ++failed;
      absl::StrAppend(&failures, Describe(status), "; ");
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(failed, 0) << failed << " of " << calls << " calls failed: " << failures;
  EXPECT_GE(disconnects.count(), 2) << "connections closed: " << disconnects.count();
}

}  // namespace
}  // namespace tokend::testing
