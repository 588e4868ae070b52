// CaBundle::VerifyClient: a client certificate chain checked against a CA
// bundle at a given time, as a TLS server checks it. Certificates come from a
// throw-away PKI made per run (tests/support/pki).

#include "crypto/x509_verify.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/pki/test_pki.h"

namespace tokend::crypto {
namespace {

std::unique_ptr<const CaBundle> Bundle(const std::string& pem) {
  absl::StatusOr<std::unique_ptr<const CaBundle>> bundle = CaBundle::FromPem(pem);
  EXPECT_TRUE(bundle.ok()) << bundle.status();
  return bundle.ok() ? *std::move(bundle) : nullptr;
}

std::unique_ptr<const CaBundle> TrustedBundle() {
  return Bundle(test::ReadTextFile(test::SharedTestPki().ca_file()));
}

// A client certificate from the trusted CA, valid from `not_before` to
// `not_after` after now (the real clock: certificates carry real times).
test::CertFiles ClientCert(const std::string& name, absl::Duration not_before,
                           absl::Duration not_after,
                           test::CertSpec::Usage usage = test::CertSpec::Usage::kClient) {
  test::CertSpec spec;
  spec.name = name;
  spec.common_name = name;
  spec.usage = usage;
  spec.not_before = not_before;
  spec.not_after = not_after;
  absl::StatusOr<test::CertFiles> files = test::SharedTestPki().IssueCert(spec);
  EXPECT_TRUE(files.ok()) << files.status();
  return files.ok() ? *files : test::CertFiles{};
}

TEST(CaBundle, AcceptsOneOrSeveralCertificatesSkippingOtherBlocks) {
  EXPECT_TRUE(CaBundle::FromPem(test::ReadTextFile(test::SharedTestPki().ca_file())).ok());
  EXPECT_TRUE(CaBundle::FromPem(test::ReadTextFile(test::SharedTestPki().ca_file()) +
                                test::ReadTextFile(test::SharedTestPki().untrusted_ca_file()) +
                                test::ReadTextFile(test::SharedTestPki().client_uri().key_file))
                  .ok());
}

TEST(CaBundle, RefusesTextWithoutACertificate) {
  for (const std::string& pem : {std::string(), std::string("not pem at all\n"),
                                 test::ReadTextFile(test::SharedTestPki().client_uri().key_file)}) {
    absl::StatusOr<std::unique_ptr<const CaBundle>> bundle = CaBundle::FromPem(pem);
    EXPECT_EQ(bundle.status().code(), absl::StatusCode::kInvalidArgument) << pem;
  }
}

TEST(CaBundle, RefusesACertificateBlockThatDoesNotParse) {
  const std::string broken = "-----BEGIN CERTIFICATE-----\nTUlJQm9n\n-----END CERTIFICATE-----\n";
  EXPECT_EQ(CaBundle::FromPem(test::ReadTextFile(test::SharedTestPki().ca_file()) + broken)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(VerifyClient, TrustsAClientCertificateOfTheBundleForTheOverlapOfTheChainsValidity) {
  const absl::Time now = absl::Now();
  const test::CertFiles cert = ClientCert("short-lived", -absl::Minutes(10), absl::Hours(2));
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  const CertificateCheck check = bundle->VerifyClient(test::ReadTextFile(cert.cert_file), now);
  EXPECT_EQ(check.verdict, CertificateVerdict::kTrusted) << check.reason;
  // The leaf's span (from 10 minutes ago, for 2 hours) lies inside the CA's
  // (from an hour ago, for a day); times are whole seconds.
  EXPECT_LE(absl::AbsDuration(check.valid_from - (now - absl::Minutes(10))), absl::Seconds(2));
  EXPECT_LE(absl::AbsDuration(check.valid_until - (now + absl::Hours(2))), absl::Seconds(2));
  EXPECT_TRUE(check.reason.empty());
}

TEST(VerifyClient, DoesNotTrustACertificateOfAnotherCa) {
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  const CertificateCheck check = bundle->VerifyClient(
      test::ReadTextFile(test::SharedTestPki().client_untrusted().cert_file), absl::Now());
  EXPECT_EQ(check.verdict, CertificateVerdict::kUntrusted);
  EXPECT_FALSE(check.reason.empty());
  // The same certificate, once its CA is in the bundle.
  std::unique_ptr<const CaBundle> both =
      Bundle(test::ReadTextFile(test::SharedTestPki().ca_file()) +
             test::ReadTextFile(test::SharedTestPki().untrusted_ca_file()));
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(
      both->VerifyClient(test::ReadTextFile(test::SharedTestPki().client_untrusted().cert_file),
                         absl::Now())
          .verdict,
      CertificateVerdict::kTrusted);
}

TEST(VerifyClient, CallsALeafPastItsNotAfterExpired) {
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  EXPECT_EQ(bundle
                ->VerifyClient(test::ReadTextFile(test::SharedTestPki().client_expired().cert_file),
                               absl::Now())
                .verdict,
            CertificateVerdict::kExpired);
  // A certificate valid now is expired at a later `now` (while its CA is not).
  const test::CertFiles cert = ClientCert("expires-in-an-hour", -absl::Minutes(1), absl::Hours(1));
  const std::string pem = test::ReadTextFile(cert.cert_file);
  EXPECT_EQ(bundle->VerifyClient(pem, absl::Now()).verdict, CertificateVerdict::kTrusted);
  const CertificateCheck later = bundle->VerifyClient(pem, absl::Now() + absl::Hours(2));
  EXPECT_EQ(later.verdict, CertificateVerdict::kExpired);
  EXPECT_EQ(later.reason, "certificate has expired");
}

TEST(VerifyClient, CallsALeafBeforeItsNotBeforeNotYetValid) {
  const test::CertFiles cert = ClientCert("not-yet", absl::Hours(1), absl::Hours(2));
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  EXPECT_EQ(bundle->VerifyClient(test::ReadTextFile(cert.cert_file), absl::Now()).verdict,
            CertificateVerdict::kNotYetValid);
}

TEST(VerifyClient, DoesNotTrustAnyChainOnceItsCaHasExpired) {
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  // The CA is valid for a day; the leaf for longer.
  const test::CertFiles cert = ClientCert("outlives-its-ca", -absl::Minutes(1), absl::Hours(48));
  EXPECT_EQ(bundle->VerifyClient(test::ReadTextFile(cert.cert_file), absl::Now() + absl::Hours(30))
                .verdict,
            CertificateVerdict::kUntrusted);
}

TEST(VerifyClient, DoesNotTrustACertificateMeantOnlyForServers) {
  const test::CertFiles cert =
      ClientCert("server-only", -absl::Minutes(1), absl::Hours(1), test::CertSpec::Usage::kServer);
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  const CertificateCheck check =
      bundle->VerifyClient(test::ReadTextFile(cert.cert_file), absl::Now());
  EXPECT_EQ(check.verdict, CertificateVerdict::kUntrusted);
  EXPECT_EQ(check.reason, "unsuitable certificate purpose");
}

TEST(VerifyClient, TakesEveryCertificateOfTheBundleAsATrustAnchor) {
  // As gRPC's handshake does (partial chains): a bundle may hold an
  // intermediate CA, or even the client's own certificate, without the
  // root above it.
  std::unique_ptr<const CaBundle> leaf_only =
      Bundle(test::ReadTextFile(test::SharedTestPki().client_uri().cert_file));
  ASSERT_NE(leaf_only, nullptr);
  EXPECT_EQ(leaf_only
                ->VerifyClient(test::ReadTextFile(test::SharedTestPki().client_uri().cert_file),
                               absl::Now())
                .verdict,
            CertificateVerdict::kTrusted);
  EXPECT_EQ(leaf_only
                ->VerifyClient(test::ReadTextFile(test::SharedTestPki().client_dns().cert_file),
                               absl::Now())
                .verdict,
            CertificateVerdict::kUntrusted);
}

TEST(VerifyClient, DoesNotTrustTextThatIsNoCertificate) {
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  for (const std::string& pem : {std::string(), std::string("garbage"),
                                 test::ReadTextFile(test::SharedTestPki().client_uri().key_file)}) {
    EXPECT_EQ(bundle->VerifyClient(pem, absl::Now()).verdict, CertificateVerdict::kUntrusted);
  }
}

TEST(VerifyClient, UsesTheIntermediatesThePeerSent) {
  // A chain of leaf + a certificate that is not its issuer still verifies by
  // the leaf's own issuer in the bundle; an unrelated extra certificate
  // changes nothing.
  std::unique_ptr<const CaBundle> bundle = TrustedBundle();
  ASSERT_NE(bundle, nullptr);
  const std::string chain = test::ReadTextFile(test::SharedTestPki().client_uri().cert_file) +
                            test::ReadTextFile(test::SharedTestPki().untrusted_ca_file());
  EXPECT_EQ(bundle->VerifyClient(chain, absl::Now()).verdict, CertificateVerdict::kTrusted);
}

}  // namespace
}  // namespace tokend::crypto
