#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <memory>

#include "absl/status/status.h"
#include "crypto/openssl_error.h"
#include "crypto/openssl_ptr.h"
#include "crypto/random.h"

namespace tokend::crypto {
namespace {

using CipherCtxPtr =
    std::unique_ptr<EVP_CIPHER_CTX, OpenSslDeleter<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>>;

// Far above a PKCS#8 RSA-8192 key; keeps every length an int for OpenSSL.
constexpr size_t kMaxBytes = size_t{1} << 20;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::Status CheckSizes(absl::string_view key, absl::string_view data, absl::string_view aad) {
  if (key.size() != kAes256KeyBytes) {
    return absl::InvalidArgumentError("aes-256-gcm: the key must be 32 bytes");
  }
  if (data.size() > kMaxBytes || aad.size() > kMaxBytes) {
    return absl::InvalidArgumentError("aes-256-gcm: input too large");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> Aes256GcmSeal(absl::string_view key, absl::string_view plaintext,
                                          absl::string_view aad) {
  if (absl::Status s = CheckSizes(key, plaintext, aad); !s.ok()) return s;
  absl::StatusOr<std::string> nonce = RandomBytes(kGcmNonceBytes);
  if (!nonce.ok()) return nonce.status();
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  // GCM's default IV length is 12 bytes, the one used here.
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(*nonce)) != 1) {
    return OpenSslError("EVP_EncryptInit_ex");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return OpenSslError("EVP_EncryptUpdate(aad)");
  }
  std::string out = *nonce;
  out.resize(kGcmNonceBytes + plaintext.size() + kGcmTagBytes);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + kGcmNonceBytes);
  if (EVP_EncryptUpdate(ctx.get(), cipher, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1) {
    return OpenSslError("EVP_EncryptUpdate");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), cipher + len, &final_len) != 1) {
    return OpenSslError("EVP_EncryptFinal_ex");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagBytes),
                          cipher + plaintext.size()) != 1) {
    return OpenSslError("EVP_CTRL_GCM_GET_TAG");
  }
  return out;
}

absl::StatusOr<std::string> Aes256GcmOpen(absl::string_view key, absl::string_view sealed,
                                          absl::string_view aad) {
  if (absl::Status s = CheckSizes(key, sealed, aad); !s.ok()) return s;
  const absl::Status failed = absl::DataLossError("aes-256-gcm: authentication failed");
  if (sealed.size() < kGcmNonceBytes + kGcmTagBytes) return failed;
  const absl::string_view nonce = sealed.substr(0, kGcmNonceBytes);
  const absl::string_view cipher =
      sealed.substr(kGcmNonceBytes, sealed.size() - kGcmNonceBytes - kGcmTagBytes);
  std::string tag(sealed.substr(sealed.size() - kGcmTagBytes));
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), Bytes(nonce)) != 1) {
    return OpenSslError("EVP_DecryptInit_ex");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1) {
    return OpenSslError("EVP_DecryptUpdate(aad)");
  }
  std::string plain(cipher.size(), '\0');
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  if (EVP_DecryptUpdate(ctx.get(), out, &len, Bytes(cipher), static_cast<int>(cipher.size())) !=
      1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    ClearOpenSslErrors();
    return failed;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagBytes),
                          tag.data()) != 1) {
    return OpenSslError("EVP_CTRL_GCM_SET_TAG");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &final_len) != 1) {
    // Why wipe: the bytes decrypted so far are unauthenticated; no caller
    // may see them, and they should not linger in freed memory.
    OPENSSL_cleanse(plain.data(), plain.size());
    ClearOpenSslErrors();
    return failed;
  }
  return plain;
}

}  // namespace tokend::crypto
