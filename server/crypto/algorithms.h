#ifndef TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
#define TOKEND_SERVER_CRYPTO_ALGORITHMS_H_

// Internal to crypto/: the singleton of each algorithm, one per .cc file.
// Everyone else uses GetAlgorithm().

#include "crypto/signature_algorithm.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Es256Algorithm();  // es256.cc
const SignatureAlgorithm& Es384Algorithm();  // es384.cc
const SignatureAlgorithm& EdDsaAlgorithm();  // eddsa.cc
const SignatureAlgorithm& Rs256Algorithm();  // rs256.cc
const SignatureAlgorithm& Ps256Algorithm();  // ps256.cc

}  // namespace tokend::crypto::internal

#endif  // TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
