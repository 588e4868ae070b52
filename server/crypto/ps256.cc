// PS256: RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt
// (RFC 7518 section 3.5). Both signing and verification pin the salt length
// to 32 (see RsaAlgorithm::SetPadding).

#include "crypto/algorithms.h"
#include "crypto/rsa.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Ps256Algorithm() {
  static const RsaAlgorithm* const kPs256 =
      new RsaAlgorithm(RsaParams{.id = Algorithm::kPS256, .pss = true});
  return *kPs256;
}

}  // namespace tokend::crypto::internal
