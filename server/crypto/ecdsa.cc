#include "crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/algorithms.h"
#include "crypto/base64url.h"
#include "crypto/openssl_error.h"
#include "crypto/thread_contexts.h"

namespace tokend::crypto::internal {
namespace {

// Largest coordinate we handle (P-384); the DER form then stays below 128
// bytes, so every DER length below fits in one byte.
constexpr size_t kMaxCoordinateBytes = 48;
// SEQUENCE { INTEGER r, INTEGER s }: 2 + 2 * (2 + 1 + kMaxCoordinateBytes).
constexpr size_t kMaxDerBytes = 2 + 2 * (3 + kMaxCoordinateBytes);

// Appends the DER INTEGER of the unsigned big-endian `bytes`: leading zero
// bytes dropped (one kept for zero), a zero byte prepended when the high bit
// is set. Exactly what i2d_ECDSA_SIG writes.
size_t AppendDerInteger(const unsigned char* bytes, size_t size, unsigned char* out) {
  size_t start = 0;
  while (start + 1 < size && bytes[start] == 0) ++start;
  const bool pad = (bytes[start] & 0x80) != 0;
  const size_t length = size - start + (pad ? 1 : 0);
  size_t n = 0;
  out[n++] = 0x02;
  out[n++] = static_cast<unsigned char>(length);
  if (pad) out[n++] = 0x00;
  std::memcpy(out + n, bytes + start, size - start);
  return n + size - start;
}

// EcdsaRawToDer without allocating: writes at most kMaxDerBytes to `out`.
bool RawToDer(absl::string_view raw, size_t coordinate_bytes, unsigned char* out,
              size_t* der_size) {
  // Why: JWS fixes the length; a shorter, longer or DER-encoded signature is
  // another spelling of (maybe) the same signature and is refused outright.
  if (coordinate_bytes == 0 || coordinate_bytes > kMaxCoordinateBytes ||
      raw.size() != 2 * coordinate_bytes) {
    return false;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  size_t n = 2;
  n += AppendDerInteger(bytes, coordinate_bytes, out + n);
  n += AppendDerInteger(bytes + coordinate_bytes, coordinate_bytes, out + n);
  out[0] = 0x30;
  out[1] = static_cast<unsigned char>(n - 2);
  *der_size = n;
  return true;
}

// Cached contexts per (key, ECDSA algorithm, operation).
ContextUse SignUse(Algorithm id) { return 2 * static_cast<int>(id); }
ContextUse VerifyUse(Algorithm id) { return 2 * static_cast<int>(id) + 1; }

}  // namespace

bool EcdsaRawToDer(absl::string_view raw, size_t coordinate_bytes, std::string* der) {
  unsigned char out[kMaxDerBytes];
  size_t size = 0;
  if (!RawToDer(raw, coordinate_bytes, out, &size)) return false;
  der->assign(reinterpret_cast<const char*>(out), size);
  return true;
}

namespace {

// Reads one DER INTEGER of the minimal form OpenSSL writes (short length,
// at most one leading zero byte, and only before a high bit) into the
// `coordinate_bytes` big-endian bytes at `out`; false for any other form.
bool ReadDerInteger(const unsigned char*& p, const unsigned char* end, size_t coordinate_bytes,
                    unsigned char* out) {
  if (end - p < 2 || p[0] != 0x02) return false;
  size_t length = p[1];
  p += 2;
  if (length == 0 || length > 0x7f || static_cast<size_t>(end - p) < length) return false;
  const unsigned char* value = p;
  p += length;
  if (length > 1 && value[0] == 0x00) {
    if ((value[1] & 0x80) == 0) return false;  // not minimal
    ++value;
    --length;
  }
  if (length > coordinate_bytes) return false;
  std::memset(out, 0, coordinate_bytes - length);
  std::memcpy(out + coordinate_bytes - length, value, length);
  return true;
}

// EcdsaDerToRaw for OpenSSL's own minimal DER, without BIGNUMs.
bool DerToRawFast(absl::string_view der, size_t coordinate_bytes, std::string* raw) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  if (der.size() < 2 || p[0] != 0x30 || p[1] > 0x7f ||
      static_cast<size_t>(p[1]) + 2 != der.size()) {
    return false;
  }
  p += 2;
  raw->assign(2 * coordinate_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw->data());
  return ReadDerInteger(p, end, coordinate_bytes, out) &&
         ReadDerInteger(p, end, coordinate_bytes, out + coordinate_bytes) && p == end;
}

}  // namespace

absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t coordinate_bytes) {
  // The usual case (OpenSSL's minimal DER) without allocating BIGNUMs; any
  // other form takes the general path below, which decides.
  if (std::string raw; DerToRawFast(der, coordinate_bytes, &raw)) return raw;
  const auto* in = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (sig == nullptr) return OpenSslError("d2i_ECDSA_SIG");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * coordinate_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(r, out, static_cast<int>(coordinate_bytes)) < 0 ||
      BN_bn2binpad(s, out + coordinate_bytes, static_cast<int>(coordinate_bytes)) < 0) {
    return OpenSslError("BN_bn2binpad");
  }
  return raw;
}

