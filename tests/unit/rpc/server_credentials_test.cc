// CheckTlsFiles: a bad TLS file stops start-up with one line naming it.

#include "rpc/server_credentials.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/pki/test_pki.h"

namespace tokend::rpc {
namespace {

TlsFiles GoodFiles() {
  return TlsFiles{.cert_file = test::SharedTestPki().server().cert_file,
                  .key_file = test::SharedTestPki().server().key_file,
                  .client_ca_file = test::SharedTestPki().ca_file()};
}

std::string WriteText(const std::string& name, const std::string& text) {
  const std::string path = test::SharedTestPki().dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The server's key as PKCS#8 PEM encrypted under the passphrase "pass".
std::string EncryptedServerKey() {
  const std::string plain = test::ReadTextFile(test::SharedTestPki().server().key_file);
  BIO* in = BIO_new_mem_buf(plain.data(), static_cast<int>(plain.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  EXPECT_NE(key, nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  char pass[] = "pass";
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_256_cbc(), pass, 4, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(out);
  EVP_PKEY_free(key);
  return pem;
}

TEST(CheckTlsFiles, AcceptsAMatchingCertificateKeyAndCaBundle) {
  EXPECT_TRUE(CheckTlsFiles(GoodFiles()).ok()) << CheckTlsFiles(GoodFiles());
}

TEST(CheckTlsFiles, AMissingFileIsNotFoundNamingTheOption) {
  TlsFiles files = GoodFiles();
  files.client_ca_file = test::SharedTestPki().dir() + "/no-such-ca.crt";
  absl::Status status = CheckTlsFiles(files);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(status.message(), "tls.client_ca_file")) << status;
}

TEST(CheckTlsFiles, RefusesAnEncryptedKeySayingSoWithoutAskingForAPassphrase) {
  TlsFiles files = GoodFiles();
  files.key_file = WriteText("encrypted-server.key", EncryptedServerKey());
  absl::Status status = CheckTlsFiles(files);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "tls.key_file")) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "encrypted")) << status;
}

TEST(CheckTlsFiles, RefusesAKeyFileWithoutAKey) {
  TlsFiles files = GoodFiles();
  files.key_file =
      WriteText("junk.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  absl::Status status = CheckTlsFiles(files);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), files.key_file)) << status;
}

TEST(CheckTlsFiles, RefusesAKeyThatDoesNotMatchTheCertificate) {
  TlsFiles files = GoodFiles();
  files.key_file = test::SharedTestPki().client_uri().key_file;
  absl::Status status = CheckTlsFiles(files);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "does not match")) << status;
}

TEST(CheckTlsFiles, RefusesFilesWithoutACertificate) {
  TlsFiles files = GoodFiles();
  files.cert_file = test::SharedTestPki().server().key_file;  // PEM, but a key
  EXPECT_EQ(CheckTlsFiles(files).code(), absl::StatusCode::kInvalidArgument);
  files = GoodFiles();
  files.client_ca_file = WriteText("empty-ca.crt", "");
  absl::Status status = CheckTlsFiles(files);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(status.message(), "tls.client_ca_file")) << status;
}

}  // namespace
}  // namespace tokend::rpc
