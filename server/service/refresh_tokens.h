#ifndef TOKEND_SERVER_SERVICE_REFRESH_TOKENS_H_
#define TOKEND_SERVER_SERVICE_REFRESH_TOKENS_H_

// The rules of refresh tokens, in one place: what one looks like, how one is
// minted (the first of a family, or a successor), and whether a stored one
// may be redeemed now. No I/O: the caller reads and writes the store.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "store/records.h"

namespace tokend::service {

// Refresh tokens are "tkdrt_" followed by 43 base64url characters (256
// random bits); the prefix lets secret scanners and operators recognise them.
inline constexpr absl::string_view kRefreshTokenPrefix = "tkdrt_";

// Whether `token` is shaped like a refresh token, so that it is looked up in
// the store. Anything else is an access token, or garbage that must never
// reach the database (nor revoke anything).
bool IsRefreshTokenShaped(absl::string_view token);

struct RefreshLifetimes {
  absl::Duration idle;      // a token's own lifetime from its issue
  absl::Duration absolute;  // its family's whole lifetime
};

// A refresh token as handed out once: its text, and the record that stores
// only its hash.
struct MintedRefreshToken {
  std::string text;
  store::RefreshToken record;
};

// A new family and its first token, issued at `now` to `client_id`.
struct MintedFamily {
  store::RefreshFamily family;
  MintedRefreshToken first;
};

// What every token of a new family shares.
struct FamilyGrant {
  std::string client_id;
  std::string subject;
  std::vector<std::string> audience;
  std::string custom_claims_json;
  std::vector<std::string> scopes;  // of the first token
};

// Mints a new family with a fresh random id and its first token.
// INTERNAL only if the random generator fails.
absl::StatusOr<MintedFamily> MintFamily(const FamilyGrant& grant, absl::Time now,
                                        const RefreshLifetimes& lifetimes);

// The family an Issue with an idempotency key starts: its id and its first
// token's text are derived, HMAC-SHA256 of the caller, the key and a label
// under `secret_key`, so that a repeat of that Issue names the same family
// (which the store then refuses to create twice) and can hand out the same
// first token. Only the server can derive them; the store keeps only hashes.
MintedFamily DeriveFamily(const FamilyGrant& grant, absl::string_view idempotency_key,
                          absl::string_view secret_key, absl::Time now,
                          const RefreshLifetimes& lifetimes);

// Whether a stored family and its first token carry exactly `grant`: a
// repeated Issue may be answered with them only if it asked for the same.
bool GrantedAs(const store::RefreshFamily& family, const store::RefreshToken& first,
               const FamilyGrant& grant);

// The successor of the refresh token `presented` (its text) in `family`,
// carrying `scopes`; it expires after the idle lifetime, never past the
// family's absolute expiry. Its text is derived, HMAC-SHA256 of `presented`
// under `key`, so that every redemption of one token names the same
// successor: a retried redemption can hand out the successor its first
// attempt stored, and two attempts can never store two. Only the holder of
// the presented text can derive it (the store keeps only hashes), and only
// with the key, so an old token alone yields nothing.
MintedRefreshToken DeriveSuccessor(absl::string_view presented, absl::string_view key,
                                   const store::RefreshFamily& family,
                                   std::vector<std::string> scopes, absl::Time now,
                                   absl::Duration idle_ttl);

// Whether a stored refresh token may be redeemed, and if not, why. The
// order is the contract's: a revoked family or subject is not reuse (its
// tokens are dead already); a used token is reuse even once expired.
enum class RefreshVerdict { kRedeemable, kFamilyRevoked, kSubjectRevoked, kUsed, kExpired };

// Judges `state` as read from the store. Why the stored row is the only
// source of revocations here: the store reads the token and its revocations
// in one statement, and every revocation is durable in the store before any
// replica applies it in memory, so the row is never older than this
// replica's in-memory view at the moment of the read.
RefreshVerdict Judge(const store::RefreshTokenState& state, absl::Time now);

// "redeemable", "family revoked", ... for logs.
absl::string_view VerdictName(RefreshVerdict verdict);

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_REFRESH_TOKENS_H_
