// Tests of the client library against FakeTokenService over real mutual TLS,
// with certificates made per test binary by TestPki.
#include "client/token_client.h"

#include <grpcpp/health_check_service_interface.h>

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/pki/test_pki.h"
#include "tests/unit/client/fake_token_server.h"

namespace tokend::client {
namespace {

namespace v1 = ::tokend::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

test::TestPki& Pki() { return SharedTestPki(); }

ClientOptions OptionsFor(const FakeServer& server, const test::CertFiles& cert) {
  ClientOptions options;
  options.target = server.address();
  options.ca_file = Pki().ca_file();
  options.cert_file = cert.cert_file;
  options.key_file = cert.key_file;
  options.timeout = absl::Seconds(10);
  return options;
}

std::unique_ptr<TokenClient> NewClient(const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<TokenClient>> client = TokenClient::New(options);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

v1::IssueRequest SimpleIssue() {
  v1::IssueRequest request;
  request.set_subject("alice");
  request.add_audience("api");
  request.add_scopes("read");
  return request;
}

// The connection tests run against both server credential kinds the real
// server may choose between.
class TokenClientMutualTls : public ::testing::TestWithParam<FakeServer::Credentials> {
 protected:
  void SetUp() override {
    FakeServer::Options options;
    options.credentials = GetParam();
    absl::StatusOr<std::unique_ptr<FakeServer>> server =
        FakeServer::Start(Pki(), &service_, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  FakeTokenService service_;
  std::unique_ptr<FakeServer> server_;
};

INSTANTIATE_TEST_SUITE_P(ServerCredentials, TokenClientMutualTls,
                         ::testing::Values(FakeServer::Credentials::kSsl,
                                           FakeServer::Credentials::kTlsFileWatcher),
                         [](const ::testing::TestParamInfo<FakeServer::Credentials>& info) {
                           return info.param == FakeServer::Credentials::kSsl ? "Ssl"
                                                                              : "TlsFileWatcher";
                         });

TEST_P(TokenClientMutualTls, IssuesWithClientCertificateFromTrustedCa) {
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(*server_, Pki().client_uri()));
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());

  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->access_token(), "access-token-for:alice");
  EXPECT_EQ(response->token_type(), "Bearer");
  EXPECT_THAT(response->scopes(), ElementsAre("read"));
  EXPECT_EQ(service_.last_issue().subject(), "alice");
  ASSERT_TRUE(service_.last_peer().has_value());
  EXPECT_THAT(service_.last_peer()->Values("peer_uri"), ElementsAre(test::kClientUri));
}

TEST_P(TokenClientMutualTls, FailsToConnectWithCertificateFromUntrustedCa) {
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(*server_, Pki().client_untrusted()));
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());

  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(TokenClientMutualTls, FailsToConnectWithExpiredCertificate) {
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(*server_, Pki().client_expired()));
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());

  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(TokenClientMutualTls, FailsToConnectWhenServerCertificateIsFromAnotherCa) {
  ClientOptions options = OptionsFor(*server_, Pki().client_uri());
  options.ca_file = Pki().untrusted_ca_file();
  std::unique_ptr<TokenClient> client = NewClient(options);
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());

  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(TokenClientMutualTls, FailsToConnectWhenServerCertificateDoesNotNameTheServer) {
  ClientOptions options = OptionsFor(*server_, Pki().client_uri());
  options.server_name_override = "not-the-server.test";
  std::unique_ptr<TokenClient> client = NewClient(options);
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());

  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable) << response.status();
  EXPECT_EQ(service_.calls(), 0);
}

TEST_P(TokenClientMutualTls, ConnectsWithServerNameOverrideTheCertificateNames) {
  ClientOptions options = OptionsFor(*server_, Pki().client_uri());
  options.server_name_override = "localhost";
  std::unique_ptr<TokenClient> client = NewClient(options);
  ASSERT_NE(client, nullptr);

  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());

  EXPECT_TRUE(response.ok()) << response.status();
}

