#include "crypto/signature_algorithm.h"

#include <cstdlib>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/algorithms.h"
#include "crypto/base64url.h"

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

namespace internal {

absl::StatusOr<std::string> JwkMember(const PublicJwkMembers& members, absl::string_view name,
                                      absl::string_view alg) {
  const std::string* found = nullptr;
  for (const auto& [member, value] : members.members) {
    if (member != name) continue;
    // Why: two values for one member would make the key read two ways.
    if (found != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(alg, ": JWK member \"", name, "\" repeated"));
    }
    found = &value;
  }
  if (found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(alg, ": JWK member \"", name, "\" missing"));
  }
  return *found;
}

absl::StatusOr<std::string> DecodedJwkMember(const PublicJwkMembers& members,
                                             absl::string_view name, absl::string_view alg) {
  absl::StatusOr<std::string> text = JwkMember(members, name, alg);
  if (!text.ok()) return text.status();
  std::string bytes;
  if (!Base64UrlDecode(*text, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(alg, ": JWK member \"", name, "\" is not base64url"));
  }
  return bytes;
}

}  // namespace internal

}  // namespace tokend::crypto
