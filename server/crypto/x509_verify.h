#ifndef TOKEND_SERVER_CRYPTO_X509_VERIFY_H_
#define TOKEND_SERVER_CRYPTO_X509_VERIFY_H_

// X.509 chain verification, bytes in and a verdict out: for checking a TLS
// peer's certificate again after the handshake, against a CA bundle that may
// have changed since.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tokend::crypto {

enum class CertificateVerdict {
  kTrusted,      // chains to the bundle and every certificate of the chain is valid now
  kExpired,      // the peer's own certificate is past its notAfter
  kNotYetValid,  // the peer's own certificate is before its notBefore
  kUntrusted,    // anything else: no chain to the bundle, a CA of the chain expired, a bad
                 // signature, a certificate not meant for TLS clients, unparsable PEM
};

struct CertificateCheck {
  CertificateVerdict verdict = CertificateVerdict::kUntrusted;
  // For kTrusted: the span [valid_from, valid_until) in which the verdict
  // holds for this bundle, the overlap of the validity periods of every
  // certificate of the verified chain. Outside it, verify again.
  absl::Time valid_from = absl::InfinitePast();
  absl::Time valid_until = absl::InfiniteFuture();
  // OpenSSL's reason when not kTrusted, for logs ("certificate has expired").
  std::string reason;
};

// A parsed bundle of trust anchors (PEM CA certificates). Immutable once
// made; safe to verify against from many threads at once.
class CaBundle {
 public:
  // Parses every certificate in `pem` (blocks of other types are skipped).
  // INVALID_ARGUMENT when it holds none, or a certificate that does not parse.
  static absl::StatusOr<std::unique_ptr<const CaBundle>> FromPem(absl::string_view pem);

  ~CaBundle();
  CaBundle(const CaBundle&) = delete;
  CaBundle& operator=(const CaBundle&) = delete;

  // Verifies `chain_pem` (the peer's certificate first, then any
  // intermediates it sent, PEM) at time `now`, as a TLS server verifies a
  // client, and with the settings of gRPC's handshake: OpenSSL's
  // X509_verify_cert with the "ssl_client" purpose, every certificate of the
  // bundle a trust anchor (also an intermediate CA), the peer's intermediates
  // untrusted. Never fails: anything that does not verify is a verdict other
  // than kTrusted.
  CertificateCheck VerifyClient(absl::string_view chain_pem, absl::Time now) const;

 private:
  struct Store;
  explicit CaBundle(std::unique_ptr<Store> store);

  std::unique_ptr<Store> store_;
};

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_X509_VERIFY_H_
