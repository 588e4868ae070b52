#ifndef TOKEND_TESTS_SUPPORT_PKI_TEST_PKI_H_
#define TOKEND_TESTS_SUPPORT_PKI_TEST_PKI_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::test {

// Identities carried by the ready-made client certificates of TestPki.
inline constexpr char kClientUri[] = "spiffe://test/caller";
inline constexpr char kClientUriCommonName[] = "uri-client-cn";
inline constexpr char kClientDns[] = "caller.test";
inline constexpr char kClientDnsCommonName[] = "dns-client-cn";
inline constexpr char kClientCommonName[] = "cn-caller";
// The multi-SAN certificate lists, in this order: DNS kMultiDnsFirst, URI
// kMultiUriFirst, DNS kMultiDnsSecond, URI kMultiUriSecond; subject CN
// kMultiCommonName. The first URI sorts after the second on purpose, so a
// consumer that sorts SANs gives itself away.
inline constexpr char kMultiDnsFirst[] = "dns-first.test";
inline constexpr char kMultiUriFirst[] = "spiffe://test/zeta-first";
inline constexpr char kMultiDnsSecond[] = "dns-second.test";
inline constexpr char kMultiUriSecond[] = "spiffe://test/alpha-second";
inline constexpr char kMultiCommonName[] = "multi-cn";

// One subject alternative name. A certificate lists them in vector order.
struct SubjectAltName {
  enum class Type { kUri, kDns, kIp };
  Type type;
  std::string value;  // kIp: textual IPv4 or IPv6 address
};

// Paths of a PEM certificate and its PEM (PKCS#8) private key.
struct CertFiles {
  std::string cert_file;
  std::string key_file;
};

// What IssueCert puts into a leaf certificate (always a P-256 key, signed
// with ECDSA-SHA256).
struct CertSpec {
  // File stem: the files are <dir>/<name>.crt and <dir>/<name>.key. Letters,
  // digits, '-', '_' and '.' only; an existing pair of that name is
  // overwritten.
  std::string name;
  // Subject CN; empty: the subject has only O=tokend-test.
  std::string common_name;
  std::vector<SubjectAltName> sans;
  enum class Usage { kClient, kServer, kClientAndServer };
  Usage usage = Usage::kClient;  // becomes the extendedKeyUsage extension
  // Signed by the second CA, whose certificate nobody trusts.
  bool untrusted_issuer = false;
  // Validity relative to the moment of issue (the real clock: TLS stacks
  // check certificates against it).
  absl::Duration not_before = -absl::Hours(1);
  absl::Duration not_after = absl::Hours(24);
};

// JWS algorithms for which WriteSigningKey makes a fresh key.
enum class SigningAlg {
  kEs256,  // P-256
  kEs384,  // P-384
  kRs256,  // RSA 2048
  kPs256,  // RSA 2048
  kEdDsa,  // Ed25519
};

// A throw-away PKI for tests: two CAs (P-256) and ready-made leaf
// certificates, generated in-process with OpenSSL into a fresh temporary
// directory that the destructor deletes. Certificates are valid from one hour
// before creation to one day after unless a CertSpec says otherwise.
//
// Not thread-safe; the accessors return references that live as long as the
// TestPki.
class TestPki {
 public:
  // Creates the directory under $TEST_TMPDIR, else the system temporary
  // directory, and everything listed by the accessors below. Errors: INTERNAL
  // naming the OpenSSL or file-system call that failed.
  static absl::StatusOr<std::unique_ptr<TestPki>> New();

  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;
  ~TestPki();

  // The temporary directory holding every file.
  const std::string& dir() const { return dir_; }
  // The trusted CA's certificate (PEM): the bundle servers and clients trust.
  const std::string& ca_file() const { return ca_file_; }
  // The second CA's certificate. Its subject name equals the trusted CA's, so
  // only the signature tells them apart.
  const std::string& untrusted_ca_file() const { return untrusted_ca_file_; }

  // Server: CN "tokend test server", SANs DNS localhost, IP 127.0.0.1, IP ::1;
  // extendedKeyUsage serverAuth.
  const CertFiles& server() const { return server_; }
  // (a) URI SAN kClientUri, CN kClientUriCommonName.
  const CertFiles& client_uri() const { return client_uri_; }
  // (b) DNS SAN kClientDns only, CN kClientDnsCommonName.
  const CertFiles& client_dns() const { return client_dns_; }
  // (c) no SAN, CN kClientCommonName.
  const CertFiles& client_cn_only() const { return client_cn_only_; }
  // (d) several SANs in the order documented at kMultiDnsFirst.
  const CertFiles& client_multi_san() const { return client_multi_san_; }
  // (e) like (a) but signed by the untrusted CA.
  const CertFiles& client_untrusted() const { return client_untrusted_; }
  // (f) like (a) but valid from two days ago until one day ago.
  const CertFiles& client_expired() const { return client_expired_; }

  // Issues a leaf certificate and key as described by spec and writes them.
  // Errors: INVALID_ARGUMENT for a bad name or IP address; INTERNAL naming
  // the failed OpenSSL or file-system call.
  absl::StatusOr<CertFiles> IssueCert(const CertSpec& spec);

  // A client certificate from the trusted CA listing every URI SAN, then
  // every DNS SAN, in the given order; common_name may be empty. Errors as
  // IssueCert.
  absl::StatusOr<CertFiles> MakeClientCert(absl::string_view name,
                                           const std::vector<std::string>& uri_sans,
                                           const std::vector<std::string>& dns_sans,
                                           absl::string_view common_name);

  // Writes a fresh private key for alg as an unencrypted PKCS#8 PEM file
  // <dir>/<name>.pem, and its public key (SubjectPublicKeyInfo PEM) as
  // <dir>/<name>.pub.pem. Returns the private key's path. Errors as IssueCert.
  absl::StatusOr<std::string> WriteSigningKey(absl::string_view name, SigningAlg alg);

 private:
  struct Ca;
  explicit TestPki(std::string dir);

  std::string dir_;
  std::unique_ptr<Ca> ca_;
  std::unique_ptr<Ca> untrusted_ca_;
  std::string ca_file_;
  std::string untrusted_ca_file_;
  CertFiles server_;
  CertFiles client_uri_;
  CertFiles client_dns_;
  CertFiles client_cn_only_;
  CertFiles client_multi_san_;
  CertFiles client_untrusted_;
  CertFiles client_expired_;
};

// Replaces to.cert_file and to.key_file with copies of from's files, each by
// writing a temporary file beside it and renaming it over the target (atomic
// per file), key first. For certificate-rotation tests. Errors: INTERNAL
// naming the path.
absl::Status InstallCertFiles(const CertFiles& from, const CertFiles& to);

// One TestPki for the whole test binary, made on first use and deleted at
// exit. A PKI that cannot be made aborts the binary (with the reason on
// stderr): no test of it could run.
TestPki& SharedTestPki();

// The whole text of the file at `path` (a certificate, a CA bundle); empty
// when it cannot be read.
std::string ReadTextFile(const std::string& path);

}  // namespace tokend::test

#endif  // TOKEND_TESTS_SUPPORT_PKI_TEST_PKI_H_
