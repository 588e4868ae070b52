#include "store/postgres/errors.h"

#include <new>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "common/log.h"
#include "common/log_throttle.h"

namespace tokend::store::postgres {
namespace {

using common::Log;
using common::LogLevel;

// A caller can cause these once per request (short deadlines, conflicting
// writes): at most 10 a second each, the rest counted.
common::LogThrottle deadline_exceeded_log(10, absl::Seconds(1));
common::LogThrottle transaction_aborted_log(10, absl::Seconds(1));

DatabaseError Unavailable(absl::string_view operation, absl::string_view sqlstate,
                          absl::string_view detail) {
  Log(LogLevel::kWarning, "database unavailable",
      {{"op", operation}, {"sqlstate", sqlstate}, {"detail", detail}});
  return {absl::UnavailableError("database unavailable"), true, true};
}

DatabaseError Internal(absl::string_view operation, absl::string_view sqlstate,
                       absl::string_view detail) {
  Log(LogLevel::kError, "database error",
      {{"op", operation}, {"sqlstate", sqlstate}, {"detail", detail}});
  return {absl::InternalError("database error"), false, true};
}

DatabaseError FromSqlState(const std::string& state, absl::string_view operation,
                           absl::string_view detail) {
  if (state == "57014" || state == "55P03") {
    common::LogThrottled(deadline_exceeded_log, LogLevel::kInfo, "database deadline exceeded",
                         {{"op", operation}, {"sqlstate", state}});
    return {absl::DeadlineExceededError("database deadline exceeded"), false, true};
  }
  // No SQLSTATE: libpq failed on the client side (socket error, timeout).
  if (state.empty() || absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
      state == "57P03" || state == "53300" || state == "25006") {
    return Unavailable(operation, state, detail);
  }
  if (state == "23505") {
    // The server's text names the duplicate key: not logged.
    return {absl::AlreadyExistsError("record already exists"), false, true};
  }
  if (state == "40001" || state == "40P01") {
    common::LogThrottled(transaction_aborted_log, LogLevel::kWarning,
                         "database transaction aborted", {{"op", operation}, {"sqlstate", state}});
    return {absl::AbortedError("database transaction aborted, retry"), false, true};
  }
  return Internal(operation, state, detail);
}

}  // namespace

DatabaseError ClassifyException(std::exception_ptr error, absl::string_view operation) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const pqxx::in_doubt_error& e) {
    // The connection went away during COMMIT: the transaction committed
    // entirely or not at all, and we cannot tell which.
    DatabaseError out = Unavailable(operation, "", e.what());
    out.before_commit = false;
    return out;
  } catch (const pqxx::broken_connection& e) {
    return Unavailable(operation, "", e.what());
  } catch (const pqxx::statement_completion_unknown& e) {
    DatabaseError out = Unavailable(operation, "40003", e.what());
    out.before_commit = false;
    return out;
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(e.sqlstate(), operation, e.what());
  } catch (const pqxx::deadlock_detected& e) {
    return FromSqlState("40P01", operation, e.what());
  } catch (const pqxx::serialization_failure& e) {
    return FromSqlState("40001", operation, e.what());
  } catch (const std::bad_alloc&) {
    return Internal(operation, "", "out of memory");
  } catch (const std::exception& e) {
    return Internal(operation, "", e.what());
  } catch (...) {
    return Internal(operation, "", "unknown exception");
  }
}

}  // namespace tokend::store::postgres
