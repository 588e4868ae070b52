#include "crypto/pem.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <climits>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "crypto/openssl_error.h"

namespace tokend::crypto {
namespace {

// Largest PEM text looked at: far above any RSA-8192 key, far below harm.
constexpr size_t kMaxPemBytes = size_t{64} * 1024;

// Passphrase callback that refuses to give one: an encrypted key then fails
// to load instead of prompting on the terminal (OpenSSL's default).
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

absl::StatusOr<BioPtr> ReadOnlyBio(absl::string_view pem) {
  if (pem.size() > kMaxPemBytes) return absl::InvalidArgumentError("pem: text too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return OpenSslError("BIO_new_mem_buf");
  return bio;
}

}  // namespace

absl::StatusOr<EvpPkeyPtr> ParsePrivateKeyPem(absl::string_view pem) {
  // Both PKCS#8 "ENCRYPTED PRIVATE KEY" and legacy "Proc-Type: 4,ENCRYPTED"
  // blocks carry this word; say so plainly rather than "bad decrypt".
  if (absl::StrContains(pem, "ENCRYPTED")) {
    return absl::InvalidArgumentError("pem: encrypted private keys are not supported");
  }
  absl::StatusOr<BioPtr> bio = ReadOnlyBio(pem);
  if (!bio.ok()) return bio.status();
  // PEM_read_bio_PrivateKey decodes PKCS#8, SEC1 and PKCS#1 through
  // OpenSSL 3's decoders, so the key is provider-native (see
  // signature_algorithm.h on why that matters for sharing it).
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return OpenSslError("PEM_read_bio_PrivateKey", absl::StatusCode::kInvalidArgument);
  }
  if (!HasPrivateKey(*key)) {
    return absl::InvalidArgumentError("pem: no private key material");
  }
  return key;
}

absl::StatusOr<EvpPkeyPtr> ParsePublicKeyPem(absl::string_view pem) {
  absl::StatusOr<BioPtr> bio = ReadOnlyBio(pem);
  if (!bio.ok()) return bio.status();
  EvpPkeyPtr key(PEM_read_bio_PUBKEY(bio->get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return OpenSslError("PEM_read_bio_PUBKEY", absl::StatusCode::kInvalidArgument);
  }
  return key;
}

void WipePem(std::string& pem) { OPENSSL_cleanse(pem.data(), pem.size()); }

bool HasPrivateKey(const EVP_PKEY& key) {
  const char* private_param = nullptr;
  if (EVP_PKEY_is_a(&key, "RSA") || EVP_PKEY_is_a(&key, "RSA-PSS")) {
    private_param = OSSL_PKEY_PARAM_RSA_D;
  } else if (EVP_PKEY_is_a(&key, "EC")) {
    private_param = OSSL_PKEY_PARAM_PRIV_KEY;
  }
  if (private_param != nullptr) {
    BIGNUM* secret = nullptr;
    const bool has = EVP_PKEY_get_bn_param(&key, private_param, &secret) == 1 && secret != nullptr;
    BN_clear_free(secret);  // the copy of the secret does not linger
    ClearOpenSslErrors();
    return has;
  }
  // Ed25519 and other raw keys: with a NULL buffer only the size is asked.
  size_t size = 0;
  const bool has = EVP_PKEY_get_raw_private_key(&key, nullptr, &size) == 1 && size > 0;
  ClearOpenSslErrors();
  return has;
}

}  // namespace tokend::crypto
