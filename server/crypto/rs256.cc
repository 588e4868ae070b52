// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3).

#include "crypto/algorithms.h"
#include "crypto/rsa.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Rs256Algorithm() {
  static const RsaAlgorithm* const kRs256 =
      new RsaAlgorithm(RsaParams{.id = Algorithm::kRS256, .pss = false});
  return *kRs256;
}

}  // namespace tokend::crypto::internal
