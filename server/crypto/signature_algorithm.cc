#include "crypto/signature_algorithm.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "crypto/algorithms.h"
#include "crypto/base64url.h"

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

namespace internal {

const std::string* FindMember(const PublicJwkMembers& members, absl::string_view name) {
  for (const auto& [member, value] : members.members) {
    if (member == name) return &value;
  }
  return nullptr;
}

absl::Status CheckMemberNames(const PublicJwkMembers& members,
                              std::initializer_list<absl::string_view> names,
                              absl::string_view kty) {
  for (absl::string_view name : names) {
    if (FindMember(members, name) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("jwk: member \"", name, "\" missing"));
    }
  }
  for (const auto& [member, value] : members.members) {
    if (std::find(names.begin(), names.end(), member) == names.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("jwk: member \"", member, "\" does not belong to kty ", kty));
    }
  }
  if (*FindMember(members, "kty") != kty) {
    return absl::InvalidArgumentError(absl::StrCat("jwk: kty must be \"", kty, "\""));
  }
  if (members.members.size() != names.size()) {
    return absl::InvalidArgumentError("jwk: repeated member");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> DecodeMember(const PublicJwkMembers& members, absl::string_view name) {
  const std::string* text = FindMember(members, name);
  std::string bytes;
  if (text == nullptr || !Base64UrlDecode(*text, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwk: member \"", name, "\" is not strict base64url"));
  }
  return bytes;
}

}  // namespace internal
}  // namespace tokend::crypto
