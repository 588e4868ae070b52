#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdlib>

#include "common/log.h"
#include "crypto/openssl_error.h"

namespace tokend::crypto {

std::string Sha256(absl::string_view data) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
                 EVP_sha256(), nullptr) != 1 ||
      size != digest.size()) {
    // Why abort: SHA-256 cannot fail on a working OpenSSL, and returning any
    // fixed value would make every stored hash collide.
    common::Log(common::LogLevel::kError, "sha-256 failed; OpenSSL is broken",
                {{"error", OpenSslError("EVP_Digest").message()}});
    std::abort();
  }
  return digest;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Lengths are not secret (hashes and tokens have fixed, public lengths);
  // the bytes are compared with CRYPTO_memcmp, whose time does not depend on
  // where the first difference is.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tokend::crypto
