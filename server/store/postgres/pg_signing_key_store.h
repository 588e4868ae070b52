#ifndef TOKEND_SERVER_STORE_POSTGRES_PG_SIGNING_KEY_STORE_H_
#define TOKEND_SERVER_STORE_POSTGRES_PG_SIGNING_KEY_STORE_H_

#include <vector>

#include "store/postgres/database.h"
#include "store/signing_key_store.h"

namespace tokend::store::postgres {

// SigningKeyStore on PostgreSQL (table tokend_signing_keys, migration 0003).
// Change runs in one transaction that first takes a transaction-scoped
// advisory lock (so concurrent changers queue and each sees the previous
// one's rows), and, when it changed anything, NOTIFYs channel
// "tokend_signing_keys" in the same transaction (delivered on commit).
// signs_from is unique among unrevoked keys as a second guard: one key per
// signing period.
class PgSigningKeyStore final : public SigningKeyStore {
 public:
  // `db` must outlive the store.
  explicit PgSigningKeyStore(Database* db) : db_(db) {}

  absl::StatusOr<std::vector<SigningKeyRecord>> List(absl::Time deadline) override;
  absl::Status Change(
      absl::FunctionRef<absl::StatusOr<SigningKeyChanges>(const std::vector<SigningKeyRecord>&)>
          decide,
      absl::Time deadline) override;

 private:
  Database* const db_;
};

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_PG_SIGNING_KEY_STORE_H_
