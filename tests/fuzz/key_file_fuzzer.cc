// Key files as `tokend serve` loads signing_keys[*].file (keys/jwk.h
// LoadKeyFile: PEM private or public keys, the algorithm's key checks, the
// RFC 7638 thumbprint as default kid), and the JWK Set a loaded key is
// published in. Properties: never crashes; a refusal is INVALID_ARGUMENT; a
// loaded key's kid is its thumbprint, and its JWK Set is JSON without any
// private member.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "crypto/signature_algorithm.h"
#include "fuzz/fuzz_support.h"
#include "keys/jwk.h"
#include "keys/key_ring.h"

namespace {

using tokend::fuzz::Fail;

void CheckLoadedKey(const tokend::keys::Key& key) {
  absl::StatusOr<std::string> thumbprint = tokend::keys::JwkThumbprint(*key.pkey, key.alg);
  if (!thumbprint.ok() || *thumbprint != key.kid) Fail("the default kid is not the thumbprint");
  // A verify-only key beside the fixed primary, as in a rotation.
  absl::StatusOr<std::shared_ptr<const tokend::keys::KeyRing>> ring =
      tokend::keys::KeyRing::New({tokend::fuzz::KeyRing().primary(), key});
  if (!ring.ok()) Fail(absl::StrCat("a loaded key makes no ring: ", ring.status().ToString()));
  absl::StatusOr<std::string> jwks = tokend::keys::JwksJson(**ring);
  if (!jwks.ok()) Fail(absl::StrCat("no JWK Set: ", jwks.status().ToString()));
  const nlohmann::json set = nlohmann::json::parse(*jwks, nullptr, /*allow_exceptions=*/false);
  if (!set.is_object() || !set.contains("keys") || set["keys"].size() != 2) {
    Fail("the JWK Set is not {\"keys\":[two keys]}");
  }
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (set["keys"][1].contains(secret)) Fail(absl::StrCat("the JWK Set holds \"", secret, "\""));
  }
  // A signature of the wrong length or bytes is refused, never a crash.
  if (key.algorithm().Verify(*key.pkey, "e30.e30", std::string(64, '\0'))) {
    Fail("a zero signature verifies");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The algorithm and whether a public key may do come from the size (PEM
  // ignores what follows the block), so that one input loads once: OpenSSL
  // 3.0's PEM decoders take milliseconds per attempt.
  const tokend::crypto::Algorithm alg = tokend::crypto::kAllAlgorithms[size % 5];
  const bool allow_public_only = (size / 5) % 2 == 0;
  const std::string path = tokend::fuzz::FileHolding(tokend::fuzz::AsText(data, size));
  absl::StatusOr<tokend::keys::Key> key =
      tokend::keys::LoadKeyFile(path, alg, /*kid=*/"", allow_public_only);
  if (key.ok()) {
    CheckLoadedKey(*key);
  } else if (key.status().code() != absl::StatusCode::kInvalidArgument) {
    Fail(absl::StrCat("refused with an unexpected code: ", key.status().ToString()));
  }
  return 0;
}
