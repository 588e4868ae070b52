#ifndef TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
#define TOKEND_SERVER_CRYPTO_ALGORITHMS_H_

// Internal to crypto/: the singleton of each algorithm, one per .cc file.
// Everyone else uses GetAlgorithm().

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/signature_algorithm.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Es256Algorithm();  // es256.cc
const SignatureAlgorithm& Es384Algorithm();  // es384.cc
const SignatureAlgorithm& EdDsaAlgorithm();  // eddsa.cc
const SignatureAlgorithm& Rs256Algorithm();  // rs256.cc
const SignatureAlgorithm& Ps256Algorithm();  // ps256.cc

// The value of member `name` in `members`, or nullptr.
const std::string* FindMember(const PublicJwkMembers& members, absl::string_view name);

// OK when `members` has exactly the names `names` (in any order) and "kty"
// equals `kty`; INVALID_ARGUMENT naming the first problem otherwise.
absl::Status CheckMemberNames(const PublicJwkMembers& members,
                              std::initializer_list<absl::string_view> names,
                              absl::string_view kty);

// Strictly decodes the base64url member `name`; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> DecodeMember(const PublicJwkMembers& members, absl::string_view name);

}  // namespace tokend::crypto::internal

#endif  // TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
