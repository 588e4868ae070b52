#ifndef TOKEND_SERVER_RPC_SERVER_CREDENTIALS_H_
#define TOKEND_SERVER_RPC_SERVER_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "rpc/peer_certificate_check.h"

namespace tokend::rpc {

struct TlsFiles {
  std::string cert_file;       // server certificate chain (PEM)
  std::string key_file;        // its private key (PEM)
  std::string client_ca_file;  // CA bundle client certificates must chain to
  absl::Duration reload_interval = absl::Seconds(10);
};

// Reads and parses the three files now, so that a bad file stops start-up
// with one clear line instead of failing every handshake later: each must
// exist and hold PEM, the key must match the certificate, the CA bundle must
// hold at least one certificate. INVALID_ARGUMENT or NOT_FOUND naming the file.
absl::Status CheckTlsFiles(const TlsFiles& files);

// Mutual-TLS credentials for the API port. The files are watched and re-read
// every reload_interval, so a Kubernetes Secret update (an atomic symlink
// swap in a mounted directory) rotates them without a restart. Clients must
// present a certificate that chains to the CA bundle at the handshake, and,
// when `per_call_check` is set, at every call (peer_certificate_check.h).
std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(
    const TlsFiles& files, std::shared_ptr<PeerCertificateCheck> per_call_check = nullptr);

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_SERVER_CREDENTIALS_H_
