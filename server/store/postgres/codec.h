#ifndef TOKEND_SERVER_STORE_POSTGRES_CODEC_H_
#define TOKEND_SERVER_STORE_POSTGRES_CODEC_H_

// Conversions between tokend's records and the text PostgreSQL exchanges.
// Internal to store/postgres. (The checks that keep values PostgreSQL cannot
// store from reaching it are store/record_checks.h.)

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace pqxx {
class field;
}

namespace tokend::store::postgres {

// `t` as a timestamptz literal in UTC with microseconds, truncated towards
// the past: "2026-01-02 03:04:05.123456+00". Infinite times become
// "infinity" / "-infinity".
std::string FormatTimestamp(absl::Time t);

// `values` as a PostgreSQL text[] literal: {"a","b \"c\""}.
std::string TextArrayLiteral(const std::vector<std::string>& values);

// A bigint-microseconds column (see sql.h). INTERNAL when it is NULL or not
// an integer.
absl::StatusOr<absl::Time> MicrosField(const pqxx::field& f);

// A text[] column. INTERNAL when it is NULL or contains NULL.
absl::StatusOr<std::vector<std::string>> TextArrayField(const pqxx::field& f);

}  // namespace tokend::store::postgres

#endif  // TOKEND_SERVER_STORE_POSTGRES_CODEC_H_