absl::Status EcdsaAlgorithm::CheckKey(const EVP_PKEY& key) const {
  const absl::string_view name = AlgorithmName(params_.id);
  if (!EVP_PKEY_is_a(&key, "EC")) {
    return absl::InvalidArgumentError(absl::StrCat(name, " needs an EC key"));
  }
  char group[64];
  size_t group_size = 0;
  if (EVP_PKEY_get_utf8_string_param(&key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &group_size) != 1 ||
      OBJ_sn2nid(group) != params_.curve_nid) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat(name, " needs a key on the named curve ", params_.jwk_crv));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EcdsaAlgorithm::Sign(const EVP_PKEY& key,
                                                 absl::string_view signing_input) const {
  // Hash, then sign the digest with this thread's context for the key: the
  // same signature EVP_DigestSign makes, without initialising a context on
  // every call (see thread_contexts.h).
  const EVP_MD* md = FetchedDigest(params_.digest);
  Digest digest;
  if (!DigestInto(md, signing_input, digest)) return OpenSslError("EVP_Digest");
  unsigned char der[kMaxDerBytes + 16];
  size_t size = 0;
  // A cached context that fails is dropped and the signature tried once more
  // with a fresh one, so a context in an unexpected state is never kept.
  for (int attempt = 0; attempt < 2; ++attempt) {
    EVP_PKEY_CTX* ctx = ThreadPkeyContext(
        key, SignUse(params_.id), [](EVP_PKEY_CTX* c) { return EVP_PKEY_sign_init(c) == 1; });
    if (ctx == nullptr) return OpenSslError("EVP_PKEY_sign_init");
    size = sizeof(der);
    if (EVP_PKEY_sign(ctx, der, &size, digest.bytes, digest.size) == 1) break;
    ForgetThreadContext(key, SignUse(params_.id));
    if (attempt == 1) return OpenSslError("EVP_PKEY_sign");
    ClearOpenSslErrors();
  }
  return EcdsaDerToRaw(absl::string_view(reinterpret_cast<const char*>(der), size),
                       params_.coordinate_bytes);
}

bool EcdsaAlgorithm::Verify(const EVP_PKEY& key, absl::string_view signing_input,
                            absl::string_view signature) const {
  unsigned char der[kMaxDerBytes];
  size_t der_size = 0;
  if (!RawToDer(signature, params_.coordinate_bytes, der, &der_size)) return false;
  const EVP_MD* md = FetchedDigest(params_.digest);
  Digest digest;
  if (!DigestInto(md, signing_input, digest)) {
    ClearOpenSslErrors();
    return false;
  }
  EVP_PKEY_CTX* ctx = ThreadPkeyContext(
      key, VerifyUse(params_.id), [](EVP_PKEY_CTX* c) { return EVP_PKEY_verify_init(c) == 1; });
  const bool ok =
      ctx != nullptr && EVP_PKEY_verify(ctx, der, der_size, digest.bytes, digest.size) == 1;
  if (!ok) {
    // A signature that does not verify leaves the context as it was; it is
    // dropped anyway so that no failure path ever reuses a context.
    ForgetThreadContext(key, VerifyUse(params_.id));
    ClearOpenSslErrors();
  }
  return ok;
}

