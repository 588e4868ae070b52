#ifndef TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
#define TOKEND_SERVER_CRYPTO_ALGORITHMS_H_

// Internal to crypto/: the singleton of each algorithm, defined beside the
// implementation of its family. Everyone else uses GetAlgorithm().

#include "crypto/signature_algorithm.h"

namespace tokend::crypto::internal {

const SignatureAlgorithm& Es256Algorithm();  // ecdsa.cc
const SignatureAlgorithm& Es384Algorithm();  // ecdsa.cc
const SignatureAlgorithm& EdDsaAlgorithm();  // eddsa.cc
const SignatureAlgorithm& Rs256Algorithm();  // rsa.cc
const SignatureAlgorithm& Ps256Algorithm();  // rsa.cc

}  // namespace tokend::crypto::internal

#endif  // TOKEND_SERVER_CRYPTO_ALGORITHMS_H_
