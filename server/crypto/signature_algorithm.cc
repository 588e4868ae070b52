#include "crypto/signature_algorithm.h"

#include <cstdlib>
#include <iterator>

#include "crypto/algorithms.h"

namespace tokend::crypto {

namespace {

struct Entry {
  absl::string_view name;
  const SignatureAlgorithm& (*get)();
};

// In the order of Algorithm's enumerators.
constexpr Entry kEntries[] = {
    {"ES256", internal::Es256Algorithm}, {"ES384", internal::Es384Algorithm},
    {"EdDSA", internal::EdDsaAlgorithm}, {"RS256", internal::Rs256Algorithm},
    {"PS256", internal::Ps256Algorithm},
};
static_assert(std::size(kEntries) == std::size(kAllAlgorithms));

}  // namespace

absl::string_view AlgorithmName(Algorithm alg) {
  const size_t i = static_cast<size_t>(alg);
  return i < std::size(kEntries) ? kEntries[i].name : "";
}

std::optional<Algorithm> AlgorithmFromName(absl::string_view name) {
  // Exact and case-sensitive (RFC 7515 section 4.1.1): "none", "es256" or
  // "HS256" are not ours.
  for (Algorithm alg : kAllAlgorithms) {
    if (name == AlgorithmName(alg)) return alg;
  }
  return std::nullopt;
}

const SignatureAlgorithm& GetAlgorithm(Algorithm alg) {
  const size_t i = static_cast<size_t>(alg);
  if (i >= std::size(kEntries)) std::abort();  // not an enumerator: memory corruption
  return kEntries[i].get();
}

}  // namespace tokend::crypto
