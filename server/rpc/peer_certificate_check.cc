#include "rpc/peer_certificate_check.h"

#include <grpc/grpc_security_constants.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "rpc/caller_identity.h"

namespace tokend::rpc {
namespace {

using crypto::CertificateVerdict;

constexpr absl::string_view kKey = "tls.client_ca_file";

// Verdicts kept at most; past it they are all forgotten at once (each costs
// one verification to learn again). Bounds memory (a verdict holds its
// certificate's PEM, about 1 KiB) whatever clients connect.
constexpr size_t kMaxVerdicts = 4096;

// Forced re-reads of the bundle (for a certificate the handshake accepted
// that does not verify here) happen at most this often.
constexpr absl::Duration kUntrustedReloadSpacing = absl::Seconds(1);

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(kKey, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return absl::NotFoundError(absl::StrCat(kKey, ": cannot read ", path));
  }
  return text.str();
}

absl::StatusOr<std::shared_ptr<const crypto::CaBundle>> ParseBundle(const std::string& pem,
                                                                    const std::string& path) {
  absl::StatusOr<std::unique_ptr<const crypto::CaBundle>> bundle = crypto::CaBundle::FromPem(pem);
  if (!bundle.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kKey, ": ", path, " holds no usable CA bundle: ", bundle.status().message()));
  }
  return std::shared_ptr<const crypto::CaBundle>(*std::move(bundle));
}

absl::string_view Message(CertificateVerdict verdict) {
  switch (verdict) {
    case CertificateVerdict::kTrusted:
      return "";
    case CertificateVerdict::kExpired:
      return "client certificate expired";
    case CertificateVerdict::kNotYetValid:
      return "client certificate not yet valid";
    case CertificateVerdict::kUntrusted:
      break;
  }
  return "client certificate no longer trusted";
}

class Processor final : public grpc::AuthMetadataProcessor {
 public:
  explicit Processor(std::shared_ptr<PeerCertificateCheck> check) : check_(std::move(check)) {}

  // Why not blocking: Check is a cache lookup, a re-read of a small file
  // once per reload interval, and an OpenSSL verification (under a
  // millisecond) only for a chain it has no verdict for; gRPC would
  // otherwise hand every call to a thread pool and back.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& /*auth_metadata*/, grpc::AuthContext* context,
                       OutputMetadata* /*consumed_auth_metadata*/,
                       OutputMetadata* /*response_metadata*/) override {
    // On a server gRPC gives the peer's certificate and, apart, the
    // intermediates it sent.
    std::vector<grpc::string_ref> leaf =
        context->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
    if (leaf.empty()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "client certificate missing");
    }
    std::vector<grpc::string_ref> chain =
        context->FindPropertyValues(GRPC_X509_PEM_CERT_CHAIN_PROPERTY_NAME);
    absl::Status status =
        check_->Check(absl::string_view(leaf.front().data(), leaf.front().size()),
                      chain.empty() ? absl::string_view()
                                    : absl::string_view(chain.front().data(), chain.front().size()),
                      [context] { return CallerIdentity(*context); });
    if (status.ok()) return grpc::Status::OK;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, std::string(status.message()));
  }

 private:
  const std::shared_ptr<PeerCertificateCheck> check_;
};

}  // namespace

PeerCertificateCheck::PeerCertificateCheck(std::string client_ca_file,
                                           absl::Duration reload_interval,
                                           const common::Clock* clock)
    : client_ca_file_(std::move(client_ca_file)),
      reload_interval_(reload_interval),
      clock_(clock) {}

absl::StatusOr<std::unique_ptr<PeerCertificateCheck>> PeerCertificateCheck::New(
    std::string client_ca_file, absl::Duration reload_interval, const common::Clock* clock) {
  std::unique_ptr<PeerCertificateCheck> check(
      new PeerCertificateCheck(std::move(client_ca_file), reload_interval, clock));
  absl::StatusOr<std::string> pem = ReadFile(check->client_ca_file_);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<std::shared_ptr<const crypto::CaBundle>> bundle =
      ParseBundle(*pem, check->client_ca_file_);
  if (!bundle.ok()) return bundle.status();
  const absl::Time now = clock->Now();
  {
    absl::MutexLock lock(&check->reload_mu_);
    check->file_digest_ = crypto::Sha256Digest(*pem);
  }
  {
    absl::MutexLock lock(&check->mu_);
    check->bundle_ = *std::move(bundle);
  }
  check->next_reload_unix_nanos_.store(absl::ToUnixNanos(now + reload_interval));
  return check;
}

