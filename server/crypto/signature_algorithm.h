#ifndef TOKEND_SERVER_CRYPTO_SIGNATURE_ALGORITHM_H_
#define TOKEND_SERVER_CRYPTO_SIGNATURE_ALGORITHM_H_

#include <openssl/evp.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"

namespace tokend::crypto {

// The JWS algorithms tokend signs and verifies with (RFC 7518, RFC 8037).
enum class Algorithm { kES256, kES384, kEdDSA, kRS256, kPS256 };
inline constexpr Algorithm kAllAlgorithms[] = {
    Algorithm::kES256, Algorithm::kES384, Algorithm::kEdDSA, Algorithm::kRS256, Algorithm::kPS256};

// "ES256", "ES384", "EdDSA", "RS256", "PS256".
absl::string_view AlgorithmName(Algorithm alg);

// The inverse of AlgorithmName; exact, case-sensitive match (JWS names are
// case-sensitive). nullopt for any other text, including "none".
std::optional<Algorithm> AlgorithmFromName(absl::string_view name);

// The public parameters of a key, named as in its JWK (RFC 7517/7518/8037),
// values already base64url-encoded where JWK encodes them. `members` are in
// lexicographic order of name and hold exactly the members that RFC 7638's
// thumbprint covers (for example crv, kty, x, y for EC).
struct PublicJwkMembers {
  std::vector<std::pair<std::string, std::string>> members;
};

// One JWS signature algorithm, on EVP_PKEY only: no JSON, no claims. Each
// algorithm is one .cc file. Instances are stateless and thread-safe; the
// EVP_PKEY passed in is only read, so one key may be used from many threads:
// every call makes its own EVP_MD_CTX/EVP_PKEY_CTX. Keys should be
// provider-native (as from ParsePrivateKeyPem, ParsePublicKeyPem or
// EVP_PKEY_Q_keygen), so that OpenSSL never needs to write an export cache
// into a shared key.
class SignatureAlgorithm {
 public:
  virtual ~SignatureAlgorithm() = default;

  virtual Algorithm id() const = 0;

  // OK when `key` is of the type and size this algorithm needs (ES256: P-256,
  // ES384: P-384, EdDSA: Ed25519, RS256/PS256: RSA of at least 2048 bits).
  // INVALID_ARGUMENT naming the mismatch otherwise.
  virtual absl::Status CheckKey(const EVP_PKEY& key) const = 0;

  // Signs `signing_input` with the private `key` and returns the signature
  // as JWS carries it (for ECDSA the fixed-length big-endian r||s of RFC 7518
  // section 3.4, not DER). INTERNAL names the OpenSSL call that failed.
  virtual absl::StatusOr<std::string> Sign(const EVP_PKEY& key,
                                           absl::string_view signing_input) const = 0;

  // True only when `signature`, in its JWS form, is a valid signature of
  // `signing_input` under `key`. Any wrong length or encoding is false. Never
  // fails otherwise; leaves no error on OpenSSL's queue.
  virtual bool Verify(const EVP_PKEY& key, absl::string_view signing_input,
                      absl::string_view signature) const = 0;

  // The public JWK members of `key` (which must have passed CheckKey).
  // INVALID_ARGUMENT if the key does not suit this algorithm.
  virtual absl::StatusOr<PublicJwkMembers> PublicMembers(const EVP_PKEY& key) const = 0;

  // The inverse of PublicMembers: the public key whose JWK members are
  // `members` (names as PublicMembers gives them, in any order; "kty" and
  // the members this algorithm does not use are not looked at, so a JWK's
  // private members never reach OpenSSL). The key is provider-native and
  // passes CheckKey. INVALID_ARGUMENT naming the problem otherwise: a missing
  // or repeated member, another crv, a value that is not strict base64url or
  // has the wrong length (EC coordinates and Ed25519 keys have fixed lengths,
  // RSA's n and e are minimal big-endian), a point not on the curve, or a key
  // CheckKey refuses (an RSA modulus out of range, a bad exponent).
  virtual absl::StatusOr<EvpPkeyPtr> PublicKeyFromMembers(
      const PublicJwkMembers& members) const = 0;
};

// The implementation of `alg`. The returned reference lives forever.
const SignatureAlgorithm& GetAlgorithm(Algorithm alg);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_SIGNATURE_ALGORITHM_H_
