#include "keys/key_ring.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/pem.h"

namespace tokend::keys {

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::New(std::vector<Key> keys) {
  return Make(std::move(keys), /*needs_signing_key=*/true);
}

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::NewVerifyOnly(std::vector<Key> keys) {
  return Make(std::move(keys), /*needs_signing_key=*/false);
}

absl::StatusOr<std::shared_ptr<const KeyRing>> KeyRing::Make(std::vector<Key> keys,
                                                             bool needs_signing_key) {
  if (keys.empty()) return absl::InvalidArgumentError("key ring: no keys");
  absl::flat_hash_map<std::string, size_t> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Key& key = keys[i];
    if (key.kid.empty()) return absl::InvalidArgumentError("key ring: a key has an empty kid");
    if (!seen.emplace(key.kid, i).second) {
      // Why: lookup is by kid alone, so two keys under one kid would make
      // the verifying key ambiguous.
      return absl::InvalidArgumentError(absl::StrCat("key ring: kid \"", key.kid, "\" repeated"));
    }
    if (key.pkey == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("key ring: key \"", key.kid, "\" is empty"));
    }
    if (absl::Status status = key.algorithm().CheckKey(*key.pkey); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ring: key \"", key.kid, "\": ", status.message()));
    }
  }
  if (needs_signing_key && !crypto::HasPrivateKey(*keys.front().pkey)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key ring: primary key \"", keys.front().kid, "\" has no private key"));
  }
  return std::shared_ptr<const KeyRing>(new KeyRing(std::move(keys)));
}

KeyRing::KeyRing(std::vector<Key> keys) : keys_(std::move(keys)) {
  for (size_t i = 0; i < keys_.size(); ++i) index_by_kid_.emplace(keys_[i].kid, i);
}

bool SameKey(const Key& a, const Key& b) {
  return a.kid == b.kid && a.alg == b.alg && a.pkey != nullptr && b.pkey != nullptr &&
         EVP_PKEY_eq(a.pkey.get(), b.pkey.get()) == 1;
}

const Key* KeyRing::Find(absl::string_view kid) const {
  auto it = index_by_kid_.find(kid);
  if (it == index_by_kid_.end()) return nullptr;
  return &keys_[it->second];
}

}  // namespace tokend::keys
