#ifndef TOKEND_SERVER_STORE_RECORD_CHECKS_H_
#define TOKEND_SERVER_STORE_RECORD_CHECKS_H_

// The checks every store makes on the records it is given before storing
// anything: the values the PostgreSQL tables cannot hold (refresh_token_store.h
// lists them as INVALID_ARGUMENT). One home, so that the PostgreSQL stores and
// the test fakes refuse exactly the same inputs.
// Each returns OK or INVALID_ARGUMENT naming the field; no message repeats
// the value.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/records.h"

namespace tokend::store {

// A token hash: exactly 32 bytes (SHA-256).
absl::Status CheckTokenHash(absl::string_view name, absl::string_view hash);

// Text: UTF-8 without NUL bytes. PostgreSQL text can hold neither, and libpq
// would cut a parameter at the first NUL.
absl::Status CheckText(absl::string_view name, absl::string_view value);

// A time: finite.
absl::Status CheckTime(absl::string_view name, absl::Time t);

// CreateFamily's arguments: a non-empty family id, text fields and times as
// above, and the first token as CheckToken("first", ...).
absl::Status CheckNewFamily(const RefreshFamily& family, const RefreshToken& first);

// Rotate's arguments: the presented hash, used_at, and the successor as
// CheckToken("successor", ...).
absl::Status CheckRotation(absl::string_view presented_hash, absl::Time used_at,
                           const RefreshToken& successor);

// Revoke's argument: a known kind, a non-empty text key, finite times.
absl::Status CheckRevocation(const Revocation& revocation);

// Whether `kind` is the number of a Revocation::Kind that the revocation
// table holds (as the database and the notification payload carry it):
// kSigningKey is not one (key revocations live in the signing key rows).
bool IsRevocationKind(int kind);

}  // namespace tokend::store

#endif  // TOKEND_SERVER_STORE_RECORD_CHECKS_H_
