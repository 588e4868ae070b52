#ifndef TOKEND_TESTS_UNIT_CLIENT_FAKE_TOKEN_SERVER_H_
#define TOKEND_TESTS_UNIT_CLIENT_FAKE_TOKEN_SERVER_H_

#include <grpcpp/server.h>
#include <grpcpp/support/status.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tests/support/pki/test_pki.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::client {

// What a handler saw of the caller's TLS identity.
struct PeerInfo {
  // Every auth-context property in the order gRPC lists them (the PEM
  // properties x509_pem_cert and x509_pem_cert_chain included).
  std::vector<std::pair<std::string, std::string>> properties;
  std::string identity_property_name;  // GetPeerIdentityPropertyName()
  std::vector<std::string> identity;   // GetPeerIdentity()

  // The values of one property, in order.
  std::vector<std::string> Values(const std::string& name) const;
};

// The JWK Set GetJwks answers (a P-256 key; x and y are RFC 7515 A.3's).
inline constexpr char kFakeJwksJson[] =
    R"({"keys":[{"kty":"EC","crv":"P-256","kid":"fake-kid","alg":"ES256",)"
    R"("use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uE3N3u4A",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})";

// A canned tokend.v1.TokenService for client tests (not the real server):
//   Issue      -> access_token "access-token-for:<subject>", token_type
//                 "Bearer", expires_at 1700000000, the requested scopes, and
//                 refresh_token "refresh-token-1" when asked;
//   Refresh    -> access_token "refreshed-access-token", refresh_token
//                 "refresh-token-2", the requested scopes;
//   Introspect -> token "active-token": active, subject "alice", audience
//                 ["api"], client_id "spiffe://test/caller"; else active false
//                 and nothing else;
//   Revoke     -> OK;  GetJwks -> kFakeJwksJson.
// set_error makes every RPC fail with that status; set_block makes every RPC
// wait until the client cancels (or its deadline passes). Every handler
// records the request and the caller's PeerInfo first. Thread-safe.
class FakeTokenService final : public tokend::v1::TokenService::Service {
 public:
  void set_error(grpc::Status status);
  void set_block(bool block);

  int calls() const;
  std::optional<PeerInfo> last_peer() const;
  tokend::v1::IssueRequest last_issue() const;
  tokend::v1::IntrospectRequest last_introspect() const;
  tokend::v1::RevokeRequest last_revoke() const;
  tokend::v1::RefreshRequest last_refresh() const;

  grpc::Status Issue(grpc::ServerContext* context, const tokend::v1::IssueRequest* request,
                     tokend::v1::IssueResponse* response) override;
  grpc::Status Refresh(grpc::ServerContext* context, const tokend::v1::RefreshRequest* request,
                       tokend::v1::RefreshResponse* response) override;
  grpc::Status Introspect(grpc::ServerContext* context,
                          const tokend::v1::IntrospectRequest* request,
                          tokend::v1::IntrospectResponse* response) override;
  grpc::Status Revoke(grpc::ServerContext* context, const tokend::v1::RevokeRequest* request,
                      tokend::v1::RevokeResponse* response) override;
  grpc::Status GetJwks(grpc::ServerContext* context, const tokend::v1::GetJwksRequest* request,
                       tokend::v1::GetJwksResponse* response) override;

 private:
  // Records the call and peer; returns the status to answer with (OK: go on).
  grpc::Status Begin(grpc::ServerContext* context);

  mutable absl::Mutex mu_;
  grpc::Status error_ ABSL_GUARDED_BY(mu_);
  bool block_ ABSL_GUARDED_BY(mu_) = false;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<PeerInfo> last_peer_ ABSL_GUARDED_BY(mu_);
  tokend::v1::IssueRequest last_issue_ ABSL_GUARDED_BY(mu_);
  tokend::v1::IntrospectRequest last_introspect_ ABSL_GUARDED_BY(mu_);
  tokend::v1::RevokeRequest last_revoke_ ABSL_GUARDED_BY(mu_);
  tokend::v1::RefreshRequest last_refresh_ ABSL_GUARDED_BY(mu_);
};

// One TestPki for the whole test binary (key generation is the slow part),
// made on first use; aborts the binary if it cannot be made.
test::TestPki& SharedTestPki();

// An in-process gRPC server on 127.0.0.1:<free port> serving one service
// (plus grpc.health.v1) over TLS with the PKI's server certificate, requiring
// and verifying a client certificate from the PKI's trusted CA.
class FakeServer {
 public:
  enum class Credentials {
    kSsl,             // grpc::SslServerCredentials
    kTlsFileWatcher,  // grpc::experimental::TlsServerCredentials
  };
  struct Options {
    Credentials credentials = Credentials::kSsl;
    // > 0: connections are closed after this long
    // (GRPC_ARG_MAX_CONNECTION_AGE_MS), so clients handshake again.
    int max_connection_age_ms = 0;
  };

  // Errors: INTERNAL when the server does not start.
  static absl::StatusOr<std::unique_ptr<FakeServer>> Start(const test::TestPki& pki,
                                                           grpc::Service* service,
                                                           const Options& options);
  static absl::StatusOr<std::unique_ptr<FakeServer>> Start(const test::TestPki& pki,
                                                           grpc::Service* service) {
    return Start(pki, service, Options());
  }

  ~FakeServer();  // shuts down, cancelling calls still running after 1s

  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }
  grpc::Server* server() { return server_.get(); }

 private:
  FakeServer(std::unique_ptr<grpc::Server> server, std::string address)
      : server_(std::move(server)), address_(std::move(address)) {}

  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace tokend::client

#endif  // TOKEND_TESTS_UNIT_CLIENT_FAKE_TOKEN_SERVER_H_
