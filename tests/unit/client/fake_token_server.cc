#include "tests/unit/client/fake_token_server.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tokend::client {
namespace {

namespace v1 = ::tokend::v1;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

PeerInfo ReadPeer(const grpc::ServerContext& context) {
  PeerInfo peer;
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return peer;
  for (const grpc::AuthProperty& p : *auth) {
    peer.properties.emplace_back(std::string(p.first.data(), p.first.size()),
                                 std::string(p.second.data(), p.second.size()));
  }
  peer.identity_property_name = auth->GetPeerIdentityPropertyName();
  for (const grpc::string_ref& v : auth->GetPeerIdentity()) {
    peer.identity.emplace_back(v.data(), v.size());
  }
  return peer;
}

}  // namespace

test::TestPki& SharedTestPki() {
  // Destroyed at exit, which deletes its directory.
  static const std::unique_ptr<test::TestPki> pki = [] {
    absl::StatusOr<std::unique_ptr<test::TestPki>> made = test::TestPki::New();
    if (!made.ok()) {
      std::cerr << "TestPki::New: " << made.status() << "\n";
      std::abort();
    }
    return *std::move(made);
  }();
  return *pki;
}

std::vector<std::string> PeerInfo::Values(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : properties) {
    if (key == name) out.push_back(value);
  }
  return out;
}

void FakeTokenService::set_error(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  error_ = std::move(status);
}

void FakeTokenService::set_block(bool block) {
  absl::MutexLock lock(&mu_);
  block_ = block;
}

int FakeTokenService::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}

std::optional<PeerInfo> FakeTokenService::last_peer() const {
  absl::MutexLock lock(&mu_);
  return last_peer_;
}

v1::IssueRequest FakeTokenService::last_issue() const {
  absl::MutexLock lock(&mu_);
  return last_issue_;
}

v1::IntrospectRequest FakeTokenService::last_introspect() const {
  absl::MutexLock lock(&mu_);
  return last_introspect_;
}

v1::RevokeRequest FakeTokenService::last_revoke() const {
  absl::MutexLock lock(&mu_);
  return last_revoke_;
}

v1::RefreshRequest FakeTokenService::last_refresh() const {
  absl::MutexLock lock(&mu_);
  return last_refresh_;
}

grpc::Status FakeTokenService::Begin(grpc::ServerContext* context) {
  bool block = false;
  {
    absl::MutexLock lock(&mu_);
    ++calls_;
    last_peer_ = ReadPeer(*context);
    block = block_;
  }
  if (block) {
    // Waits for the client's deadline (which cancels the call here too);
    // the bound only keeps a broken test from hanging.
    const absl::Time limit = absl::Now() + absl::Seconds(30);
    while (!context->IsCancelled() && absl::Now() < limit) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    return grpc::Status(grpc::StatusCode::CANCELLED, "blocked until cancelled");
  }
  absl::MutexLock lock(&mu_);
  return error_;
}

grpc::Status FakeTokenService::Issue(grpc::ServerContext* context, const v1::IssueRequest* request,
                                     v1::IssueResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    last_issue_ = *request;
  }
  if (grpc::Status s = Begin(context); !s.ok()) return s;
  response->set_access_token(absl::StrCat("access-token-for:", request->subject()));
  response->set_token_type("Bearer");
  response->mutable_expires_at()->set_seconds(1700000000);
  if (request->include_refresh_token()) {
    response->set_refresh_token("refresh-token-1");
    response->mutable_refresh_expires_at()->set_seconds(1702592000);
  }
  *response->mutable_scopes() = request->scopes();
  return grpc::Status::OK;
}

grpc::Status FakeTokenService::Refresh(grpc::ServerContext* context,
                                       const v1::RefreshRequest* request,
                                       v1::RefreshResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    last_refresh_ = *request;
  }
  if (grpc::Status s = Begin(context); !s.ok()) return s;
  response->set_access_token("refreshed-access-token");
  response->set_token_type("Bearer");
  response->set_refresh_token("refresh-token-2");
  *response->mutable_scopes() = request->scopes();
  return grpc::Status::OK;
}

grpc::Status FakeTokenService::Introspect(grpc::ServerContext* context,
                                          const v1::IntrospectRequest* request,
                                          v1::IntrospectResponse* response) {
  {
    absl::MutexLock lock(&mu_);
    last_introspect_ = *request;
  }
  if (grpc::Status s = Begin(context); !s.ok()) return s;
  if (request->token() == "active-token") {
    response->set_active(true);
    response->set_token_type(v1::TOKEN_TYPE_ACCESS_TOKEN);
    response->set_subject("alice");
    response->add_audience("api");
    response->set_client_id("spiffe://test/caller");
  }
  return grpc::Status::OK;
}

grpc::Status FakeTokenService::Revoke(grpc::ServerContext* context,
                                      const v1::RevokeRequest* request,
                                      v1::RevokeResponse* /*response*/) {
  {
    absl::MutexLock lock(&mu_);
    last_revoke_ = *request;
  }
  return Begin(context);
}

grpc::Status FakeTokenService::GetJwks(grpc::ServerContext* context,
                                       const v1::GetJwksRequest* /*request*/,
                                       v1::GetJwksResponse* response) {
  if (grpc::Status s = Begin(context); !s.ok()) return s;
  response->set_jwks_json(kFakeJwksJson);
  return grpc::Status::OK;
}

absl::StatusOr<std::unique_ptr<FakeServer>> FakeServer::Start(const test::TestPki& pki,
                                                              grpc::Service* service,
                                                              const Options& options) {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  if (options.credentials == Credentials::kSsl) {
    grpc::SslServerCredentialsOptions ssl(
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = ReadFile(pki.ca_file());
    ssl.pem_key_cert_pairs.push_back(
        {ReadFile(pki.server().key_file), ReadFile(pki.server().cert_file)});
    credentials = grpc::SslServerCredentials(ssl);
  } else {
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        pki.server().key_file, pki.server().cert_file, pki.ca_file(), 1);
    grpc::experimental::TlsServerCredentialsOptions tls(provider);
    tls.watch_root_certs();
    tls.watch_identity_key_cert_pairs();
    tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    credentials = grpc::experimental::TlsServerCredentials(tls);
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", credentials, &port);
  builder.RegisterService(service);
  if (options.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, options.max_connection_age_ms);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 1000);
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::InternalError("fake server did not start");
  }
  return std::unique_ptr<FakeServer>(
      new FakeServer(std::move(server), absl::StrCat("127.0.0.1:", port)));
}

FakeServer::~FakeServer() {
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace tokend::client
