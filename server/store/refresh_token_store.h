#ifndef TOKEND_SERVER_STORE_REFRESH_TOKEN_STORE_H_
#define TOKEND_SERVER_STORE_REFRESH_TOKEN_STORE_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/records.h"

namespace tokend::store {

// Errors shared by every store method:
//   UNAVAILABLE        the database cannot be reached (nothing was written)
//   DEADLINE_EXCEEDED  `deadline` passed first (nothing was written)
//   INVALID_ARGUMENT   a value the database cannot hold: a token hash that is
//                      not 32 bytes, text with a NUL byte or that is not
//                      UTF-8, an infinite time, an unknown revocation kind or
//                      an empty revocation key (nothing was written)
//   ALREADY_EXISTS     CreateFamily / Rotate: the family id or a new token's
//                      hash is already stored (nothing was written)
//   ABORTED            a rare conflict between transactions; safe to retry
//                      (nothing was written)
//   INTERNAL           anything unexpected (detail in the server log)
// A method that answers OK has committed durably. Times are stored to the
// microsecond (truncated towards the past).

// Persistent refresh tokens. Thread-safe.
class RefreshTokenStore {
 public:
  virtual ~RefreshTokenStore() = default;

  // Stores a new family and its first token in one transaction.
  virtual absl::Status CreateFamily(const RefreshFamily& family, const RefreshToken& first,
                                    absl::Time deadline) = 0;

  // The token whose hash is `token_hash`, with its family and revocation
  // state; nullopt when there is none.
  virtual absl::StatusOr<std::optional<RefreshTokenState>> Find(absl::string_view token_hash,
                                                                absl::Time deadline) = 0;

  enum class RotateOutcome {
    kRotated,      // presented marked used at `used_at`; successor stored
    kAlreadyUsed,  // presented was used before (or is unknown): nothing written
  };

  // Atomically redeems the token `presented_hash` and stores `successor` in
  // its family: exactly one of any number of concurrent calls for the same
  // token gets kRotated. This is the linearization point of redemption.
  // The successor always joins the presented token's family, whatever
  // successor.family_id says. Expiry and revocation are not checked here
  // (the caller decides with Find).
  virtual absl::StatusOr<RotateOutcome> Rotate(absl::string_view presented_hash, absl::Time used_at,
                                               const RefreshToken& successor,
                                               absl::Time deadline) = 0;
};

}  // namespace tokend::store

#endif  // TOKEND_SERVER_STORE_REFRESH_TOKEN_STORE_H_
