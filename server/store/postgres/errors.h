#ifndef TOKEND_SERVER_STORE_POSTGRES_ERRORS_H_
#define TOKEND_SERVER_STORE_POSTGRES_ERRORS_H_

// The one place where libpqxx and standard exceptions become absl::Status.
// Internal to store/postgres.

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokend::store::postgres {

struct DatabaseError {
  absl::Status status;
  // The connection can no longer be trusted and must be closed: it broke,
  // the server is shutting down, or the outcome of a commit is unknown.
  bool connection_lost = false;
  // The failure certainly happened before anything could be committed.
  bool before_commit = true;
};

// Classifies `error` (thrown while running `operation`, a short name such as
// "rotate" that goes to the log). The Status message is generic and never
// contains SQL, parameters or the server's text; the detail is logged.
//   broken connection, connection failures, SQLSTATE 08xxx, 57P01..57P03,
//     53300 (too many connections), 25006 (read-only: a standby after a
//     failover), in-doubt commit                   -> UNAVAILABLE
//   57014 (statement_timeout), 55P03 (lock_timeout) -> DEADLINE_EXCEEDED
//   23505 unique violation                          -> ALREADY_EXISTS
//   40001 / 40P01 serialization failure, deadlock   -> ABORTED (retryable)
//   anything else                                   -> INTERNAL
DatabaseError ClassifyException(std::exception_ptr error, absl::string_view operation);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_ERRORS_H_
