#ifndef TOKEND_SERVER_STORE_SIGNING_KEY_STORE_H_
#define TOKEND_SERVER_STORE_SIGNING_KEY_STORE_H_

// Managed signing keys, shared by every replica: one row per key with the
// instants of its life. The store only keeps rows; what they should be (the
// schedule) is decided by service/key_schedule.h.

#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tokend::store {

// One managed key. A replica publishes the key in its JWK Set while
// publish_from <= now < delete_after, and signs with it while
// signs_from <= now < signs_until, each by its own clock; a revoked key is
// neither published nor used, whatever its instants say.
struct SigningKeyRecord {
  std::string kid;
  std::string alg;          // JWS name, e.g. "ES256"
  std::string kek_id;       // the key-encryption key that sealed it
  std::string sealed_key;   // nonce || AES-256-GCM ciphertext || tag (never plaintext)
  absl::Time publish_from;  // <= signs_from
  absl::Time signs_from;
  absl::Time signs_until;   // > signs_from
  absl::Time delete_after;  // >= signs_until + the longest token lifetime
  std::optional<absl::Time> revoked_at;
  absl::Time created_at;
  bool imported = false;  // made outside tokend (`tokend keys import`)
};

// What one SigningKeyStore::Change applies, in this order: deletions (by
// kid), updates (rows matched by kid, every column replaced), insertions.
struct SigningKeyChanges {
  std::vector<std::string> remove;
  std::vector<SigningKeyRecord> update;
  std::vector<SigningKeyRecord> insert;

  bool empty() const { return remove.empty() && update.empty() && insert.empty(); }
};

// Thread-safe. UNAVAILABLE / DEADLINE_EXCEEDED / INTERNAL as the other stores.
class SigningKeyStore {
 public:
  virtual ~SigningKeyStore() = default;

  // Every row, ordered by signs_from.
  virtual absl::StatusOr<std::vector<SigningKeyRecord>> List(absl::Time deadline) = 0;

  // Reads every row and applies what `decide` makes of them, atomically, and
  // serialized with every other Change of every replica and process: a
  // decision is always made on the rows as the previous one left them, so
  // two replicas cannot both add the next key. When something changed, every
  // replica is told at once (see the feed). `decide` may run more than once
  // (a retried transaction); an error from it aborts the change and is
  // returned.
  virtual absl::Status Change(
      absl::FunctionRef<absl::StatusOr<SigningKeyChanges>(const std::vector<SigningKeyRecord>&)>
          decide,
      absl::Time deadline) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_SERVER_STORE_SIGNING_KEY_STORE_H_
