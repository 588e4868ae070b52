#ifndef TOKEND_SERVER_STORE_POSTGRES_REVOCATION_NOTIFICATION_H_
#define TOKEND_SERVER_STORE_POSTGRES_REVOCATION_NOTIFICATION_H_

// The payload of the revocation notifications (sql.h kRevokeMany sends them,
// PgRevocationFeed reads them). A library of its own, without libpqxx, so
// that the parser can be tested and fuzzed alone.

#include <optional>

#include "absl/strings/string_view.h"
#include "store/records.h"

namespace tokend::store::postgres {

// Parses "<kind> <revoked_at us> <expires_at us> <key>": a known
// Revocation::Kind number, two decimal int64 Unix times in microseconds, and
// a non-empty key that keeps its own spaces (it is last). nullopt for
// anything else, including the empty payload sent for a row too long for
// NOTIFY; the listener then re-reads recent rows instead.
std::optional<Revocation> ParseRevocationNotification(absl::string_view payload);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_REVOCATION_NOTIFICATION_H_
