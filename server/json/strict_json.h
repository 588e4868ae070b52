#ifndef TOKEND_SERVER_JSON_STRICT_JSON_H_
#define TOKEND_SERVER_JSON_STRICT_JSON_H_

// One strict JSON parser for everything tokend reads as JSON (JWS headers,
// payloads and custom claims in jwt/), so that every reader refuses the same
// ambiguous documents. A layer of its own, using no other tokend layer: any
// layer that comes to read JSON can use it without depending on jwt/.

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tokend::json {

// Deepest nesting of arrays and objects accepted (the top level counts 1).
inline constexpr size_t kMaxJsonDepth = 64;

// Parses `text` as exactly one JSON value (RFC 8259) into `*out`, refusing
// what nlohmann::json would silently accept or reinterpret:
//   - a repeated member name in any object at any depth (nlohmann keeps the
//     last one; another parser may keep the first, so a signed document
//     could be read two ways);
//   - a byte-order mark, comments, or anything after the value;
//   - nesting deeper than kMaxJsonDepth;
//   - a number too large to be finite.
// Invalid UTF-8 in strings is refused too (by nlohmann's lexer). Never
// throws. On failure INVALID_ARGUMENT with a fixed, short message that
// quotes none of the input ("not valid JSON", "duplicate member name",
// "nested too deeply", "number out of range"); *out is then unspecified.
absl::Status ParseStrictJson(absl::string_view text, nlohmann::json* out);

}  // namespace tokend::json

#endif  // TOKEND_SERVER_JSON_STRICT_JSON_H_
