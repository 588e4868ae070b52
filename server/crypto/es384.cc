// ES384: ECDSA on P-384 with SHA-384 (RFC 7518 section 3.4).

#include <openssl/obj_mac.h>

#include "crypto/algorithms.h"
#include "crypto/ecdsa.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Es384Algorithm() {
  static const EcdsaAlgorithm* const kEs384 = new EcdsaAlgorithm(EcdsaParams{
      .id = Algorithm::kES384,
      .digest = "SHA384",
      .curve_nid = NID_secp384r1,
      .group_name = "secp384r1",
      .jwk_crv = "P-384",
      .coordinate_bytes = 48,  // JWS signature: r||s, 96 bytes
  });
  return *kEs384;
}

}  // namespace tokend::crypto::internal
