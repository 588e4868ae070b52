#ifndef TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
#define TOKEND_SERVER_CRYPTO_ALGORITHMS_H_

// Internal to crypto/: the singleton of each algorithm, defined beside the
// implementation of its family. Everyone else uses GetAlgorithm().

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/signature_algorithm.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Es256Algorithm();  // ecdsa.cc
const SignatureAlgorithm& Es384Algorithm();  // ecdsa.cc
const SignatureAlgorithm& EdDsaAlgorithm();  // eddsa.cc
const SignatureAlgorithm& Rs256Algorithm();  // rsa.cc
const SignatureAlgorithm& Ps256Algorithm();  // rsa.cc

// The value of the one member `name` of `members`. INVALID_ARGUMENT (the
// message starts with `alg`) when it is missing or repeated.
absl::StatusOr<std::string> JwkMember(const PublicJwkMembers& members, absl::string_view name,
                                      absl::string_view alg);

// JwkMember, base64url-decoded strictly (crypto::Base64UrlDecode).
absl::StatusOr<std::string> DecodedJwkMember(const PublicJwkMembers& members,
                                             absl::string_view name, absl::string_view alg);

}  // namespace tokend::crypto::internal

#endif  // TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
