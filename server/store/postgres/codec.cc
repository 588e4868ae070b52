#include "store/postgres/codec.h"

#include <cstdint>
#include <pqxx/pqxx>

#include "absl/strings/numbers.h"

namespace tokend::store::postgres {

std::string FormatTimestamp(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "infinity";
  if (t == absl::InfinitePast()) return "-infinity";
  // ToUnixMicros rounds towards the past, as PostgreSQL keeps microseconds.
  const absl::Time micros = absl::FromUnixMicros(absl::ToUnixMicros(t));
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", micros, absl::UTCTimeZone());
}

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

absl::StatusOr<absl::Time> MicrosField(const pqxx::field& f) {
  int64_t micros = 0;
  if (f.is_null() || !absl::SimpleAtoi(absl::string_view(f.c_str(), f.size()), &micros)) {
    return absl::InternalError("unexpected timestamp from database");
  }
  return absl::FromUnixMicros(micros);
}

absl::StatusOr<std::vector<std::string>> TextArrayField(const pqxx::field& f) {
  if (f.is_null()) return absl::InternalError("unexpected array from database");
  std::vector<std::string> out;
  pqxx::array_parser parser = f.as_array();
  int depth = 0;
  for (;;) {
    auto [juncture, value] = parser.get_next();
    switch (juncture) {
      case pqxx::array_parser::row_start:
        if (++depth > 1) return absl::InternalError("unexpected array from database");
        break;
      case pqxx::array_parser::row_end:
        --depth;
        break;
      case pqxx::array_parser::string_value:
        out.push_back(std::move(value));
        break;
      case pqxx::array_parser::null_value:
        return absl::InternalError("unexpected array from database");
      case pqxx::array_parser::done:
        return out;
    }
  }
}

}  // namespace tokend::store::postgres
