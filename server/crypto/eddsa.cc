// EdDSA with Ed25519 (RFC 8037). Ed448 is not supported.

#include <openssl/core_names.h>

#include "absl/status/status.h"
#include "crypto/algorithms.h"
#include "crypto/base64url.h"
#include "crypto/openssl_error.h"
#include "crypto/thread_contexts.h"

namespace tokend::crypto::internal {
namespace {

constexpr size_t kPublicKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;

// Cached contexts per (key, operation); distinct from every other algorithm's.
constexpr ContextUse kSignUse = 2 * static_cast<int>(Algorithm::kEdDSA);
constexpr ContextUse kVerifyUse = 2 * static_cast<int>(Algorithm::kEdDSA) + 1;

class EdDsa final : public SignatureAlgorithm {
 public:
  Algorithm id() const override { return Algorithm::kEdDSA; }

  absl::Status CheckKey(const EVP_PKEY& key) const override {
    if (!EVP_PKEY_is_a(&key, "ED25519")) {
      return absl::InvalidArgumentError("EdDSA needs an Ed25519 key");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> Sign(const EVP_PKEY& key,
                                   absl::string_view signing_input) const override {
    std::string signature(kSignatureBytes, '\0');
    // One-shot EVP_DigestSign on this thread's context for the key (no
    // digest: Ed25519 hashes internally, PureEdDSA), initialised once (see
    // thread_contexts.h). A context that fails is dropped and the signature
    // tried once more with a fresh one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      EVP_MD_CTX* ctx = ThreadDigestContext(key, kSignUse, [&key](EVP_MD_CTX* c) {
        // const_cast: the shared key is only up-referenced by the context.
        return EVP_DigestSignInit_ex(c, nullptr, nullptr, nullptr, nullptr,
                                     const_cast<EVP_PKEY*>(&key), nullptr) == 1;
      });
      if (ctx == nullptr) return OpenSslError("EVP_DigestSignInit_ex");
      size_t size = signature.size();
      if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                         reinterpret_cast<const unsigned char*>(signing_input.data()),
                         signing_input.size()) == 1 &&
          size == kSignatureBytes) {
        return signature;
      }
      ForgetThreadContext(key, kSignUse);
      if (attempt == 1) return OpenSslError("EVP_DigestSign");
      ClearOpenSslErrors();
    }
    return OpenSslError("EVP_DigestSign");  // not reached
  }

  bool Verify(const EVP_PKEY& key, absl::string_view signing_input,
              absl::string_view signature) const override {
    if (signature.size() != kSignatureBytes) return false;
    EVP_MD_CTX* ctx = ThreadDigestContext(key, kVerifyUse, [&key](EVP_MD_CTX* c) {
      return EVP_DigestVerifyInit_ex(c, nullptr, nullptr, nullptr, nullptr,
                                     const_cast<EVP_PKEY*>(&key), nullptr) == 1;
    });
    const bool ok = ctx != nullptr &&
                    EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                                     signature.size(),
                                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                                     signing_input.size()) == 1;
    if (!ok) {
      ForgetThreadContext(key, kVerifyUse);  // no failure path reuses a context
      ClearOpenSslErrors();
    }
    return ok;
  }

  absl::StatusOr<PublicJwkMembers> PublicMembers(const EVP_PKEY& key) const override {
    if (absl::Status status = CheckKey(key); !status.ok()) return status;
    std::string x(kPublicKeyBytes, '\0');
    size_t size = x.size();
    if (EVP_PKEY_get_raw_public_key(&key, reinterpret_cast<unsigned char*>(x.data()), &size) != 1 ||
        size != kPublicKeyBytes) {
      return OpenSslError("EVP_PKEY_get_raw_public_key");
    }
    PublicJwkMembers out;
    out.members = {{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", Base64UrlEncode(x)}};
    return out;
  }

  absl::StatusOr<EvpPkeyPtr> PublicKeyFromMembers(const PublicJwkMembers& members) const override {
    absl::StatusOr<std::string> crv = JwkMember(members, "crv", "EdDSA");
    if (!crv.ok()) return crv.status();
    // Why only Ed25519: an Ed448 key is another algorithm tokend does not use.
    if (*crv != "Ed25519") return absl::InvalidArgumentError("EdDSA needs crv Ed25519");
    absl::StatusOr<std::string> x = DecodedJwkMember(members, "x", "EdDSA");
    if (!x.ok()) return x.status();
    if (x->size() != kPublicKeyBytes) {
      return absl::InvalidArgumentError("EdDSA: JWK x must be 32 bytes");
    }
    EvpPkeyPtr key(EVP_PKEY_new_raw_public_key_ex(
        nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
    if (key == nullptr) {
      ClearOpenSslErrors();
      return absl::InvalidArgumentError("EdDSA: JWK x is not an Ed25519 key");
    }
    return key;
  }
};

}  // namespace

const SignatureAlgorithm& EdDsaAlgorithm() {
  static const EdDsa* const kEdDsa = new EdDsa();
  return *kEdDsa;
}

}  // namespace tokend::crypto::internal
