#ifndef TOKEND_SERVER_STORE_RECORDS_H_
#define TOKEND_SERVER_STORE_RECORDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace tokend::store {

// Plain records persisted by the stores. No behaviour, no library types.

// A chain of refresh tokens that descend from one Issue. Everything that every
// token of the family shares lives here.
struct RefreshFamily {
  std::string family_id;  // 22 base64url characters (128 random bits); the access tokens' sid
  std::string client_id;  // the caller it was issued to; only it may redeem
  std::string subject;
  std::vector<std::string> audience;
  std::string custom_claims_json;  // "" or one JSON object's text
  absl::Time created_at;
  absl::Time absolute_expires_at;  // no token of the family lives past this
};

// One refresh token. Only the SHA-256 of the token text is ever stored.
struct RefreshToken {
  std::string token_hash;  // 32 raw bytes: SHA-256 of the token text
  std::string family_id;
  std::vector<std::string> scopes;
  absl::Time issued_at;
  absl::Time expires_at;  // min(issued_at + idle ttl, family's absolute expiry)
};

// A refresh token as found, with its family and everything that decides
// whether it may still be redeemed.
struct RefreshTokenState {
  RefreshToken token;
  RefreshFamily family;
  std::optional<absl::Time> used_at;             // set once redeemed
  bool family_revoked = false;                   // the family is revoked
  std::optional<absl::Time> subject_revoked_at;  // latest revocation of the family's subject
};

// One revocation. Keys by kind:
//   kToken:      an access token's jti
//   kFamily:     a refresh family's family_id (its refresh and access tokens)
//   kSubject:    a subject; tokens with iat <= revoked_at (whole seconds) are revoked
//   kSigningKey: a managed signing key's kid; every token signed with it is
//                revoked. Never in the revocation table: it comes from the
//                signing key rows (SigningKeyRecord::revoked_at), and lives
//                until the key's delete_after.
struct Revocation {
  enum class Kind { kToken = 1, kFamily = 2, kSubject = 3, kSigningKey = 4 };
  Kind kind = Kind::kToken;
  std::string key;
  absl::Time revoked_at;
  // After this no token it covers can be active, so it may be forgotten.
  absl::Time expires_at;
};

}  // namespace tokend::store

#endif  // TOKEND_SERVER_STORE_RECORDS_H_
