#ifndef TOKEND_SERVER_KEYS_KEY_RING_H_
#define TOKEND_SERVER_KEYS_KEY_RING_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"
#include "crypto/signature_algorithm.h"

namespace tokend::keys {

// One key of the ring. Immutable once in a ring; shared between threads.
struct Key {
  std::string kid;
  crypto::Algorithm alg = crypto::Algorithm::kES256;
  // Private for a key that can sign; a verify-only key may be public only.
  std::shared_ptr<EVP_PKEY> pkey;

  const crypto::SignatureAlgorithm& algorithm() const { return crypto::GetAlgorithm(alg); }
};

// Whether `a` and `b` are the same key under the same kid and alg (their
// public halves compared; the private halves follow from them).
bool SameKey(const Key& a, const Key& b);

// The set of keys tokend trusts: exactly one primary key that signs, and any
// number of verify-only keys (an upcoming key published before it signs, or a
// previous one kept until every token it signed has expired). Lookup is by
// `kid` only: there is deliberately no "try every key" fallback. Immutable and
// thread-safe; a rotation builds a new ring.
class KeyRing {
 public:
  // `keys[0]` becomes the primary. INVALID_ARGUMENT when `keys` is empty, a
  // kid is empty or repeated, a key fails its algorithm's CheckKey, or the
  // primary has no private key.
  static absl::StatusOr<std::shared_ptr<const KeyRing>> New(std::vector<Key> keys);

  // A ring that only verifies, as a verifier outside tokend holds (from the
  // JWK Set): the same checks as New except that no key needs a private
  // half. primary() is then just the first key; nothing signs with it.
  static absl::StatusOr<std::shared_ptr<const KeyRing>> NewVerifyOnly(std::vector<Key> keys);

  // The key new tokens are signed with.
  const Key& primary() const { return keys_.front(); }

  // The key named `kid`, or nullptr when the ring has none.
  const Key* Find(absl::string_view kid) const;

  // All keys, primary first, in configuration order.
  const std::vector<Key>& keys() const { return keys_; }

 private:
  explicit KeyRing(std::vector<Key> keys);
  static absl::StatusOr<std::shared_ptr<const KeyRing>> Make(std::vector<Key> keys,
                                                             bool needs_signing_key);

  std::vector<Key> keys_;
  absl::flat_hash_map<std::string, size_t> index_by_kid_;
};

}  // namespace tokend::keys

#endif  // TOKEND_SERVER_KEYS_KEY_RING_H_
