#include "crypto/signature_algorithm.h"

#include <cstdlib>

#include "crypto/algorithms.h"

namespace tokend::crypto {

absl::string_view AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
      return "ES256";
    case Algorithm::kES384:
      return "ES384";
    case Algorithm::kEdDSA:
      return "EdDSA";
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kPS256:
      return "PS256";
  }
  return "";
}

std::optional<Algorithm> AlgorithmFromName(absl::string_view name) {
  // Exact and case-sensitive (RFC 7515 section 4.1.1): "none", "es256" or
  // "HS256" are not ours.
  for (Algorithm alg : {Algorithm::kES256, Algorithm::kES384, Algorithm::kEdDSA, Algorithm::kRS256,
                        Algorithm::kPS256}) {
    if (name == AlgorithmName(alg)) return alg;
  }
  return std::nullopt;
}

const SignatureAlgorithm& GetAlgorithm(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
      return internal::Es256Algorithm();
    case Algorithm::kES384:
      return internal::Es384Algorithm();
    case Algorithm::kEdDSA:
      return internal::EdDsaAlgorithm();
    case Algorithm::kRS256:
      return internal::Rs256Algorithm();
    case Algorithm::kPS256:
      return internal::Ps256Algorithm();
  }
  std::abort();  // not an enumerator: memory corruption
}

}  // namespace tokend::crypto
