#include "jwt/payload.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "json/strict_json.h"

namespace tokend::jwt::internal {
namespace {

using Json = nlohmann::json;

absl::Status Reject(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

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

// Printable ASCII without the two characters that start an escape or end a
// string: a string of these means exactly its bytes, in any JSON parser.
bool IsPlain(char c) { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\'; }

class Reader {
 public:
  explicit Reader(absl::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // The whitespace RFC 8259 allows between tokens.
  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Take(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool Next(char c) const { return p_ < end_ && *p_ == c; }
  bool AtEnd() const { return p_ == end_; }

  // A string of plain characters only.
  bool PlainString(absl::string_view* out) {
    if (!Take('"')) return false;
    const char* start = p_;
    while (p_ < end_ && IsPlain(*p_)) ++p_;
    const char* stop = p_;
    if (!Take('"')) return false;  // an escape, a control or non-ASCII byte, or the end
    *out = absl::string_view(start, static_cast<size_t>(stop - start));
    return true;
  }

  // A non-negative JSON integer: no sign, no leading zero, no fraction or
  // exponent (JSON would make those floats), at most 15 digits.
  bool SmallInteger(int64_t* out) {
    const char* start = p_;
    if (Next('0')) {
      ++p_;
    } else {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ == start || p_ - start > 15) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || (*p_ >= '0' && *p_ <= '9'))) {
      return false;
    }
    int64_t value = 0;
    for (const char* q = start; q < p_; ++q) value = value * 10 + (*q - '0');
    *out = value;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

enum Member : unsigned {
  kIss = 1u << 0,
  kSub = 1u << 1,
  kAud = 1u << 2,
  kExp = 1u << 3,
  kIat = 1u << 4,
  kNbf = 1u << 5,
  kJti = 1u << 6,
  kClientId = 1u << 7,
  kScope = 1u << 8,
  kSid = 1u << 9,
};
constexpr unsigned kRequired = kIss | kSub | kAud | kExp | kIat | kNbf | kJti;

unsigned MemberOf(absl::string_view name) {
  if (name == "iss") return kIss;
  if (name == "sub") return kSub;
  if (name == "aud") return kAud;
  if (name == "exp") return kExp;
  if (name == "iat") return kIat;
  if (name == "nbf") return kNbf;
  if (name == "jti") return kJti;
  if (name == "client_id") return kClientId;
  if (name == "scope") return kScope;
  if (name == "sid") return kSid;
  return 0;  // anything else (custom claims, cnf, act, typ): not simple
}

}  // namespace

absl::StatusOr<Claims> ParsePayload(absl::string_view payload_bytes) {
  Json payload;
  if (!json::ParseStrictJson(payload_bytes, &payload).ok()) return Reject("payload: bad JSON");
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

bool ParseSimplePayload(absl::string_view payload, Claims* claims) {
  Reader r(payload);
  Claims c;
  unsigned seen = 0;
  r.SkipSpace();
  if (!r.Take('{')) return false;
  r.SkipSpace();
  if (r.Next('}')) return false;  // no members: the general path says what is missing
  while (true) {
    absl::string_view name;
    r.SkipSpace();
    if (!r.PlainString(&name)) return false;
    r.SkipSpace();
    if (!r.Take(':')) return false;
    r.SkipSpace();
    const unsigned member = MemberOf(name);
    if (member == 0 || (seen & member) != 0) return false;  // a repeat: the general path refuses
    seen |= member;
    absl::string_view text;
    int64_t seconds = 0;
    switch (member) {
      case kExp:
      case kIat:
      case kNbf:
        if (!r.SmallInteger(&seconds) || seconds > kMaxNumericDate) return false;
        (member == kExp   ? c.expires_at
         : member == kIat ? c.issued_at
                          : c.not_before) = absl::FromUnixSeconds(seconds);
        break;
      case kAud:
        if (r.Take('[')) {
          r.SkipSpace();
          if (!r.Take(']')) {
            while (true) {
              r.SkipSpace();
              if (!r.PlainString(&text)) return false;
              c.audience.emplace_back(text);
              r.SkipSpace();
              if (r.Take(',')) continue;
              if (r.Take(']')) break;
              return false;
            }
          }
        } else {
          if (!r.PlainString(&text)) return false;
          c.audience.emplace_back(text);
        }
        break;
      case kScope:
        if (!r.PlainString(&text)) return false;
        for (absl::string_view scope : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
          c.scopes.emplace_back(scope);
        }
        break;
      default:  // iss, sub, jti, client_id, sid: strings
        if (!r.PlainString(&text)) return false;
        (member == kIss   ? c.issuer
         : member == kSub ? c.subject
         : member == kJti ? c.token_id
         : member == kSid ? c.session_id
                          : c.client_id) = std::string(text);
        break;
    }
    r.SkipSpace();
    if (r.Take(',')) continue;
    if (r.Take('}')) break;
    return false;
  }
  r.SkipSpace();
  if (!r.AtEnd() || (seen & kRequired) != kRequired) return false;
  *claims = std::move(c);
  return true;
}

}  // namespace tokend::jwt::internal
