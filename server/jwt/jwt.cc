#include "jwt/jwt.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "crypto/base64url.h"
#include "jwt/jws.h"
#include "jwt/simple_payload.h"
#include "keys/strict_json.h"

namespace tokend::jwt {
namespace {

using Json = nlohmann::json;

// Custom claims text longer than this is refused before parsing, whatever
// its whitespace (the request limit is 64 KiB anyway).
constexpr size_t kMaxCustomClaimsInputBytes = size_t{64} * 1024;

// NumericDates tokend accepts: 1970 up to the end of year 9999. Anything
// else is not a time tokend could have written.
constexpr int64_t kMaxNumericDate = 253402300799;

bool IsRegisteredClaimName(absl::string_view name) {
  for (const char* registered : kRegisteredClaimNames) {
    if (name == registered) return true;
  }
  return false;
}

absl::Status Reject(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

// Whether `s` is printable ASCII without '"' and '\\': then its JSON text is
// just `s` in quotes, exactly what nlohmann's dump() writes for it.
bool IsPlainJsonString(absl::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// `"name":<value>` after a comma unless first. Throws nlohmann's type_error
// on invalid UTF-8 (caught by Sign).
void AppendMember(std::string* out, absl::string_view name, const Json& value) {
  if (out->size() > 1) out->push_back(',');
  out->push_back('"');
  out->append(name.data(), name.size());  // our names need no escaping
  out->append("\":");
  out->append(value.dump());
}

// The same for a string value; plain strings skip building a JSON value.
void AppendMember(std::string* out, absl::string_view name, const std::string& value) {
  if (!IsPlainJsonString(value)) {
    AppendMember(out, name, Json(value));
    return;
  }
  if (out->size() > 1) out->push_back(',');
  absl::StrAppend(out, "\"", name, "\":\"", value, "\"");
}

void AppendInteger(std::string* out, absl::string_view name, absl::Time t) {
  if (out->size() > 1) out->push_back(',');
  absl::StrAppend(out, "\"", name, "\":", absl::ToUnixSeconds(t));
}

// Reads an integer NumericDate. Floats (1.5, and 1e3 or 1000.0, which JSON
// spells as floats), strings, negatives and absurd values are refused.
bool ReadNumericDate(const Json& value, absl::Time* out) {
  if (!value.is_number_integer()) return false;  // integer or unsigned, never float
  int64_t seconds = 0;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMaxNumericDate)) return false;
    seconds = static_cast<int64_t>(u);
  } else {
    seconds = value.get<int64_t>();
    if (seconds < 0 || seconds > kMaxNumericDate) return false;
  }
  *out = absl::FromUnixSeconds(seconds);
  return true;
}

bool TakeString(Json& value, std::string* out) {
  if (!value.is_string()) return false;
  *out = std::move(value.get_ref<std::string&>());
  return true;
}

}  // namespace

absl::StatusOr<std::string> CanonicalCustomClaims(absl::string_view json) {
  if (json.empty()) return std::string();
  const std::string too_large =
      absl::StrCat("claims: larger than ", kMaxCustomClaimsBytes, " bytes");
  if (json.size() > kMaxCustomClaimsInputBytes) return absl::InvalidArgumentError(too_large);
  Json claims;
  if (absl::Status status = keys::ParseStrictJson(json, &claims); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("claims: ", status.message()));
  }
  if (!claims.is_object()) return absl::InvalidArgumentError("claims: must be a JSON object");
  for (const auto& [name, value] : claims.items()) {
    if (IsRegisteredClaimName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("claims: \"", name, "\" is a registered claim name"));
    }
  }
  if (claims.empty()) return std::string();
  std::string canonical;
  try {
    canonical = claims.dump();       // compact; members sorted by name (std::map)
  } catch (const std::exception&) {  // unreachable: the parser checked UTF-8
    return absl::InvalidArgumentError("claims: not valid UTF-8");
  }
  if (canonical.size() > kMaxCustomClaimsBytes) return absl::InvalidArgumentError(too_large);
  return canonical;
}

absl::StatusOr<std::string> Sign(const Claims& claims, const keys::Key& key) {
  if (key.pkey == nullptr) return absl::InvalidArgumentError("sign: key is empty");
  std::string payload = "{";
  try {
    AppendMember(&payload, "iss", claims.issuer);
    AppendMember(&payload, "sub", claims.subject);
    if (claims.audience.size() == 1) {
      AppendMember(&payload, "aud", claims.audience.front());
    } else {
      AppendMember(&payload, "aud", Json(claims.audience));
    }
    AppendInteger(&payload, "exp", claims.expires_at);
    AppendInteger(&payload, "iat", claims.issued_at);
    AppendInteger(&payload, "nbf", claims.not_before);
    AppendMember(&payload, "jti", claims.token_id);
    AppendMember(&payload, "client_id", claims.client_id);
    if (!claims.scopes.empty()) {
      AppendMember(&payload, "scope", absl::StrJoin(claims.scopes, " "));
    }
    if (!claims.session_id.empty()) AppendMember(&payload, "sid", claims.session_id);
    if (!claims.custom_claims_json.empty()) {
      Json custom;
      if (!keys::ParseStrictJson(claims.custom_claims_json, &custom).ok() || !custom.is_object()) {
        return absl::InvalidArgumentError("claims: must be a JSON object");
      }
      for (const auto& [name, value] : custom.items()) {
        // Why: a second "iss" or "exp" would make the token read two ways.
        if (IsRegisteredClaimName(name)) {
          return absl::InvalidArgumentError(
              absl::StrCat("claims: \"", name, "\" is a registered claim name"));
        }
        payload.push_back(',');
        payload.append(Json(name).dump());
        payload.push_back(':');
        payload.append(value.dump());
      }
    }
  } catch (const std::exception&) {  // nlohmann's type_error on invalid UTF-8
    return absl::InvalidArgumentError("claims: a string is not valid UTF-8");
  }
  payload.push_back('}');

  std::string header;
  try {
    header = absl::StrCat(
        "{\"alg\":\"", crypto::AlgorithmName(key.alg), "\",\"typ\":\"at+jwt\",\"kid\":",
        IsPlainJsonString(key.kid) ? absl::StrCat("\"", key.kid, "\"") : Json(key.kid).dump(), "}");
  } catch (const std::exception&) {
    return absl::InvalidArgumentError("sign: kid is not valid UTF-8");
  }
  std::string token = crypto::Base64UrlEncode(header);
  token.reserve(token.size() + 1 + (payload.size() * 4 + 2) / 3 + 1 + 2 * 132);
  token.push_back('.');
  token.append(crypto::Base64UrlEncode(payload));
  absl::StatusOr<std::string> signature = key.algorithm().Sign(*key.pkey, token);
  if (!signature.ok()) return signature.status();
  absl::StrAppend(&token, ".", crypto::Base64UrlEncode(*signature));
  if (token.size() > kMaxTokenBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("claims: token would be larger than ", kMaxTokenBytes, " bytes"));
  }
  return token;
}

