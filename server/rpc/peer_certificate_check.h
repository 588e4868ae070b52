#ifndef TOKEND_SERVER_RPC_PEER_CERTIFICATE_CHECK_H_
#define TOKEND_SERVER_RPC_PEER_CERTIFICATE_CHECK_H_

#include <grpcpp/security/auth_metadata_processor.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "crypto/x509_verify.h"

namespace tokend::rpc {

// The per-call half of mutual TLS. The handshake verifies a client's
// certificate once, against the client CA bundle of that moment, and the
// connection may then live for long (up to tls.max_connection_age). So every
// call is checked again here: against the bundle in force now and the
// validity period of the certificate, and a client whose CA was rotated out
// of the bundle, or whose certificate expired, is refused on its next call.
//
// The hot path is a lookup: a verdict is kept per certificate chain for the
// bundle in force, and reused while now lies within the validity periods of
// the chain. The key is the leaf's PEM text itself, with the intermediates
// compared beside it: exact, and the hash table's own hash of it costs far
// less than a SHA-256 would (tokend_bench_peer_check). The bundle file is re-read on gRPC's own
// schedule (every `reload_interval`, by the first call after it), and also
// at once (at most once a second) when a certificate that the handshake
// accepted does not verify: gRPC may have seen a new bundle first, and a
// client of a CA just added must not be refused meanwhile.
//
// Thread-safe.
class PeerCertificateCheck {
 public:
  // Reads and parses `client_ca_file` now. NOT_FOUND or INVALID_ARGUMENT
  // naming tls.client_ca_file when it cannot be read or holds no
  // certificate. `clock` is not owned and must outlive the check. Later
  // re-reads that fail keep the bundle in force and log a warning, as gRPC
  // keeps its own.
  static absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> New(std::string client_ca_file,
                                                                   absl::Duration reload_interval,
                                                                   const common::Clock* clock);

  // OK when the peer's certificate `leaf_pem`, with the intermediates it sent
  // (`intermediates_pem`, PEM, may be empty), verifies now against the
  // bundle in force. Otherwise UNAUTHENTICATED "client certificate expired",
  // "client certificate not yet valid" or "client certificate no longer
  // trusted", logged (warning) with `caller()` (called only then) and
  // OpenSSL's reason.
  absl::Status Check(absl::string_view leaf_pem, absl::string_view intermediates_pem,
                     absl::FunctionRef<std::string()> caller);

  // Runs Check on every call of a server whose credentials carry it (see
  // grpc::ServerCredentials::SetAuthMetadataProcessor): the call is refused
  // before any interceptor or handler sees it, whatever its method, with
  // the caller's identity (caller_identity.h) in the log line.
  static std::shared_ptr<grpc::AuthMetadataProcessor> AsAuthMetadataProcessor(
      std::shared_ptr<PeerCertificateCheck> check);

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Verdict {
    crypto::CertificateVerdict verdict;
    absl::Time valid_from;
    absl::Time valid_until;
    std::string reason;
    std::string intermediates_pem;  // of the chain it is for
  };

  PeerCertificateCheck(std::string client_ca_file, absl::Duration reload_interval,
                       const common::Clock* clock);

  // Re-reads the bundle file; swaps the bundle in (and forgets every
  // verdict) when its content changed. Whether it did.
  bool Reload(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(reload_mu_);
  // Reload when the schedule says so; the calls that arrive meanwhile wait
  // for it, so that every call after the interval sees the re-read bundle.
  void ReloadIfDue(absl::Time now);
  // Reload now, at most once a second, for a certificate that did not verify.
  bool ReloadForUntrusted(absl::Time now);
  // Verifies against the bundle in force and remembers the verdict.
  Verdict Verify(absl::string_view leaf_pem, absl::string_view intermediates_pem, absl::Time now);

  const std::string client_ca_file_;
  const absl::Duration reload_interval_;
  const common::Clock* const clock_;

  absl::Mutex reload_mu_;  // one reader of the file at a time
  Digest file_digest_ ABSL_GUARDED_BY(reload_mu_) = {};
  absl::Time last_untrusted_reload_ ABSL_GUARDED_BY(reload_mu_) = absl::InfinitePast();
  std::atomic<int64_t> next_reload_unix_nanos_{0};

  absl::Mutex mu_;
  std::shared_ptr<const crypto::CaBundle> bundle_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;                             // of bundle_
  absl::flat_hash_map<std::string, Verdict> verdicts_ ABSL_GUARDED_BY(mu_);  // by leaf PEM
};

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_PEER_CERTIFICATE_CHECK_H_
