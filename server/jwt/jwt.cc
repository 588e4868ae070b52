#include "jwt/jwt.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "crypto/base64url.h"
#include "json/strict_json.h"
#include "jwt/jws.h"
#include "jwt/payload.h"

namespace tokend::jwt {
namespace {

using Json = nlohmann::json;

// Custom claims text longer than this is refused before parsing, whatever
// its whitespace (the request limit is 64 KiB anyway).
constexpr size_t kMaxCustomClaimsInputBytes = size_t{64} * 1024;

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

}  // namespace

absl::StatusOr<std::string> CanonicalCustomClaims(absl::string_view text) {
  if (text.empty()) return std::string();
  const std::string too_large =
      absl::StrCat("claims: larger than ", kMaxCustomClaimsBytes, " bytes");
  if (text.size() > kMaxCustomClaimsInputBytes) return absl::InvalidArgumentError(too_large);
  Json claims;
  if (absl::Status status = json::ParseStrictJson(text, &claims); !status.ok()) {
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
      if (!json::ParseStrictJson(claims.custom_claims_json, &custom).ok() || !custom.is_object()) {
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

absl::Status Validate(const Claims& claims, const ValidationOptions& options, absl::Time now) {
  if (claims.issuer != options.issuer) return Reject("iss: not the configured issuer");
  if (now < claims.not_before - options.leeway) return Reject("nbf: not yet valid");
  if (now >= claims.expires_at + options.leeway) return Reject("exp: expired");
  if (claims.issued_at > now + options.leeway) return Reject("iat: in the future");
  return absl::OkStatus();
}

}  // namespace tokend::jwt