bool PeerCertificateCheck::Reload(absl::Time now) {
  next_reload_unix_nanos_.store(absl::ToUnixNanos(now + reload_interval_));
  absl::StatusOr<std::string> pem = ReadFile(client_ca_file_);
  if (!pem.ok()) {
    common::Log(common::LogLevel::kWarning, "client ca bundle not re-read; the last one stays",
                {{"error", pem.status().message()}});
    return false;
  }
  const Digest digest = crypto::Sha256Digest(*pem);
  if (digest == file_digest_) return false;
  absl::StatusOr<std::shared_ptr<const crypto::CaBundle>> bundle =
      ParseBundle(*pem, client_ca_file_);
  if (!bundle.ok()) {
    common::Log(common::LogLevel::kWarning, "client ca bundle not re-read; the last one stays",
                {{"error", bundle.status().message()}});
    return false;
  }
  file_digest_ = digest;
  {
    absl::MutexLock lock(&mu_);
    bundle_ = *std::move(bundle);
    ++generation_;
    verdicts_.clear();
  }
  common::Log(common::LogLevel::kInfo,
              "client ca bundle changed; connections are checked against it",
              {{"file", client_ca_file_}});
  return true;
}

void PeerCertificateCheck::ReloadIfDue(absl::Time now) {
  if (absl::ToUnixNanos(now) < next_reload_unix_nanos_.load(std::memory_order_relaxed)) return;
  absl::MutexLock lock(&reload_mu_);
  // Another call may have re-read the file while this one waited.
  if (absl::ToUnixNanos(now) < next_reload_unix_nanos_.load()) return;
  Reload(now);
}

bool PeerCertificateCheck::ReloadForUntrusted(absl::Time now) {
  absl::MutexLock lock(&reload_mu_);
  if (now - last_untrusted_reload_ < kUntrustedReloadSpacing) return false;
  last_untrusted_reload_ = now;
  return Reload(now);
}

PeerCertificateCheck::Verdict PeerCertificateCheck::Verify(absl::string_view leaf_pem,
                                                           absl::string_view intermediates_pem,
                                                           absl::Time now) {
  std::shared_ptr<const crypto::CaBundle> bundle;
  uint64_t generation = 0;
  {
    absl::ReaderMutexLock lock(&mu_);
    bundle = bundle_;
    generation = generation_;
  }
  crypto::CertificateCheck check =
      bundle->VerifyClient(absl::StrCat(leaf_pem, intermediates_pem), now);
  Verdict verdict{check.verdict, check.valid_from, check.valid_until, std::move(check.reason),
                  std::string(intermediates_pem)};
  absl::MutexLock lock(&mu_);
  // A verdict reached with a bundle that has since been replaced is not kept.
  if (generation == generation_) {
    if (verdicts_.size() >= kMaxVerdicts) verdicts_.clear();
    verdicts_.insert_or_assign(std::string(leaf_pem), verdict);
  }
  return verdict;
}

absl::Status PeerCertificateCheck::Check(absl::string_view leaf_pem,
                                         absl::string_view intermediates_pem,
                                         absl::FunctionRef<std::string()> caller) {
  const absl::Time now = clock_->Now();
  ReloadIfDue(now);
  std::optional<Verdict> verdict;
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = verdicts_.find(leaf_pem);
    // The verdict is the whole chain's: other intermediates, another verdict.
    if (it != verdicts_.end() && it->second.intermediates_pem == intermediates_pem) {
      const Verdict& known = it->second;
      if (known.verdict != CertificateVerdict::kTrusted) {
        verdict = known;
      } else if (known.valid_from <= now && now < known.valid_until) {
        return absl::OkStatus();
      }
    }
  }
  if (!verdict.has_value()) {
    verdict = Verify(leaf_pem, intermediates_pem, now);
    if (verdict->verdict == CertificateVerdict::kUntrusted && ReloadForUntrusted(now)) {
      verdict = Verify(leaf_pem, intermediates_pem, now);
    }
  }
  if (verdict->verdict == CertificateVerdict::kTrusted) return absl::OkStatus();
  const absl::string_view message = Message(verdict->verdict);
  common::Log(common::LogLevel::kWarning, absl::StrCat("call refused: ", message),
              {{"caller", caller()}, {"reason", verdict->reason}});
  return absl::UnauthenticatedError(message);
}

std::shared_ptr<grpc::AuthMetadataProcessor> PeerCertificateCheck::AsAuthMetadataProcessor(
    std::shared_ptr<PeerCertificateCheck> check) {
  return std::make_shared<Processor>(std::move(check));
}

}  // namespace tokend::rpc
