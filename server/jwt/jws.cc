#include "jwt/jws.h"

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "crypto/base64url.h"
#include "json/strict_json.h"

namespace tokend::jwt {
namespace {

absl::Status Reject(absl::string_view reason) { return absl::UnauthenticatedError(reason); }

// Access-token headers this thread has already read and found good, by their
// exact base64url text: every token one key signs has the same header, so
// decoding and parsing it again would only repeat a pure function of those
// bytes. Holds the kid and alg the header named; the key lookup and the alg
// check still run on every call.
struct KnownHeader {
  std::string text;
  std::string kid;
  std::string alg;
};
constexpr size_t kKnownHeaders = 4;

struct KnownHeaders {
  KnownHeader entries[kKnownHeaders];
  size_t next = 0;  // the slot to replace

  const KnownHeader* Find(absl::string_view text) const {
    for (const KnownHeader& h : entries) {
      if (!h.text.empty() && h.text == text) return &h;
    }
    return nullptr;
  }
  void Add(absl::string_view text, const std::string& kid, const std::string& alg) {
    KnownHeader& h = entries[next];
    next = (next + 1) % kKnownHeaders;
    h.text.assign(text.data(), text.size());
    h.kid = kid;
    h.alg = alg;
  }
};

KnownHeaders& ThreadKnownHeaders() {
  thread_local KnownHeaders headers;
  return headers;
}

}  // namespace

absl::StatusOr<VerifiedJws> VerifyCompactJws(absl::string_view token, const keys::KeyRing& ring,
                                             TypRule typ) {
  // Why first: bounds all later work (base64, JSON, hashing) an attacker
  // can cause.
  if (token.size() > kMaxTokenBytes) return Reject("token: too long");
  const size_t dot1 = token.find('.');
  if (dot1 == absl::string_view::npos) return Reject("token: not three segments");
  const size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos || token.find('.', dot2 + 1) != absl::string_view::npos) {
    return Reject("token: not three segments");
  }
  const absl::string_view header_text = token.substr(0, dot1);
  const absl::string_view payload_text = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const absl::string_view signature_text = token.substr(dot2 + 1);
  if (header_text.empty() || payload_text.empty() || signature_text.empty()) {
    return Reject("token: empty segment");
  }

  std::string parsed_kid;
  std::string parsed_alg;
  const std::string* kid = nullptr;
  const std::string* alg = nullptr;
  const KnownHeader* known =
      typ == TypRule::kAccessToken ? ThreadKnownHeaders().Find(header_text) : nullptr;
  if (known != nullptr) {
    kid = &known->kid;
    alg = &known->alg;
  } else {
    std::string header_bytes;
    // Strict base64url: one spelling per byte string, so no re-encoded copy
    // of a token passes as a different token.
    if (!crypto::Base64UrlDecode(header_text, &header_bytes)) {
      return Reject("header: not base64url");
    }
    nlohmann::json header;
    if (!json::ParseStrictJson(header_bytes, &header).ok()) return Reject("header: bad JSON");
    if (!header.is_object()) return Reject("header: not a JSON object");
    // Why: tokend understands no extension; RFC 7515 section 4.1.11 says a
    // recipient that does not must reject.
    if (header.contains("crit")) return Reject("header: crit not supported");
    const auto kid_member = header.find("kid");
    if (kid_member == header.end() || !kid_member->is_string()) {
      return Reject("header: kid missing");
    }
    const auto alg_member = header.find("alg");
    if (alg_member == header.end() || !alg_member->is_string()) {
      return Reject("header: alg missing");
    }
    if (typ == TypRule::kAccessToken) {
      const auto typ_member = header.find("typ");
      if (typ_member == header.end() || !typ_member->is_string()) {
        return Reject("header: typ missing");
      }
      const std::string& value = typ_member->get_ref<const std::string&>();
      if (value != "at+jwt" && value != "application/at+jwt") {
        return Reject("header: typ is not at+jwt");
      }
    }
    parsed_kid = kid_member->get_ref<const std::string&>();
    parsed_alg = alg_member->get_ref<const std::string&>();
    kid = &parsed_kid;
    alg = &parsed_alg;
    if (typ == TypRule::kAccessToken) ThreadKnownHeaders().Add(header_text, parsed_kid, parsed_alg);
  }
  // Lookup by kid only: no "try every key" fallback.
  const keys::Key* key = ring.Find(*kid);
  if (key == nullptr) return Reject(kUnknownKidReason);
  // Why: the key decides the algorithm; the header's alg must merely agree.
  // This stops "none", HS256-keyed-with-the-public-key and RS/ES/PS swaps.
  if (*alg != crypto::AlgorithmName(key->alg)) {
    return Reject("header: alg does not match the key");
  }

  std::string signature;
  if (!crypto::Base64UrlDecode(signature_text, &signature)) {
    return Reject("signature: not base64url");
  }
  if (!key->algorithm().Verify(*key->pkey, token.substr(0, dot2), signature)) {
    return Reject("signature: does not verify");
  }
  VerifiedJws verified;
  verified.key = key;
  if (!crypto::Base64UrlDecode(payload_text, &verified.payload)) {
    return Reject("payload: not base64url");
  }
  return verified;
}

absl::StatusOr<std::string> HeaderKid(absl::string_view token) {
  if (token.size() > kMaxTokenBytes) return Reject("token: too long");
  const absl::string_view header_text = token.substr(0, token.find('.'));
  // A token this thread verified lately: its header was read then.
  if (const KnownHeader* known = ThreadKnownHeaders().Find(header_text)) return known->kid;
  std::string header_bytes;
  if (!crypto::Base64UrlDecode(header_text, &header_bytes)) {
    return Reject("header: not base64url");
  }
  nlohmann::json header;
  if (!json::ParseStrictJson(header_bytes, &header).ok()) return Reject("header: bad JSON");
  if (!header.is_object()) return Reject("header: not a JSON object");
  const auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string()) return Reject("header: kid missing");
  return kid->get<std::string>();
}

}  // namespace tokend::jwt
