#include "rpc/server_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "crypto/openssl_ptr.h"
#include "crypto/pem.h"

namespace tokend::rpc {
namespace {

using X509Ptr = std::unique_ptr<X509, crypto::OpenSslDeleter<X509, X509_free>>;

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(what, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

crypto::BioPtr MemoryBio(const std::string& text) {
  return crypto::BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// Parses every certificate in a PEM text; the first is returned.
absl::StatusOr<X509Ptr> FirstCertificate(const std::string& pem, const std::string& path,
                                         absl::string_view what) {
  crypto::BioPtr bio = MemoryBio(pem);
  X509Ptr first(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (first == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, " holds no PEM certificate"));
  }
  return first;
}

}  // namespace

absl::Status CheckTlsFiles(const TlsFiles& files) {
  absl::StatusOr<std::string> cert = ReadFile(files.cert_file, "tls.cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(files.key_file, "tls.key_file");
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> ca = ReadFile(files.client_ca_file, "tls.client_ca_file");
  if (!ca.ok()) return ca.status();

  absl::StatusOr<X509Ptr> leaf = FirstCertificate(*cert, files.cert_file, "tls.cert_file");
  if (!leaf.ok()) return leaf.status();
  // The crypto module's parser: it refuses an encrypted key with a plain
  // message, where OpenSSL's default would prompt for a passphrase on the
  // terminal (and gRPC could not use such a key anyway).
  absl::StatusOr<crypto::EvpPkeyPtr> pkey = crypto::ParsePrivateKeyPem(*key);
  crypto::WipePem(*key);
  if (!pkey.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.key_file: ", files.key_file,
                     " holds no usable PEM private key: ", pkey.status().message()));
  }
  if (X509_check_private_key(leaf->get(), pkey->get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tls.key_file: ", files.key_file, " does not match the certificate in ", files.cert_file));
  }
  absl::StatusOr<X509Ptr> ca_cert =
      FirstCertificate(*ca, files.client_ca_file, "tls.client_ca_file");
  if (!ca_cert.ok()) return ca_cert.status();
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsFiles& files, std::shared_ptr<PeerCertificateCheck> per_call_check) {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.client_ca_file,
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(files.reload_interval))));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // gRPC's default is not to ask for a client certificate at all: mutual TLS
  // must be demanded explicitly, with verification against the CA bundle.
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (per_call_check != nullptr) {
    credentials->SetAuthMetadataProcessor(
        PeerCertificateCheck::AsAuthMetadataProcessor(std::move(per_call_check)));
  }
  return credentials;
}

}  // namespace tokend::rpc