absl::StatusOr<PublicJwkMembers> EcdsaAlgorithm::PublicMembers(const EVP_PKEY& key) const {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  BIGNUM* x_raw = nullptr;
  BIGNUM* y_raw = nullptr;
  const int got_x = EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_EC_PUB_X, &x_raw);
  BignumPtr x(x_raw);
  const int got_y = EVP_PKEY_get_bn_param(&key, OSSL_PKEY_PARAM_EC_PUB_Y, &y_raw);
  BignumPtr y(y_raw);
  if (got_x != 1 || got_y != 1) return OpenSslError("EVP_PKEY_get_bn_param");
  const int n = static_cast<int>(params_.coordinate_bytes);
  std::string x_bytes(params_.coordinate_bytes, '\0');
  std::string y_bytes(params_.coordinate_bytes, '\0');
  if (BN_bn2binpad(x.get(), reinterpret_cast<unsigned char*>(x_bytes.data()), n) != n ||
      BN_bn2binpad(y.get(), reinterpret_cast<unsigned char*>(y_bytes.data()), n) != n) {
    return OpenSslError("BN_bn2binpad");
  }
  PublicJwkMembers out;
  out.members = {{"crv", params_.jwk_crv},
                 {"kty", "EC"},
                 {"x", Base64UrlEncode(x_bytes)},
                 {"y", Base64UrlEncode(y_bytes)}};
  return out;
}

absl::StatusOr<EvpPkeyPtr> EcdsaAlgorithm::PublicKeyFromMembers(
    const PublicJwkMembers& members) const {
  const absl::string_view name = AlgorithmName(params_.id);
  absl::StatusOr<std::string> crv = JwkMember(members, "crv", name);
  if (!crv.ok()) return crv.status();
  if (*crv != params_.jwk_crv) {
    return absl::InvalidArgumentError(absl::StrCat(name, " needs crv ", params_.jwk_crv));
  }
  absl::StatusOr<std::string> x = DecodedJwkMember(members, "x", name);
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = DecodedJwkMember(members, "y", name);
  if (!y.ok()) return y.status();
  // RFC 7518 section 6.2.1.2: each coordinate is exactly the field's length.
  if (x->size() != params_.coordinate_bytes || y->size() != params_.coordinate_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": JWK x and y must be ", params_.coordinate_bytes, " bytes each"));
  }
  // The uncompressed SEC1 point; OpenSSL refuses one that is not on the curve.
  std::string point = absl::StrCat("\x04", *x, *y);
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, params_.group_name,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD_push");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (params == nullptr || ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_name");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": JWK point is not on ", params_.jwk_crv));
  }
  EvpPkeyPtr key(raw);
  // Belt and braces: the point must also be a valid public key of the group
  // (not the point at infinity, in the prime-order subgroup).
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat(name, ": JWK point is not a valid public key"));
  }
  if (absl::Status status = CheckKey(*key); !status.ok()) return status;
  return key;
}

// ES256: ECDSA on P-256 with SHA-256 (RFC 7518 section 3.4).
const SignatureAlgorithm& Es256Algorithm() {
  static const EcdsaAlgorithm* const kEs256 = new EcdsaAlgorithm(EcdsaParams{
      .id = Algorithm::kES256,
      .digest = "SHA256",
      .curve_nid = NID_X9_62_prime256v1,
      .group_name = "prime256v1",
      .jwk_crv = "P-256",
      .coordinate_bytes = 32,  // JWS signature: r||s, 64 bytes
  });
  return *kEs256;
}

// ES384: ECDSA on P-384 with SHA-384 (RFC 7518 section 3.4).
const SignatureAlgorithm& Es384Algorithm() {
  static const EcdsaAlgorithm* const kEs384 = new EcdsaAlgorithm(EcdsaParams{
      .id = Algorithm::kES384,
      .digest = "SHA384",
      .curve_nid = NID_secp384r1,
      .group_name = "secp384r1",
      .jwk_crv = "P-384",
      .coordinate_bytes = 48,  // JWS signature: r||s, 96 bytes
  });
  return *kEs384;
}

}  // namespace tokend::crypto::internal
