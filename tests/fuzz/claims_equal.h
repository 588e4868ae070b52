#ifndef TOKEND_TESTS_FUZZ_CLAIMS_EQUAL_H_
#define TOKEND_TESTS_FUZZ_CLAIMS_EQUAL_H_

#include "jwt/claims.h"

namespace tokend::fuzz {

// Whether two decoded claims are the same in every member.
inline bool ClaimsEqual(const jwt::Claims& a, const jwt::Claims& b) {
  return a.issuer == b.issuer && a.subject == b.subject && a.audience == b.audience &&
         a.issued_at == b.issued_at && a.not_before == b.not_before &&
         a.expires_at == b.expires_at && a.token_id == b.token_id && a.client_id == b.client_id &&
         a.scopes == b.scopes && a.session_id == b.session_id &&
         a.custom_claims_json == b.custom_claims_json;
}

}  // namespace tokend::fuzz

#endif  // TOKEND_TESTS_FUZZ_CLAIMS_EQUAL_H_
