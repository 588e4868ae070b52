#include "keys/jwk.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/pem.h"

namespace tokend::keys {
namespace {

// Largest key file read: PEM keys are a few KiB at most.
constexpr size_t kMaxKeyFileBytes = size_t{64} * 1024;

std::shared_ptr<EVP_PKEY> Share(crypto::EvpPkeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free);
}

absl::Status FileError(const std::string& path, int error) {
  const std::string message = absl::StrCat(
      "key file \"", path, "\": cannot read: ", std::generic_category().message(error));
  if (error == ENOENT || error == ENOTDIR) return absl::NotFoundError(message);
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<std::string> ReadKeyFile(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (file == nullptr) return FileError(path, errno);
  std::string text(kMaxKeyFileBytes + 1, '\0');
  const size_t size = std::fread(text.data(), 1, text.size(), file.get());
  if (std::ferror(file.get())) return FileError(path, errno);  // e.g. a directory
  if (size > kMaxKeyFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file \"", path, "\": larger than ", kMaxKeyFileBytes, " bytes"));
  }
  text.resize(size);
  return text;
}

}  // namespace

absl::StatusOr<std::string> JwkThumbprint(const EVP_PKEY& pkey, crypto::Algorithm alg) {
  absl::StatusOr<crypto::PublicJwkMembers> members = crypto::GetAlgorithm(alg).PublicMembers(pkey);
  if (!members.ok()) return members.status();
  // RFC 7638 section 3: required members only, sorted, no whitespace. The
  // values are base64url or fixed names, but quote them properly anyway.
  std::string canonical = "{";
  for (const auto& [name, value] : members->members) {
    if (canonical.size() > 1) canonical += ',';
    absl::StrAppend(&canonical, nlohmann::json(name).dump(), ":", nlohmann::json(value).dump());
  }
  canonical += '}';
  return crypto::Base64UrlEncode(crypto::Sha256(canonical));
}

absl::StatusOr<std::string> JwksJson(const KeyRing& ring) {
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (const Key& key : ring.keys()) {
    absl::StatusOr<crypto::PublicJwkMembers> members = key.algorithm().PublicMembers(*key.pkey);
    if (!members.ok()) return absl::InternalError(members.status().message());
    nlohmann::ordered_json jwk = nlohmann::ordered_json::object();
    jwk["kid"] = key.kid;
    for (const auto& [name, value] : members->members) {
      if (name == "kty") jwk["kty"] = value;
    }
    jwk["alg"] = std::string(crypto::AlgorithmName(key.alg));
    jwk["use"] = "sig";
    for (const auto& [name, value] : members->members) {
      if (name != "kty") jwk[name] = value;
    }
    keys.push_back(std::move(jwk));
  }
  nlohmann::ordered_json set = nlohmann::ordered_json::object();
  set["keys"] = std::move(keys);
  try {
    return set.dump();
  } catch (const std::exception&) {  // only on invalid UTF-8 in a kid
    return absl::InternalError("jwks: a kid is not valid UTF-8");
  }
}

absl::StatusOr<Key> LoadKeyFile(const std::string& path, crypto::Algorithm alg,
                                const std::string& kid, bool allow_public_only) {
  absl::StatusOr<std::string> text = ReadKeyFile(path);
  if (!text.ok()) return text.status();
  absl::StatusOr<crypto::EvpPkeyPtr> pkey = crypto::ParsePrivateKeyPem(*text);
  if (!pkey.ok()) {
    absl::StatusOr<crypto::EvpPkeyPtr> public_key = crypto::ParsePublicKeyPem(*text);
    crypto::WipePem(*text);
    if (public_key.ok() && allow_public_only) {
      pkey = std::move(public_key);
    } else if (public_key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file \"", path,
                       "\": holds a public key only; a signing key needs "
                       "its private key"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "key file \"", path, "\": no usable PEM key (PKCS#8, SEC1 or PKCS#1",
          allow_public_only ? ", or a public key" : "", "): ", pkey.status().message()));
    }
  }
  crypto::WipePem(*text);
  if (absl::Status status = crypto::GetAlgorithm(alg).CheckKey(**pkey); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("key file \"", path, "\": ", status.message()));
  }
  Key key{.kid = kid, .alg = alg, .pkey = Share(*std::move(pkey))};
  if (key.kid.empty()) {
    absl::StatusOr<std::string> thumbprint = JwkThumbprint(*key.pkey, alg);
    if (!thumbprint.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key file \"", path, "\": ", thumbprint.status().message()));
    }
    key.kid = *std::move(thumbprint);
  }
  return key;
}

}  // namespace tokend::keys
