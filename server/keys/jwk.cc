#include "keys/jwk.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "json/strict_json.h"

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

// Private and symmetric JWK members (RFC 7518 sections 6.2.2, 6.3.2, 6.4;
// RFC 8037 section 2).
constexpr const char* kPrivateJwkMembers[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

// The key type each algorithm's JWK has.
absl::string_view KtyOf(crypto::Algorithm alg) {
  switch (alg) {
    case crypto::Algorithm::kES256:
    case crypto::Algorithm::kES384:
      return "EC";
    case crypto::Algorithm::kEdDSA:
      return "OKP";
    case crypto::Algorithm::kRS256:
    case crypto::Algorithm::kPS256:
      return "RSA";
  }
  return "";
}

absl::Status JwkError(absl::string_view kid, absl::string_view problem) {
  if (kid.empty()) return absl::InvalidArgumentError(absl::StrCat("jwk: ", problem));
  return absl::InvalidArgumentError(absl::StrCat("jwk \"", kid, "\": ", problem));
}

}  // namespace

absl::StatusOr<Key> ParsePublicJwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return JwkError("", "not a JSON object");
  auto string_member = [&jwk](const char* name) -> const std::string* {
    auto it = jwk.find(name);
    if (it == jwk.end() || !it->is_string()) return nullptr;
    return it->get_ptr<const std::string*>();
  };
  const std::string* kid = string_member("kid");
  if (kid == nullptr || kid->empty()) return JwkError("", "needs a non-empty string \"kid\"");
  for (const char* name : kPrivateJwkMembers) {
    if (jwk.contains(name)) {
      return JwkError(
          *kid, absl::StrCat("has the private member \"", name, "\"; a public key set must not"));
    }
  }
  const std::string* alg_name = string_member("alg");
  if (alg_name == nullptr) {
    // Why no guessing from kty or crv: the alg a key verifies with is pinned
    // by its JWK, never chosen later from a token's header.
    return JwkError(*kid, "needs a string \"alg\"");
  }
  std::optional<crypto::Algorithm> alg = crypto::AlgorithmFromName(*alg_name);
  if (!alg.has_value()) return JwkError(*kid, absl::StrCat("alg \"", *alg_name, "\" unsupported"));
  const std::string* kty = string_member("kty");
  if (kty == nullptr || *kty != KtyOf(*alg)) {
    return JwkError(*kid, absl::StrCat("alg ", *alg_name, " needs kty \"", KtyOf(*alg), "\""));
  }
  if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig") {
    return JwkError(*kid, "\"use\" must be \"sig\"");
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    bool verify = false;
    if (ops->is_array()) {
      for (const auto& op : *ops) verify = verify || op == "verify";
    }
    if (!verify) return JwkError(*kid, "\"key_ops\" must list \"verify\"");
  }
  // Hand the algorithm every string member; it takes the ones it needs and
  // refuses a missing one. A non-string value is as good as missing.
  crypto::PublicJwkMembers members;
  for (const auto& [name, value] : jwk.items()) {
    if (value.is_string()) members.members.emplace_back(name, value.get<std::string>());
  }
  const crypto::SignatureAlgorithm& algorithm = crypto::GetAlgorithm(*alg);
  absl::StatusOr<crypto::EvpPkeyPtr> pkey = algorithm.PublicKeyFromMembers(members);
  if (!pkey.ok()) return JwkError(*kid, pkey.status().message());
  return Key{.kid = *kid, .alg = *alg, .pkey = Share(*std::move(pkey))};
}

absl::StatusOr<ParsedJwks> ParseJwks(absl::string_view text) {
  nlohmann::json set;
  if (absl::Status status = json::ParseStrictJson(text, &set); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("jwks: ", status.message()));
  }
  if (!set.is_object() || !set.contains("keys") || !set["keys"].is_array()) {
    return absl::InvalidArgumentError("jwks: not a JWK Set ({\"keys\":[...]})");
  }
  ParsedJwks out;
  absl::flat_hash_set<std::string> kids;
  for (const nlohmann::json& jwk : set["keys"]) {
    if (jwk.is_object()) {
      if (auto kid = jwk.find("kid"); kid != jwk.end() && kid->is_string()) {
        // Why refuse the whole set: two keys under one kid make the verifying
        // key ambiguous, whichever of them is usable.
        if (!kids.insert(kid->get<std::string>()).second) {
          return absl::InvalidArgumentError(
              absl::StrCat("jwks: kid \"", kid->get<std::string>(), "\" repeated"));
        }
      }
    }
    absl::StatusOr<Key> key = ParsePublicJwk(jwk);
    if (key.ok()) {
      out.keys.push_back(*std::move(key));
    } else {
      out.skipped.emplace_back(key.status().message());
    }
  }
  if (out.keys.empty()) {
    return absl::InvalidArgumentError(
        out.skipped.empty() ? std::string("jwks: no keys")
                            : absl::StrCat("jwks: no usable key (", out.skipped.front(), ")"));
  }
  return out;
}

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