// Prints what the server's auth context holds for a certificate, for humans
// reading the test log.
void PrintPeer(absl::string_view label, const PeerInfo& peer) {
  std::cout << "[ peer     ] " << label
            << ": identity property name=" << peer.identity_property_name << " identity=[";
  for (const std::string& v : peer.identity) std::cout << v << ";";
  std::cout << "]\n";
  for (const auto& [name, value] : peer.properties) {
    const bool pem = absl::StartsWith(value, "-----BEGIN");
    std::cout << "[ peer     ]   " << name << " = "
              << (pem ? "<PEM, " + std::to_string(value.size()) + " bytes>" : value) << "\n";
  }
}

// The finding the server's identity extraction depends on. For a certificate
// listing DNS dns-first.test, URI spiffe://test/zeta-first, DNS
// dns-second.test, URI spiffe://test/alpha-second and CN multi-cn, gRPC 1.51
// (with either server credential kind):
//  - gives the "peer_uri" values in certificate order, so the first
//    "peer_uri" value is the first URI SAN; likewise "peer_dns";
//  - names "x509_subject_alternative_name" as the peer identity property,
//    whose values are every SAN in certificate order, DNS and URI mixed: so
//    GetPeerIdentity()[0] is NOT the first URI SAN here (it is a DNS name);
//  - sets "peer_spiffe_id" only for a certificate with exactly one URI SAN.
TEST_P(TokenClientMutualTls, ExposesUriSansInCertificateOrderForSeveralSans) {
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(*server_, Pki().client_multi_san()));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Issue(SimpleIssue()).ok());
  ASSERT_TRUE(service_.last_peer().has_value());
  const PeerInfo peer = *service_.last_peer();
  PrintPeer("several SANs", peer);

  EXPECT_THAT(peer.Values("peer_uri"), ElementsAre(test::kMultiUriFirst, test::kMultiUriSecond));
  EXPECT_THAT(peer.Values("peer_dns"), ElementsAre(test::kMultiDnsFirst, test::kMultiDnsSecond));
  EXPECT_THAT(peer.Values("x509_common_name"), ElementsAre(test::kMultiCommonName));
  EXPECT_EQ(peer.identity_property_name, "x509_subject_alternative_name");
  EXPECT_THAT(peer.identity, ElementsAre(test::kMultiDnsFirst, test::kMultiUriFirst,
                                         test::kMultiDnsSecond, test::kMultiUriSecond));
  EXPECT_THAT(peer.Values("peer_spiffe_id"), ::testing::IsEmpty());
}

