#include "crypto/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>

#include "common/log.h"
#include "crypto/openssl_error.h"

namespace tokend::crypto {

std::string Sha256(absl::string_view data) {
  const std::array<unsigned char, 32> digest = Sha256Digest(data);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::array<unsigned char, 32> Sha256Digest(absl::string_view data) {
  // Fetched once: EVP_sha256() would make OpenSSL 3 look the implementation
  // up in its provider store on every call, which costs more than hashing a
  // token. EVP_MD objects are immutable once fetched and safe to share.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::array<unsigned char, 32> digest;
  unsigned int size = 0;
  if (kSha256 == nullptr ||
      EVP_Digest(data.data(), data.size(), digest.data(), &size, kSha256, nullptr) != 1 ||
      size != digest.size()) {
    common::Log(common::LogLevel::kError, "sha-256 failed; OpenSSL is broken",
                {{"error", OpenSslError("EVP_Digest").message()}});
    // Why abort: SHA-256 cannot fail on a working OpenSSL, and returning any
    // fixed value would make every stored hash collide.
    std::abort();
  }
  return digest;
}

std::string HmacSha256(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &size) == nullptr ||
      size != 32) {
    common::Log(common::LogLevel::kError, "hmac-sha-256 failed; OpenSSL is broken",
                {{"error", OpenSslError("HMAC").message()}});
    // Why abort: as for Sha256, a fixed value would make every derived token
    // collide.
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(mac), size);
}

}  // namespace tokend::crypto
