#include "crypto/ecdsa.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/objects.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/algorithms.h"
#include "crypto/base64url.h"
#include "crypto/openssl_error.h"

namespace tokend::crypto::internal {

bool EcdsaRawToDer(absl::string_view raw, size_t coordinate_bytes, std::string* der) {
  // Why: JWS fixes the length; a shorter, longer or DER-encoded signature is
  // another spelling of (maybe) the same signature and is refused outright.
  if (raw.size() != 2 * coordinate_bytes) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BignumPtr r(BN_bin2bn(bytes, static_cast<int>(coordinate_bytes), nullptr));
  BignumPtr s(BN_bin2bn(bytes + coordinate_bytes, static_cast<int>(coordinate_bytes), nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (r == nullptr || s == nullptr || sig == nullptr) return false;
  if (ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return false;
  static_cast<void>(r.release());  // owned by sig from here
  static_cast<void>(s.release());
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return false;
  der->resize(static_cast<size_t>(size));
  auto* out = reinterpret_cast<unsigned char*>(der->data());
  return i2d_ECDSA_SIG(sig.get(), &out) == size;
}

absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t coordinate_bytes) {
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
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_MD_CTX_new");
  // const_cast: OpenSSL takes EVP_PKEY* but only up-refs it into the new,
  // per-call context; the shared key is not modified.
  if (EVP_DigestSignInit_ex(ctx.get(), nullptr, params_.digest, nullptr, nullptr,
                            const_cast<EVP_PKEY*>(&key), nullptr) != 1) {
    return OpenSslError("EVP_DigestSignInit_ex");
  }
  size_t size = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(signing_input.data());
  if (EVP_DigestSign(ctx.get(), nullptr, &size, in, signing_input.size()) != 1) {
    return OpenSslError("EVP_DigestSign");
  }
  std::string der(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &size, in,
                     signing_input.size()) != 1) {
    return OpenSslError("EVP_DigestSign");
  }
  der.resize(size);
  return EcdsaDerToRaw(der, params_.coordinate_bytes);
}

bool EcdsaAlgorithm::Verify(const EVP_PKEY& key, absl::string_view signing_input,
                            absl::string_view signature) const {
  std::string der;
  if (!EcdsaRawToDer(signature, params_.coordinate_bytes, &der)) {
    ClearOpenSslErrors();
    return false;
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  // const_cast: as in Sign, the shared key is only up-referenced.
  const bool ok =
      ctx != nullptr &&
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, params_.digest, nullptr, nullptr,
                              const_cast<EVP_PKEY*>(&key), nullptr) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                       reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  if (!ok) ClearOpenSslErrors();
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
  if (absl::Status status = CheckMemberNames(members, {"crv", "kty", "x", "y"}, "EC");
      !status.ok()) {
    return status;
  }
  if (*FindMember(members, "crv") != params_.jwk_crv) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwk: ", AlgorithmName(params_.id), " needs crv \"", params_.jwk_crv, "\""));
  }
  absl::StatusOr<std::string> x = DecodeMember(members, "x");
  if (!x.ok()) return x.status();
  absl::StatusOr<std::string> y = DecodeMember(members, "y");
  if (!y.ok()) return y.status();
  // RFC 7518 section 6.2.1.2: x and y are the full coordinate length.
  if (x->size() != params_.coordinate_bytes || y->size() != params_.coordinate_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("jwk: x and y must be ", params_.coordinate_bytes, " bytes each"));
  }
  const std::string point = absl::StrCat("\x04", *x, *y);  // uncompressed SEC1 point

  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr) return OpenSslError("OSSL_PARAM_BLD_new");
  if (OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, params_.group_name,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD_push");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (params == nullptr) return OpenSslError("OSSL_PARAM_BLD_to_param");
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_name");
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1) return OpenSslError("EVP_PKEY_fromdata_init");
  EVP_PKEY* raw_key = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw_key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return OpenSslError("EVP_PKEY_fromdata", absl::StatusCode::kInvalidArgument);
  }
  EvpPkeyPtr key(raw_key);
  // Why: a point off the curve (or the point at infinity) invites
  // invalid-curve attacks; refuse it here rather than trust the decoder.
  EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_pkey");
  if (EVP_PKEY_public_check(check.get()) != 1) {
    return OpenSslError("EVP_PKEY_public_check", absl::StatusCode::kInvalidArgument);
  }
  if (absl::Status status = CheckKey(*key); !status.ok()) return status;
  return key;
}

}  // namespace tokend::crypto::internal