TEST_P(TokenClientMutualTls, ExposesIdentityPropertiesForEachKindOfCertificate) {
  struct Case {
    const char* label;
    test::CertFiles cert;
    std::vector<std::string> uris;
    std::vector<std::string> dns;
    std::string cn;
    std::string identity_property_name;
    std::vector<std::string> spiffe_id;
  };
  const std::vector<Case> cases = {
      {"URI SAN",
       Pki().client_uri(),
       {test::kClientUri},
       {},
       test::kClientUriCommonName,
       "x509_subject_alternative_name",
       {test::kClientUri}},
      {"DNS SAN",
       Pki().client_dns(),
       {},
       {test::kClientDns},
       test::kClientDnsCommonName,
       "x509_subject_alternative_name",
       {}},
      {"CN only", Pki().client_cn_only(), {}, {}, test::kClientCommonName, "x509_common_name", {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    std::unique_ptr<TokenClient> client = NewClient(OptionsFor(*server_, c.cert));
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Issue(SimpleIssue()).ok());
    ASSERT_TRUE(service_.last_peer().has_value());
    const PeerInfo peer = *service_.last_peer();
    PrintPeer(c.label, peer);
    EXPECT_EQ(peer.Values("peer_uri"), c.uris);
    EXPECT_EQ(peer.Values("peer_dns"), c.dns);
    EXPECT_THAT(peer.Values("x509_common_name"), ElementsAre(c.cn));
    EXPECT_EQ(peer.identity_property_name, c.identity_property_name);
    EXPECT_EQ(peer.Values("peer_spiffe_id"), c.spiffe_id);
  }
}

TEST(TokenClient, SendsEveryRpcAndReturnsItsResponse) {
  FakeTokenService service;
  absl::StatusOr<std::unique_ptr<FakeServer>> server = FakeServer::Start(Pki(), &service);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(**server, Pki().client_uri()));
  ASSERT_NE(client, nullptr);

  v1::RefreshRequest refresh;
  refresh.set_refresh_token("refresh-token-1");
  refresh.add_scopes("read");
  absl::StatusOr<v1::RefreshResponse> refreshed = client->Refresh(refresh);
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(refreshed->refresh_token(), "refresh-token-2");
  EXPECT_EQ(service.last_refresh().refresh_token(), "refresh-token-1");

  v1::IntrospectRequest introspect;
  introspect.set_token("active-token");
  introspect.set_token_type_hint(v1::TOKEN_TYPE_ACCESS_TOKEN);
  absl::StatusOr<v1::IntrospectResponse> active = client->Introspect(introspect);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_TRUE(active->active());
  EXPECT_EQ(active->subject(), "alice");
  EXPECT_EQ(service.last_introspect().token_type_hint(), v1::TOKEN_TYPE_ACCESS_TOKEN);

  v1::RevokeRequest revoke;
  revoke.set_subject("alice");
  absl::StatusOr<v1::RevokeResponse> revoked = client->Revoke(revoke);
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  EXPECT_EQ(service.last_revoke().subject(), "alice");

  absl::StatusOr<v1::GetJwksResponse> jwks = client->GetJwks(v1::GetJwksRequest());
  ASSERT_TRUE(jwks.ok()) << jwks.status();
  EXPECT_EQ(jwks->jwks_json(), kFakeJwksJson);
}

TEST(TokenClient, KeepsTheServerStatusCodeAndMessage) {
  FakeTokenService service;
  absl::StatusOr<std::unique_ptr<FakeServer>> server = FakeServer::Start(Pki(), &service);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(**server, Pki().client_uri()));
  ASSERT_NE(client, nullptr);

  const std::vector<std::pair<grpc::StatusCode, absl::StatusCode>> codes = {
      {grpc::StatusCode::INVALID_ARGUMENT, absl::StatusCode::kInvalidArgument},
      {grpc::StatusCode::PERMISSION_DENIED, absl::StatusCode::kPermissionDenied},
      {grpc::StatusCode::UNAUTHENTICATED, absl::StatusCode::kUnauthenticated},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, absl::StatusCode::kResourceExhausted},
      {grpc::StatusCode::UNAVAILABLE, absl::StatusCode::kUnavailable},
  };
  for (const auto& [grpc_code, absl_code] : codes) {
    service.set_error(grpc::Status(grpc_code, "audience: \"x\" is not allowed"));
    absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());
    EXPECT_EQ(response.status(), absl::Status(absl_code, "audience: \"x\" is not allowed"));
  }
}

TEST(TokenClient, ReturnsDeadlineExceededWhenServerAnswersAfterTheTimeout) {
  FakeTokenService service;
  service.set_block(true);
  absl::StatusOr<std::unique_ptr<FakeServer>> server = FakeServer::Start(Pki(), &service);
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options = OptionsFor(**server, Pki().client_uri());
  options.timeout = absl::Milliseconds(500);
  std::unique_ptr<TokenClient> client = NewClient(options);
  ASSERT_NE(client, nullptr);

  const absl::Time start = absl::Now();
  absl::StatusOr<v1::IssueResponse> response = client->Issue(SimpleIssue());
  const absl::Duration elapsed = absl::Now() - start;

  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  EXPECT_EQ(service.calls(), 1);  // the call did reach the server
  EXPECT_GE(elapsed, absl::Milliseconds(450));
  EXPECT_LT(elapsed, absl::Seconds(5));
}