absl::StatusOr<Claims> Decode(absl::string_view token, const keys::KeyRing& ring) {
  // Structure, header, kid, alg and signature first; the payload is parsed
  // only once it is known to be ours.
  absl::StatusOr<VerifiedJws> jws = VerifyCompactJws(token, ring, TypRule::kAccessToken);
  if (!jws.ok()) return jws.status();

  // The plain shape tokend writes is read without building a JSON document;
  // anything else goes through the general strict parser.
  if (Claims claims; internal::ParseSimplePayload(jws->payload, &claims)) return claims;
  return internal::ParsePayload(jws->payload);
}

namespace internal {

absl::StatusOr<Claims> ParsePayload(absl::string_view payload_bytes) {
  Json payload;
  if (!keys::ParseStrictJson(payload_bytes, &payload).ok()) return Reject("payload: bad JSON");
  if (!payload.is_object()) return Reject("payload: not a JSON object");

  Claims claims;
  Json custom = Json::object();
  bool has_iss = false, has_sub = false, has_aud = false, has_exp = false, has_iat = false,
       has_nbf = false, has_jti = false;
  for (auto& [name, value] : payload.get_ref<Json::object_t&>()) {
    if (name == "iss") {
      if (!TakeString(value, &claims.issuer)) return Reject("payload: iss is not a string");
      has_iss = true;
    } else if (name == "sub") {
      if (!TakeString(value, &claims.subject)) return Reject("payload: sub is not a string");
      has_sub = true;
    } else if (name == "aud") {
      if (value.is_string()) {
        claims.audience.push_back(std::move(value.get_ref<std::string&>()));
      } else if (value.is_array()) {
        claims.audience.reserve(value.size());
        for (Json& audience : value) {
          if (!audience.is_string()) return Reject("payload: aud holds a non-string");
          claims.audience.push_back(std::move(audience.get_ref<std::string&>()));
        }
      } else {
        return Reject("payload: aud is not a string or array");
      }
      has_aud = true;
    } else if (name == "exp") {
      if (!ReadNumericDate(value, &claims.expires_at)) return Reject("payload: bad exp");
      has_exp = true;
    } else if (name == "iat") {
      if (!ReadNumericDate(value, &claims.issued_at)) return Reject("payload: bad iat");
      has_iat = true;
    } else if (name == "nbf") {
      if (!ReadNumericDate(value, &claims.not_before)) return Reject("payload: bad nbf");
      has_nbf = true;
    } else if (name == "jti") {
      if (!TakeString(value, &claims.token_id)) return Reject("payload: jti is not a string");
      has_jti = true;
    } else if (name == "client_id") {
      if (!TakeString(value, &claims.client_id)) {
        return Reject("payload: client_id is not a string");
      }
    } else if (name == "scope") {
      if (!value.is_string()) return Reject("payload: scope is not a string");
      for (absl::string_view scope :
           absl::StrSplit(value.get_ref<const std::string&>(), ' ', absl::SkipEmpty())) {
        claims.scopes.emplace_back(scope);
      }
    } else if (name == "sid") {
      if (!TakeString(value, &claims.session_id)) return Reject("payload: sid is not a string");
    } else if (IsRegisteredClaimName(name)) {
      // cnf, act, typ: tokend never writes them; they are not custom claims.
    } else {
      custom.get_ref<Json::object_t&>().emplace(name, std::move(value));
    }
  }
  if (!has_iss) return Reject("payload: iss missing");
  if (!has_sub) return Reject("payload: sub missing");
  if (!has_aud) return Reject("payload: aud missing");
  if (!has_exp) return Reject("payload: exp missing");
  if (!has_iat) return Reject("payload: iat missing");
  if (!has_nbf) return Reject("payload: nbf missing");
  if (!has_jti) return Reject("payload: jti missing");
  if (!custom.empty()) claims.custom_claims_json = custom.dump();  // valid UTF-8: parsed
  return claims;
}

}  // namespace internal

absl::Status Validate(const Claims& claims, const ValidationOptions& options, absl::Time now) {
  if (claims.issuer != options.issuer) return Reject("iss: not the configured issuer");
  if (now < claims.not_before - options.leeway) return Reject("nbf: not yet valid");
  if (now >= claims.expires_at + options.leeway) return Reject("exp: expired");
  if (claims.issued_at > now + options.leeway) return Reject("iat: in the future");
  return absl::OkStatus();
}

}  // namespace tokend::jwt
