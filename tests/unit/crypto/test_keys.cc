#include "unit/crypto/test_keys.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "crypto/base64url.h"
#include "gtest/gtest.h"

namespace tokend::testing {

crypto::EvpPkeyPtr GenerateKey(crypto::Algorithm alg) {
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case crypto::Algorithm::kES256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case crypto::Algorithm::kES384:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case crypto::Algorithm::kEdDSA:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case crypto::Algorithm::kRS256:
    case crypto::Algorithm::kPS256:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
      break;
  }
  if (key == nullptr) {
    std::cerr << "EVP_PKEY_Q_keygen failed\n";
    std::abort();
  }
  return crypto::EvpPkeyPtr(key);
}

std::shared_ptr<EVP_PKEY> GenerateSharedKey(crypto::Algorithm alg) {
  return std::shared_ptr<EVP_PKEY>(GenerateKey(alg).release(), EVP_PKEY_free);
}

std::string PublicKeyPem(const EVP_PKEY& key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), &key) != 1) std::abort();
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  if (size <= 0 || data == nullptr) std::abort();
  return std::string(data, static_cast<size_t>(size));
}

crypto::EvpPkeyPtr PublicOnly(const EVP_PKEY& key) {
  const std::string pem = PublicKeyPem(key);
  crypto::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) std::abort();
  crypto::EvpPkeyPtr out(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (out == nullptr) std::abort();
  return out;
}

namespace {

// The strictly base64url-decoded string member `name` of `jwk`, or nullopt.
std::optional<std::string> JwkBytes(const nlohmann::json& jwk, const char* name) {
  if (!jwk.contains(name) || !jwk[name].is_string()) return std::nullopt;
  std::string bytes;
  if (!crypto::Base64UrlDecode(jwk[name].get<std::string>(), &bytes)) return std::nullopt;
  return bytes;
}

// A public key of OpenSSL type `type` from the parameters in `builder`.
crypto::EvpPkeyPtr PublicKeyFromParams(const char* type, OSSL_PARAM_BLD* builder) {
  crypto::OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder));
  crypto::EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return crypto::EvpPkeyPtr(key);
}

crypto::EvpPkeyPtr EcPublicKey(const nlohmann::json& jwk) {
  const std::string crv = jwk.value("crv", "");
  const char* group = crv == "P-256" ? "prime256v1" : crv == "P-384" ? "secp384r1" : nullptr;
  const size_t size = crv == "P-256" ? 32 : 48;
  std::optional<std::string> x = JwkBytes(jwk, "x");
  std::optional<std::string> y = JwkBytes(jwk, "y");
  if (group == nullptr || !x || !y || x->size() != size || y->size() != size) return nullptr;
  const std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  crypto::OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return nullptr;
  }
  crypto::EvpPkeyPtr key = PublicKeyFromParams("EC", builder.get());
  if (key == nullptr) return nullptr;
  crypto::EvpPkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

crypto::EvpPkeyPtr RsaPublicKey(const nlohmann::json& jwk) {
  std::optional<std::string> n = JwkBytes(jwk, "n");
  std::optional<std::string> e = JwkBytes(jwk, "e");
  if (!n || !e) return nullptr;
  auto bignum = [](const std::string& bytes) {
    return crypto::BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<int>(bytes.size()), nullptr));
  };
  crypto::BignumPtr n_bn = bignum(*n);
  crypto::BignumPtr e_bn = bignum(*e);
  crypto::OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (n_bn == nullptr || e_bn == nullptr || builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n_bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e_bn.get()) != 1) {
    return nullptr;
  }
  return PublicKeyFromParams("RSA", builder.get());
}

}  // namespace

crypto::EvpPkeyPtr PublicKeyFromJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return nullptr;
  const std::string kty = jwk.value("kty", "");
  if (kty == "EC") return EcPublicKey(jwk);
  if (kty == "RSA") return RsaPublicKey(jwk);
  if (kty == "OKP" && jwk.value("crv", "") == "Ed25519") {
    std::optional<std::string> x = JwkBytes(jwk, "x");
    if (!x) return nullptr;
    crypto::EvpPkeyPtr key(EVP_PKEY_new_raw_public_key_ex(
        nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
    ERR_clear_error();
    return key;
  }
  return nullptr;
}

std::string HexDecode(absl::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    std::abort();
  };
  if (hex.size() % 2 != 0) std::abort();
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<char>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

nlohmann::json LoadWycheproof(const std::string& name) {
  const std::string path = std::string(TOKEND_WYCHEPROOF_DIR) + "/" + name;
  std::ifstream file(path);
  if (!file) {
    ADD_FAILURE() << "missing Wycheproof file " << path;
    return nullptr;
  }
  std::stringstream text;
  text << file.rdbuf();
  nlohmann::json json = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.contains("testGroups")) {
    ADD_FAILURE() << "unreadable Wycheproof file " << path;
    return nullptr;
  }
  return json;
}

}  // namespace tokend::testing
