#ifndef TOKEND_SERVER_CRYPTO_ECDSA_H_
#define TOKEND_SERVER_CRYPTO_ECDSA_H_

// Internal to crypto/: what ES256 and ES384 share. Each curve's instance is
// defined in its own file (es256.cc, es384.cc).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/signature_algorithm.h"

namespace tokend::crypto::internal {

// Converts a JWS ECDSA signature (RFC 7518 section 3.4: r and s, each
// big-endian and left-padded to `coordinate_bytes`) to the DER
// ECDSA-Sig-Value OpenSSL verifies. False unless `raw` is exactly
// 2 * coordinate_bytes long.
bool EcdsaRawToDer(absl::string_view raw, size_t coordinate_bytes, std::string* der);

// The inverse: DER from OpenSSL to fixed-length r||s. INTERNAL if `der` does
// not parse or r or s does not fit in `coordinate_bytes`.
absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t coordinate_bytes);

struct EcdsaParams {
  Algorithm id;
  const char* digest;       // OpenSSL digest name, e.g. "SHA256"
  int curve_nid;            // e.g. NID_X9_62_prime256v1
  const char* group_name;   // OpenSSL group name, e.g. "prime256v1"
  const char* jwk_crv;      // JWK "crv", e.g. "P-256"
  size_t coordinate_bytes;  // 32 for P-256, 48 for P-384
};

// ECDSA over one named curve with one digest, as JWS uses it.
class EcdsaAlgorithm final : public SignatureAlgorithm {
 public:
  explicit EcdsaAlgorithm(const EcdsaParams& params) : params_(params) {}

  Algorithm id() const override { return params_.id; }
  absl::Status CheckKey(const EVP_PKEY& key) const override;
  absl::StatusOr<std::string> Sign(const EVP_PKEY& key,
                                   absl::string_view signing_input) const override;
  bool Verify(const EVP_PKEY& key, absl::string_view signing_input,
              absl::string_view signature) const override;
  absl::StatusOr<PublicJwkMembers> PublicMembers(const EVP_PKEY& key) const override;
  absl::StatusOr<EvpPkeyPtr> PublicKeyFromMembers(const PublicJwkMembers& members) const override;

 private:
  const EcdsaParams params_;
};

}  // namespace tokend::crypto::internal

#endif  // TOKEND_SERVER_CRYPTO_ECDSA_H_