TEST(TokenClient, AppliesTheTimeoutToEveryCall) {
  FakeTokenService service;
  service.set_block(true);
  absl::StatusOr<std::unique_ptr<FakeServer>> server = FakeServer::Start(Pki(), &service);
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options = OptionsFor(**server, Pki().client_uri());
  options.timeout = absl::Milliseconds(200);
  std::unique_ptr<TokenClient> client = NewClient(options);
  ASSERT_NE(client, nullptr);

  EXPECT_EQ(client->Refresh(v1::RefreshRequest()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client->Introspect(v1::IntrospectRequest()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client->Revoke(v1::RevokeRequest()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(client->GetJwks(v1::GetJwksRequest()).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(TokenClient, ReportsServingHealthOfTheServer) {
  FakeTokenService service;
  absl::StatusOr<std::unique_ptr<FakeServer>> server = FakeServer::Start(Pki(), &service);
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<TokenClient> client = NewClient(OptionsFor(**server, Pki().client_uri()));
  ASSERT_NE(client, nullptr);

  absl::StatusOr<ServingStatus> health = client->CheckHealth();
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, ServingStatus::kServing);

  (*server)->server()->GetHealthCheckService()->SetServingStatus("tokend.v1.TokenService", false);
  health = client->CheckHealth("tokend.v1.TokenService");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, ServingStatus::kNotServing);

  EXPECT_EQ(client->CheckHealth("no.such.Service").status().code(), absl::StatusCode::kNotFound);
}

TEST(TokenClient, RotatesItsClientCertificateWithoutARestart) {
  test::TestPki& pki = Pki();
  absl::StatusOr<test::CertFiles> first =
      pki.MakeClientCert("rotation-first", {"spiffe://test/before-rotation"}, {}, "");
  absl::StatusOr<test::CertFiles> second =
      pki.MakeClientCert("rotation-second", {"spiffe://test/after-rotation"}, {}, "");
  ASSERT_TRUE(first.ok() && second.ok());
  const test::CertFiles mounted{pki.dir() + "/rotation-mounted.crt",
                                pki.dir() + "/rotation-mounted.key"};
  ASSERT_TRUE(test::InstallCertFiles(*first, mounted).ok());

  FakeTokenService service;
  FakeServer::Options server_options;
  server_options.max_connection_age_ms = 300;  // so the client handshakes again
  absl::StatusOr<std::unique_ptr<FakeServer>> server =
      FakeServer::Start(Pki(), &service, server_options);
  ASSERT_TRUE(server.ok()) << server.status();
  ClientOptions options = OptionsFor(**server, mounted);
  options.certificate_refresh_interval = absl::Seconds(1);
  std::unique_ptr<TokenClient> client = NewClient(options);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Issue(SimpleIssue()).ok());
  EXPECT_THAT(service.last_peer()->Values("peer_uri"),
              ElementsAre("spiffe://test/before-rotation"));

  ASSERT_TRUE(test::InstallCertFiles(*second, mounted).ok());

  // Real time on purpose: the file watcher and connection ageing run on it.
  std::vector<std::string> seen;
  const absl::Time limit = absl::Now() + absl::Seconds(20);
  while (absl::Now() < limit) {
    if (client->Issue(SimpleIssue()).ok()) {
      seen = service.last_peer()->Values("peer_uri");
      if (seen == std::vector<std::string>{"spiffe://test/after-rotation"}) {
        break;
      }
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(seen, ElementsAre("spiffe://test/after-rotation"));
}

TEST(TokenClient, NewNamesAMissingCertificateFile) {
  ClientOptions options;
  options.target = "127.0.0.1:1";
  options.ca_file = Pki().ca_file();
  options.cert_file = Pki().dir() + "/no-such.crt";
  options.key_file = Pki().client_uri().key_file;

  absl::StatusOr<std::unique_ptr<TokenClient>> client = TokenClient::New(options);

  EXPECT_EQ(client.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(client.status().message(), HasSubstr("cert_file"));
  EXPECT_THAT(client.status().message(), HasSubstr(options.cert_file));
}

TEST(TokenClient, NewNamesAMissingKeyOrCaFile) {
  ClientOptions base;
  base.target = "127.0.0.1:1";
  base.ca_file = Pki().ca_file();
  base.cert_file = Pki().client_uri().cert_file;
  base.key_file = Pki().client_uri().key_file;

  ClientOptions no_key = base;
  no_key.key_file = Pki().dir() + "/no-such.key";
  absl::Status status = TokenClient::New(no_key).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("key_file"));

  ClientOptions no_ca = base;
  no_ca.ca_file = Pki().dir() + "/no-such-ca.crt";
  status = TokenClient::New(no_ca).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("ca_file"));
}

TEST(TokenClient, NewRejectsBadOptions) {
  ClientOptions base;
  base.target = "127.0.0.1:1";
  base.ca_file = Pki().ca_file();
  base.cert_file = Pki().client_uri().cert_file;
  base.key_file = Pki().client_uri().key_file;
  ASSERT_TRUE(TokenClient::New(base).ok());

  ClientOptions no_target = base;
  no_target.target.clear();
  EXPECT_EQ(TokenClient::New(no_target).status(), absl::InvalidArgumentError("target is empty"));

  ClientOptions no_cert = base;
  no_cert.cert_file.clear();
  EXPECT_EQ(TokenClient::New(no_cert).status(), absl::InvalidArgumentError("cert_file is empty"));

  ClientOptions zero_timeout = base;
  zero_timeout.timeout = absl::ZeroDuration();
  EXPECT_EQ(TokenClient::New(zero_timeout).status().code(), absl::StatusCode::kInvalidArgument);

  ClientOptions not_pem = base;
  not_pem.key_file = Pki().dir();  // a directory: readable name, no PEM in it
  EXPECT_EQ(TokenClient::New(not_pem).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FromGrpcStatus, KeepsCodeAndMessage) {
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such key")),
            absl::NotFoundError("no such key"));
  for (int code = 1; code <= 16; ++code) {
    const absl::Status status =
        FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(code), "m"));
    EXPECT_EQ(static_cast<int>(status.code()), code);
    EXPECT_EQ(status.message(), "m");
  }
}

// The generated grpc.health.v1 messages (from Debian's grpc-proto) speak the
// standard wire form, and the client reads every status value.

TEST(HealthWireFormat, EncodesTheServiceNameAsField1) {
  grpc::health::v1::HealthCheckRequest request;
  EXPECT_EQ(request.SerializeAsString(), "");
  // 0x0a = field 1, length-delimited; 0x03 = length.
  request.set_service("abc");
  EXPECT_EQ(request.SerializeAsString(), std::string("\x0a\x03"
                                                     "abc"));
}

// The status the client reports for a HealthCheckResponse of these bytes.
ServingStatus StatusOf(const std::string& bytes) {
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(response.ParseFromString(bytes));
  return internal::ToServingStatus(response);
}

TEST(HealthWireFormat, DecodesTheStatusAndSkipsUnknownFields) {
  EXPECT_EQ(StatusOf(""), ServingStatus::kUnknown);
  // 0x08 = field 1, varint.
  EXPECT_EQ(StatusOf("\x08\x01"), ServingStatus::kServing);
  EXPECT_EQ(StatusOf("\x08\x02"), ServingStatus::kNotServing);
  EXPECT_EQ(StatusOf("\x08\x09"), ServingStatus::kUnknown);
  // 0x12 0x01 'x' = an unknown field 2 before the status.
  EXPECT_EQ(StatusOf(std::string("\x12\x01x\x08\x01")), ServingStatus::kServing);
}

TEST(HealthWireFormat, RejectsTruncatedInput) {
  // gRPC answers such a response INTERNAL before the client sees it.
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_FALSE(response.ParseFromString("\x08"));
  EXPECT_FALSE(response.ParseFromString("\x12\x05x"));
}

}  // namespace
}  // namespace tokend::client
