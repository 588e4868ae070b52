#include "crypto/key_codec.h"

#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>

#include <memory>

#include "absl/status/status.h"
#include "crypto/openssl_error.h"
#include "crypto/pem.h"

namespace tokend::crypto {
namespace {

using EncoderCtxPtr =
    std::unique_ptr<OSSL_ENCODER_CTX, OpenSslDeleter<OSSL_ENCODER_CTX, OSSL_ENCODER_CTX_free>>;
using DecoderCtxPtr =
    std::unique_ptr<OSSL_DECODER_CTX, OpenSslDeleter<OSSL_DECODER_CTX, OSSL_DECODER_CTX_free>>;

// RSA keys tokend makes: 3072 bits, NIST's size for security beyond 2030.
constexpr size_t kRsaBits = 3072;

}  // namespace

absl::StatusOr<EvpPkeyPtr> GeneratePrivateKey(Algorithm alg) {
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case Algorithm::kES256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case Algorithm::kES384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case Algorithm::kEdDSA:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", kRsaBits);
      break;
  }
  if (key == nullptr) return OpenSslError("EVP_PKEY_Q_keygen");
  return EvpPkeyPtr(key);
}

absl::StatusOr<std::string> PrivateKeyToDer(const EVP_PKEY& key) {
  if (!HasPrivateKey(key)) return absl::InvalidArgumentError("key codec: not a private key");
  EncoderCtxPtr ctx(OSSL_ENCODER_CTX_new_for_pkey(&key, OSSL_KEYMGMT_SELECT_ALL, "DER",
                                                  "PrivateKeyInfo", nullptr));
  if (ctx == nullptr || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0) {
    return OpenSslError("OSSL_ENCODER_CTX_new_for_pkey");
  }
  unsigned char* data = nullptr;
  size_t len = 0;
  if (OSSL_ENCODER_to_data(ctx.get(), &data, &len) != 1)
    return OpenSslError("OSSL_ENCODER_to_data");
  std::string der(reinterpret_cast<const char*>(data), len);
  OPENSSL_clear_free(data, len);
  return der;
}

absl::StatusOr<EvpPkeyPtr> PrivateKeyFromDer(absl::string_view der) {
  EVP_PKEY* key = nullptr;
  DecoderCtxPtr ctx(OSSL_DECODER_CTX_new_for_pkey(&key, "DER", "PrivateKeyInfo", nullptr,
                                                  EVP_PKEY_KEYPAIR, nullptr, nullptr));
  if (ctx == nullptr) return OpenSslError("OSSL_DECODER_CTX_new_for_pkey");
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  size_t len = der.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &len) != 1 || key == nullptr) {
    EVP_PKEY_free(key);
    return OpenSslError("OSSL_DECODER_from_data", absl::StatusCode::kInvalidArgument);
  }
  EvpPkeyPtr owned(key);
  if (!HasPrivateKey(*owned)) return absl::InvalidArgumentError("key codec: no private key");
  return owned;
}

}  // namespace tokend::crypto
