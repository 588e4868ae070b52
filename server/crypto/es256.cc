// ES256: ECDSA on P-256 with SHA-256 (RFC 7518 section 3.4).

#include <openssl/obj_mac.h>

#include "crypto/algorithms.h"
#include "crypto/ecdsa.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Es256Algorithm() {
  static const EcdsaAlgorithm* const kEs256 = new EcdsaAlgorithm(EcdsaParams{
      .id = Algorithm::kES256,
      .digest = "SHA256",
      .curve_nid = NID_X9_62_prime256v1,
      .group_name = "prime256v1",
      .jwk_crv = "P-256",
      .coordinate_bytes = 32,  // JWS signature: r||s, 64 bytes
  });
  return *kEs256;
}

}  // namespace tokend::crypto::internal
