#include "unit/crypto/test_keys.h"

#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

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

crypto::EvpPkeyPtr PublicOnly(const EVP_PKEY& key) {
  crypto::BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio.get(), &key) != 1) std::abort();
  crypto::EvpPkeyPtr out(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (out == nullptr) std::abort();
  return out;
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
