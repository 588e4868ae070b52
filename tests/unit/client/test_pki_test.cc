// Tests of the TestPki support library itself, checked with OpenSSL rather
// than with gRPC, so a TLS test failure can be told apart from a PKI bug.
#include "tests/support/pki/test_pki.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/client/fake_token_server.h"

namespace tokend::test {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

X509Ptr ReadCert(const std::string& path) {
  const std::string pem = ReadFile(path);
  std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr ReadKey(const std::string& path) {
  const std::string pem = ReadFile(path);
  std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

// X509_V_OK, or OpenSSL's verification error for cert against ca_file, for
// the TLS client purpose.
int Verify(const std::string& ca_file, const std::string& cert_file) {
  X509Ptr ca = ReadCert(ca_file);
  X509Ptr cert = ReadCert(cert_file);
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.get());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) == 1) return X509_V_OK;
  return X509_STORE_CTX_get_error(ctx.get());
}

TEST(TestPki, IssuesClientCertificatesThatOnlyTheTrustedCaVerifies) {
  const TestPki& pki = client::SharedTestPki();

  EXPECT_EQ(Verify(pki.ca_file(), pki.client_uri().cert_file), X509_V_OK);
  EXPECT_EQ(Verify(pki.ca_file(), pki.client_dns().cert_file), X509_V_OK);
  EXPECT_EQ(Verify(pki.ca_file(), pki.client_cn_only().cert_file), X509_V_OK);
  EXPECT_EQ(Verify(pki.ca_file(), pki.client_multi_san().cert_file), X509_V_OK);
  EXPECT_NE(Verify(pki.ca_file(), pki.client_untrusted().cert_file), X509_V_OK);
  EXPECT_EQ(Verify(pki.untrusted_ca_file(), pki.client_untrusted().cert_file), X509_V_OK);
  EXPECT_EQ(Verify(pki.ca_file(), pki.client_expired().cert_file), X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST(TestPki, WritesKeysThatMatchTheirCertificates) {
  const TestPki& pki = client::SharedTestPki();
  for (const CertFiles& files : {pki.server(), pki.client_uri(), pki.client_multi_san()}) {
    SCOPED_TRACE(files.cert_file);
    X509Ptr cert = ReadCert(files.cert_file);
    PkeyPtr key = ReadKey(files.key_file);
    ASSERT_NE(cert, nullptr);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
    EXPECT_THAT(ReadFile(files.key_file), ::testing::StartsWith("-----BEGIN PRIVATE KEY-----"));
  }
}

TEST(TestPki, NamesTheServerByIpAddressAndLocalhost) {
  X509Ptr server = ReadCert(client::SharedTestPki().server().cert_file);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(X509_check_host(server.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_host(server.get(), "example.com", 0, 0, nullptr), 0);
}

TEST(TestPki, WritesPkcs8SigningKeysForEveryAlgorithm) {
  TestPki& pki = client::SharedTestPki();
  const struct {
    SigningAlg alg;
    const char* name;
    int type;
  } cases[] = {
      {SigningAlg::kEs256, "es256", EVP_PKEY_EC},      {SigningAlg::kEs384, "es384", EVP_PKEY_EC},
      {SigningAlg::kRs256, "rs256", EVP_PKEY_RSA},     {SigningAlg::kPs256, "ps256", EVP_PKEY_RSA},
      {SigningAlg::kEdDsa, "eddsa", EVP_PKEY_ED25519},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::string> path = pki.WriteSigningKey(c.name, c.alg);
    ASSERT_TRUE(path.ok()) << path.status();
    EXPECT_THAT(ReadFile(*path), ::testing::StartsWith("-----BEGIN PRIVATE KEY-----"));
    PkeyPtr key = ReadKey(*path);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(EVP_PKEY_get_base_id(key.get()), c.type);
  }
  PkeyPtr p256 = ReadKey(pki.dir() + "/es256.pem");
  ASSERT_NE(p256, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(p256.get()), 256);
}

TEST(TestPki, RefusesFileNamesThatLeaveItsDirectory) {
  TestPki& pki = client::SharedTestPki();
  EXPECT_EQ(pki.WriteSigningKey("../escape", SigningAlg::kEs256).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(pki.MakeClientCert("a/b", {}, {}, "cn").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokend::test
