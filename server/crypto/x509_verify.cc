#include "crypto/x509_verify.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <time.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/openssl_error.h"
#include "crypto/openssl_ptr.h"

namespace tokend::crypto {
namespace {

using X509Ptr = std::unique_ptr<X509, OpenSslDeleter<X509, X509_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr =
    std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;

void FreeX509Stack(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
using X509StackPtr = std::unique_ptr<STACK_OF(X509), OpenSslDeleter<STACK_OF(X509), FreeX509Stack>>;

// Every certificate in `pem`, in order. INVALID_ARGUMENT when a certificate
// block does not parse; blocks of other types are skipped, as TLS stacks do.
absl::StatusOr<std::vector<X509Ptr>> ParseCertificates(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  std::vector<X509Ptr> certs;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  // The loop ends at the end of the text (no further start line) or at a
  // block that does not parse; only the first is the normal end.
  const unsigned long last = ERR_peek_last_error();  // NOLINT(runtime/int)
  if (last != 0 &&
      !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE)) {
    return OpenSslError("PEM_read_bio_X509", absl::StatusCode::kInvalidArgument);
  }
  ClearOpenSslErrors();
  return certs;
}

// An ASN1_TIME as absl::Time. One that cannot be read gives the bound that
// empties a span (so the verdict is never reused) rather than widening it.
absl::Time ToTime(const ASN1_TIME* time, bool is_upper_bound) {
  struct tm tm {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return is_upper_bound ? absl::InfinitePast() : absl::InfiniteFuture();
  }
  return absl::FromTimeT(timegm(&tm));
}

CertificateCheck Refused(CertificateVerdict verdict, std::string reason) {
  ClearOpenSslErrors();
  CertificateCheck check;
  check.verdict = verdict;
  check.reason = std::move(reason);
  return check;
}

}  // namespace

struct CaBundle::Store {
  X509StorePtr store;
};

CaBundle::CaBundle(std::unique_ptr<Store> store) : store_(std::move(store)) {}
CaBundle::~CaBundle() = default;

absl::StatusOr<std::unique_ptr<const CaBundle>> CaBundle::FromPem(absl::string_view pem) {
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificates(pem);
  if (!certs.ok()) return certs.status();
  if (certs->empty()) return absl::InvalidArgumentError("ca bundle: no PEM certificate");
  auto store = std::make_unique<Store>();
  store->store.reset(X509_STORE_new());
  if (store->store == nullptr) return OpenSslError("X509_STORE_new");
  // Why these flags: gRPC's handshake sets them on its own store, and the two
  // checks must agree. Every certificate of the bundle is a trust anchor,
  // even an intermediate CA (partial chains), and anchors are preferred to
  // certificates the peer sent.
  if (X509_STORE_set_flags(store->store.get(),
                           X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_TRUSTED_FIRST) != 1) {
    return OpenSslError("X509_STORE_set_flags");
  }
  for (const X509Ptr& cert : *certs) {
    // The store takes its own reference. A certificate listed twice is not an
    // error (OpenSSL 3 ignores the repeat).
    if (X509_STORE_add_cert(store->store.get(), cert.get()) != 1) {
      return OpenSslError("X509_STORE_add_cert");
    }
  }
  return std::unique_ptr<const CaBundle>(new CaBundle(std::move(store)));
}

CertificateCheck CaBundle::VerifyClient(absl::string_view chain_pem, absl::Time now) const {
  absl::StatusOr<std::vector<X509Ptr>> certs = ParseCertificates(chain_pem);
  if (!certs.ok())
    return Refused(CertificateVerdict::kUntrusted, std::string(certs.status().message()));
  if (certs->empty()) return Refused(CertificateVerdict::kUntrusted, "no certificate");
  X509StackPtr intermediates(sk_X509_new_null());
  if (intermediates == nullptr) return Refused(CertificateVerdict::kUntrusted, "out of memory");
  for (size_t i = 1; i < certs->size(); ++i) {
    if (sk_X509_push(intermediates.get(), (*certs)[i].get()) == 0) {
      return Refused(CertificateVerdict::kUntrusted, "out of memory");
    }
    static_cast<void>((*certs)[i].release());  // now owned by the stack
  }
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store_->store.get(), certs->front().get(),
                          intermediates.get()) != 1 ||
      // Why "ssl_client": the purpose and trust settings OpenSSL applies when
      // a TLS server verifies its client, so that this check and the
      // handshake agree on every certificate they both see.
      X509_STORE_CTX_set_default(ctx.get(), "ssl_client") != 1) {
    return Refused(CertificateVerdict::kUntrusted,
                   std::string(OpenSslError("X509_STORE_CTX_init").message()));
  }
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()), absl::ToTimeT(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const bool leaf = X509_STORE_CTX_get_error_depth(ctx.get()) == 0;
    std::string reason = X509_verify_cert_error_string(error);
    if (leaf && error == X509_V_ERR_CERT_HAS_EXPIRED) {
      return Refused(CertificateVerdict::kExpired, std::move(reason));
    }
    if (leaf && error == X509_V_ERR_CERT_NOT_YET_VALID) {
      return Refused(CertificateVerdict::kNotYetValid, std::move(reason));
    }
    return Refused(CertificateVerdict::kUntrusted, std::move(reason));
  }
  // OpenSSL takes a certificate as valid from its notBefore second until
  // just before its notAfter second; so is the span below.
  CertificateCheck check;
  check.verdict = CertificateVerdict::kTrusted;
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(ctx.get());
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    const X509* cert = sk_X509_value(chain, i);
    check.valid_from = std::max(check.valid_from, ToTime(X509_get0_notBefore(cert), false));
    check.valid_until = std::min(check.valid_until, ToTime(X509_get0_notAfter(cert), true));
  }
  ClearOpenSslErrors();
  return check;
}

}  // namespace tokend::crypto
