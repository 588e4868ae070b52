// Mutual TLS on the API port of the real tokend: who may connect, and which
// name of the client certificate becomes the caller's identity.

#include <grpcpp/grpcpp.h>

#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

// GetJwks over a channel with these credentials: the first call's status.
grpc::Status GetJwksWith(std::shared_ptr<grpc::ChannelCredentials> credentials) {
  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(Server().target(), credentials);
  std::unique_ptr<v1::TokenService::Stub> stub = v1::TokenService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetJwksResponse response;
  return stub->GetJwks(&context, v1::GetJwksRequest(), &response);
}

TEST(MutualTls, TheSameChannelSetupWithATrustedCertificateWorks) {
  // The positive control for the refusals below.
  const test::CertFiles& cert = Bed().pki().client_uri();
  grpc::Status status = GetJwksWith(SslCredentialsFor(&cert));
  EXPECT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
}

TEST(MutualTls, AHandshakeWithoutAClientCertificateFails) {
  grpc::Status status = GetJwksWith(SslCredentialsFor(nullptr));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
}

TEST(MutualTls, AClientCertificateFromAnUntrustedCaIsRefused) {
  const test::CertFiles& cert = Bed().pki().client_untrusted();
  EXPECT_EQ(GetJwksWith(SslCredentialsFor(&cert)).error_code(), grpc::StatusCode::UNAVAILABLE);
  std::unique_ptr<client::TokenClient> c = ClientFor(cert);
  EXPECT_TRUE(HasCode(c->GetJwks(v1::GetJwksRequest()).status(), absl::StatusCode::kUnavailable));
}

TEST(MutualTls, AnExpiredClientCertificateIsRefused) {
  const test::CertFiles& cert = Bed().pki().client_expired();
  EXPECT_EQ(GetJwksWith(SslCredentialsFor(&cert)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(MutualTls, PlaintextIsRefused) {
  grpc::Status status = GetJwksWith(grpc::InsecureChannelCredentials());
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN);
}

// The client_id of a token issued by the holder of `cert`.
std::string IssuingIdentity(const test::CertFiles& cert) {
  std::unique_ptr<client::TokenClient> c = ClientFor(cert);
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueRequest({"api://orders"}));
  EXPECT_TRUE(issued.ok()) << issued.status();
  if (!issued.ok()) return "";
  // Read from the token itself: another test may have revoked the caller's
  // own subject a moment ago, which would make introspection say inactive.
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  EXPECT_TRUE(jws.ok()) << jws.status();
  if (!jws.ok()) return "";
  EXPECT_EQ(jws->payload.value("sub", ""), jws->payload.value("client_id", ""))
      << "an empty subject issues for the caller";
  return jws->payload.value("client_id", "");
}

TEST(MutualTls, TheIdentityIsTheFirstUriSanBeforeAnyDnsSanOrCommonName) {
  EXPECT_EQ(IssuingIdentity(Bed().pki().client_uri()), test::kClientUri);
  // DNS first in the certificate, then two URIs: the first URI wins.
  EXPECT_EQ(IssuingIdentity(Bed().pki().client_multi_san()), test::kMultiUriFirst);
}

TEST(MutualTls, TheIdentityIsTheDnsSanWhenThereIsNoUriSan) {
  EXPECT_EQ(IssuingIdentity(Bed().pki().client_dns()), test::kClientDns);
}

TEST(MutualTls, TheIdentityIsTheCommonNameWhenThereIsNoSan) {
  EXPECT_EQ(IssuingIdentity(Bed().pki().client_cn_only()), test::kClientCommonName);
}

TEST(MutualTls, AnIpSanIsNoIdentitySoTheCommonNameIs) {
  test::CertSpec spec;
  spec.name = "ip-san-client";
  spec.common_name = kIpSanCommonName;
  spec.sans = {{test::SubjectAltName::Type::kIp, "127.0.0.7"}};
  absl::StatusOr<test::CertFiles> cert = Bed().pki().IssueCert(spec);
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(IssuingIdentity(*cert), kIpSanCommonName);
}

TEST(MutualTls, TheIdentityIsTheFirstOfSeveralDnsSansInCertificateOrder) {
  absl::StatusOr<test::CertFiles> cert = Bed().pki().MakeClientCert(
      "two-dns-client", {}, {kFirstOfTwoDnsSans, "aa-second.test"}, "two-dns-cn");
  ASSERT_TRUE(cert.ok()) << cert.status();
  EXPECT_EQ(IssuingIdentity(*cert), kFirstOfTwoDnsSans);
}

}  // namespace
}  // namespace tokend::testing
