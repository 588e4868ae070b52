#include "jwt/simple_payload.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace tokend::jwt::internal {
namespace {

// The upper end of Decode's NumericDate range (the end of year 9999).
constexpr int64_t kMaxNumericDate = 253402300799;

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
