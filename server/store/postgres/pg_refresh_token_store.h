#ifndef TOKEND_SERVER_STORE_POSTGRES_PG_REFRESH_TOKEN_STORE_H_
#define TOKEND_SERVER_STORE_POSTGRES_PG_REFRESH_TOKEN_STORE_H_

#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/postgres/database.h"
#include "store/refresh_token_store.h"

namespace tokend::store::postgres {

class Batcher;  // batcher.h, internal to this folder

// RefreshTokenStore on PostgreSQL (tables refresh_families, refresh_tokens).
// Thread-safe; each call runs as one statement on a pooled connection,
// shared with concurrent calls of the same kind (see below).
// Errors beyond refresh_token_store.h's: INVALID_ARGUMENT for a token hash
// that is not 32 bytes, text that is not UTF-8 or holds NUL, or an infinite
// time; ALREADY_EXISTS when the family id or a token hash is already stored
// (nothing written); INTERNAL for anything unexpected (detail logged).
// Times are kept to the microsecond (truncated).
//
// CreateFamily and Rotate are group-committed (see batcher.h): concurrent
// calls share one transaction and one commit, and each returns only once
// that commit is done; their outcomes and errors are those of a call alone.
// Concurrent Finds are batched the same way, into one read.
class PgRefreshTokenStore final : public RefreshTokenStore {
 public:
  // `db` must outlive this store.
  explicit PgRefreshTokenStore(Database* db);
  ~PgRefreshTokenStore() override;

  absl::Status CreateFamily(const RefreshFamily& family, const RefreshToken& first,
                            absl::Time deadline) override;
  absl::StatusOr<std::optional<RefreshTokenState>> Find(absl::string_view token_hash,
                                                        absl::Time deadline) override;
  // One statement marks the presented token used and inserts the successor
  // (see sql.cc kRotateTokens); the successor joins the presented token's
  // family whatever successor.family_id says.
  absl::StatusOr<RotateOutcome> Rotate(absl::string_view presented_hash, absl::Time used_at,
                                       const RefreshToken& successor, absl::Time deadline) override;

 private:
  std::unique_ptr<Batcher> find_;
  std::unique_ptr<Batcher> create_family_;
  std::unique_ptr<Batcher> rotate_;
};

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_PG_REFRESH_TOKEN_STORE_H_
