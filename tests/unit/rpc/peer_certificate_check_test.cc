// PeerCertificateCheck: every call's client certificate checked against the
// CA bundle in force now and its validity period, with a fake clock for the
// re-read schedule and the expiry; and, through a real in-process gRPC server
// with mutual TLS, the refusal a client sees on a connection it already has.

#include "rpc/peer_certificate_check.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "rpc/server_credentials.h"
#include "tests/support/pki/test_pki.h"

namespace tokend::rpc {
namespace {

constexpr absl::Duration kReload = absl::Seconds(10);

// Replaces `path` atomically (write beside it, rename), as a Secret update does.
void Install(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::binary) << text;
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

// A client CA file of its own for each test, holding `text`.
std::string CaFile(const std::string& name, const std::string& text) {
  const std::string path = test::SharedTestPki().dir() + "/" + name + "-client-ca.crt";
  Install(path, text);
  return path;
}

std::string Caller() { return "test-caller"; }

// Check of a certificate file's PEM, without intermediates.
absl::Status CheckCert(PeerCertificateCheck& check, const test::CertFiles& cert) {
  return check.Check(test::ReadTextFile(cert.cert_file), "", Caller);
}

struct Fixture {
  explicit Fixture(const std::string& name, const std::string& ca_text)
      : clock(absl::Now()), ca_file(CaFile(name, ca_text)) {
    absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> made =
        PeerCertificateCheck::New(ca_file, kReload, &clock);
    EXPECT_TRUE(made.ok()) << made.status();
    if (made.ok()) check = *std::move(made);
  }
  common::FakeClock clock;
  std::string ca_file;
  std::unique_ptr<PeerCertificateCheck> check;
};

TEST(PeerCertificateCheck, LetsATrustedCertificateThroughCallAfterCall) {
  Fixture f("trusted", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
    f.clock.Advance(kReload);
  }
}

TEST(PeerCertificateCheck, RefusesACertificateWhoseCaWasRotatedOutFromTheNextReRead) {
  Fixture f("rotated-out", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  ASSERT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
  Install(f.ca_file, test::ReadTextFile(test::SharedTestPki().untrusted_ca_file()));
  // Until the file is due to be re-read, the bundle in force is the old one,
  // on gRPC's own schedule.
  f.clock.Advance(kReload - absl::Seconds(1));
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
  f.clock.Advance(absl::Seconds(1));
  const absl::Status refused = CheckCert(*f.check, test::SharedTestPki().client_uri());
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(refused.message(), "client certificate no longer trusted");
  // Taken back into the bundle, it is trusted again from the next re-read.
  Install(f.ca_file, test::ReadTextFile(test::SharedTestPki().ca_file()));
  f.clock.Advance(kReload);
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
}

TEST(PeerCertificateCheck, RefusesACertificateFromTheMomentItExpires) {
  test::CertSpec spec;
  spec.name = "expires-in-ten-minutes";
  spec.common_name = spec.name;
  spec.not_before = -absl::Minutes(1);
  spec.not_after = absl::Minutes(10);
  absl::StatusOr<test::CertFiles> cert = test::SharedTestPki().IssueCert(spec);
  ASSERT_TRUE(cert.ok()) << cert.status();
  Fixture f("expiry", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  EXPECT_TRUE(CheckCert(*f.check, *cert).ok());
  f.clock.Advance(absl::Minutes(9));
  EXPECT_TRUE(CheckCert(*f.check, *cert).ok());
  f.clock.Advance(absl::Minutes(2));
  const absl::Status refused = CheckCert(*f.check, *cert);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(refused.message(), "client certificate expired");
  // Other certificates are not affected.
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_dns()).ok());
}

TEST(PeerCertificateCheck, RefusesAnAlreadyExpiredCertificate) {
  Fixture f("expired", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  const absl::Status refused = CheckCert(*f.check, test::SharedTestPki().client_expired());
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(refused.message(), "client certificate expired");
}

TEST(PeerCertificateCheck, TrustsACertificateOfANewlyAddedCaWithoutWaitingForTheSchedule) {
  // gRPC may re-read the bundle before this check does: a client it let in
  // must not be refused meanwhile.
  Fixture f("added", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  Install(f.ca_file, test::ReadTextFile(test::SharedTestPki().ca_file()) +
                         test::ReadTextFile(test::SharedTestPki().untrusted_ca_file()));
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_untrusted()).ok());
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
}

TEST(PeerCertificateCheck, KeepsTheBundleInForceWhenTheFileBecomesUnusable) {
  Fixture f("unusable", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  Install(f.ca_file, "not a certificate\n");
  f.clock.Advance(kReload);
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
  ASSERT_EQ(std::remove(f.ca_file.c_str()), 0);
  f.clock.Advance(kReload);
  EXPECT_TRUE(CheckCert(*f.check, test::SharedTestPki().client_uri()).ok());
  EXPECT_EQ(CheckCert(*f.check, test::SharedTestPki().client_untrusted()).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(PeerCertificateCheck, JudgesALeafSentWithOtherIntermediatesAsAnotherChain) {
  Fixture f("intermediates", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  const std::string leaf = test::ReadTextFile(test::SharedTestPki().client_uri().cert_file);
  // A certificate block that does not parse ("MIIBog" in base64) makes the
  // chain unverifiable, whatever was decided for the leaf alone.
  const std::string broken = "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----\n";
  ASSERT_TRUE(f.check->Check(leaf, "", Caller).ok());
  EXPECT_EQ(f.check->Check(leaf, broken, Caller).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(f.check->Check(leaf, "", Caller).ok());
  EXPECT_TRUE(
      f.check->Check(leaf, test::ReadTextFile(test::SharedTestPki().ca_file()), Caller).ok());
}

TEST(PeerCertificateCheck, RefusesWhatIsNoCertificate) {
  Fixture f("garbage", test::ReadTextFile(test::SharedTestPki().ca_file()));
  ASSERT_NE(f.check, nullptr);
  EXPECT_EQ(f.check->Check("garbage", "", Caller).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(f.check->Check("", "", Caller).code(), absl::StatusCode::kUnauthenticated);
}

TEST(PeerCertificateCheck, NewNamesTheKeyOfAMissingOrEmptyBundle) {
  common::FakeClock clock(absl::Now());
  absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> missing =
      PeerCertificateCheck::New(test::SharedTestPki().dir() + "/no-such-ca.crt", kReload, &clock);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StartsWith(missing.status().message(), "tls.client_ca_file: "))
      << missing.status();
  absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> empty =
      PeerCertificateCheck::New(CaFile("empty", ""), kReload, &clock);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(empty.status().message(), "tls.client_ca_file: ")) << empty.status();
}

// ---- Through gRPC: the check as the API server's credentials carry it ----

std::shared_ptr<grpc::Channel> ClientChannel(int port, const test::CertFiles& cert) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = test::ReadTextFile(test::SharedTestPki().ca_file());
  options.pem_cert_chain = test::ReadTextFile(cert.cert_file);
  options.pem_private_key = test::ReadTextFile(cert.key_file);
  return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::SslCredentials(options));
}

grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel) {
  std::unique_ptr<grpc::health::v1::Health::Stub> stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
}

TEST(PeerCertificateCheckOverGrpc, RefusesTheNextCallOnAnOpenConnectionAfterTheCaIsRotatedOut) {
  common::FakeClock clock(absl::Now());
  const std::string ca_file = CaFile("grpc", test::ReadTextFile(test::SharedTestPki().ca_file()));
  absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> check =
      PeerCertificateCheck::New(ca_file, kReload, &clock);
  ASSERT_TRUE(check.ok()) << check.status();
  const TlsFiles files{.cert_file = test::SharedTestPki().server().cert_file,
                       .key_file = test::SharedTestPki().server().key_file,
                       .client_ca_file = ca_file,
                       .reload_interval = absl::Hours(1)};  // gRPC keeps trusting the old CA
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", MakeServerCredentials(files, *std::move(check)), &port);
  // A callback service, so that gRPC serves the health service on the
  // callback API (as the API server does) without completion queues.
  grpc::CallbackGenericService unimplemented;
  builder.RegisterCallbackGenericService(&unimplemented);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  std::shared_ptr<grpc::Channel> channel = ClientChannel(port, test::SharedTestPki().client_uri());
  grpc::Status before = HealthCheck(channel);
  ASSERT_TRUE(before.ok()) << before.error_code() << " " << before.error_message();

  Install(ca_file, test::ReadTextFile(test::SharedTestPki().untrusted_ca_file()));
  clock.Advance(kReload);
  grpc::Status after = HealthCheck(channel);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED) << after.error_message();
  EXPECT_EQ(after.error_message(), "client certificate no longer trusted");
  // The handshake of a new connection still uses gRPC's (stale) bundle, so
  // the check refuses a fresh channel's calls as well.
  std::shared_ptr<grpc::Channel> fresh = ClientChannel(port, test::SharedTestPki().client_uri());
  EXPECT_EQ(HealthCheck(fresh).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  server->Shutdown();
}

}  // namespace
}  // namespace tokend::rpc
