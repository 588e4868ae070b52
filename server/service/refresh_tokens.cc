#include "service/refresh_tokens.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "service/random_id.h"
#include "service/revocation_set.h"

namespace tokend::service {
namespace {

constexpr size_t kRefreshTokenRandomBytes = 32;  // 256 bits, as the contract asks

// A refresh token with the secret `secret` (32 bytes).
MintedRefreshToken MakeToken(absl::string_view secret, absl::string_view family_id,
                             std::vector<std::string> scopes, absl::Time now,
                             absl::Time expires_at) {
  MintedRefreshToken minted;
  minted.text = absl::StrCat(kRefreshTokenPrefix, crypto::Base64UrlEncode(secret));
  // Only the hash is ever stored; the lookup by hash is the secret comparison.
  minted.record = store::RefreshToken{.token_hash = crypto::Sha256(minted.text),
                                      .family_id = std::string(family_id),
                                      .scopes = std::move(scopes),
                                      .issued_at = now,
                                      .expires_at = expires_at};
  return minted;
}

}  // namespace

bool IsRefreshTokenShaped(absl::string_view token) {
  return absl::StartsWith(token, kRefreshTokenPrefix);
}

// A family of `grant` named `family_id` whose first token's secret is
// `secret` (32 bytes).
MintedFamily NewFamily(const FamilyGrant& grant, std::string family_id, absl::string_view secret,
                       absl::Time now, const RefreshLifetimes& lifetimes) {
  MintedFamily minted;
  minted.family = store::RefreshFamily{.family_id = std::move(family_id),
                                       .client_id = grant.client_id,
                                       .subject = grant.subject,
                                       .audience = grant.audience,
                                       .custom_claims_json = grant.custom_claims_json,
                                       .created_at = now,
                                       .absolute_expires_at = now + lifetimes.absolute};
  minted.first = MakeToken(secret, minted.family.family_id, grant.scopes, now,
                           std::min(now + lifetimes.idle, minted.family.absolute_expires_at));
  return minted;
}

absl::StatusOr<MintedFamily> MintFamily(const FamilyGrant& grant, absl::Time now,
                                        const RefreshLifetimes& lifetimes) {
  absl::StatusOr<std::string> family_id = RandomId(kIdRandomBytes);
  if (!family_id.ok()) return family_id.status();
  absl::StatusOr<std::string> secret = crypto::RandomBytes(kRefreshTokenRandomBytes);
  if (!secret.ok()) return secret.status();
  return NewFamily(grant, *std::move(family_id), *secret, now, lifetimes);
}

MintedFamily DeriveFamily(const FamilyGrant& grant, absl::string_view idempotency_key,
                          absl::string_view secret_key, absl::Time now,
                          const RefreshLifetimes& lifetimes) {
  // Why the labels: the same key also derives successors from presented
  // tokens, which start with kRefreshTokenPrefix, so no input here can equal
  // one of those. The NUL separators keep (caller, key) pairs apart.
  const absl::string_view nul("\0", 1);
  const auto derive = [&](absl::string_view label) {
    return crypto::HmacSha256(secret_key,
                              absl::StrCat(label, nul, grant.client_id, nul, idempotency_key));
  };
  const std::string family_secret = derive("tokend issue family");
  std::string family_id = crypto::Base64UrlEncode(
      absl::string_view(family_secret).substr(0, std::min(kIdRandomBytes, family_secret.size())));
  return NewFamily(grant, std::move(family_id), derive("tokend issue first token"), now, lifetimes);
}

bool GrantedAs(const store::RefreshFamily& family, const store::RefreshToken& first,
               const FamilyGrant& grant) {
  return family.client_id == grant.client_id && family.subject == grant.subject &&
         family.audience == grant.audience &&
         family.custom_claims_json == grant.custom_claims_json && first.scopes == grant.scopes;
}

MintedRefreshToken DeriveSuccessor(absl::string_view presented, absl::string_view key,
                                   const store::RefreshFamily& family,
                                   std::vector<std::string> scopes, absl::Time now,
                                   absl::Duration idle_ttl) {
  return MakeToken(crypto::HmacSha256(key, presented), family.family_id, std::move(scopes), now,
                   std::min(now + idle_ttl, family.absolute_expires_at));
}

RefreshVerdict Judge(const store::RefreshTokenState& state, absl::Time now) {
  if (state.family_revoked) return RefreshVerdict::kFamilyRevoked;
  if (state.subject_revoked_at.has_value() &&
      CoveredBySubjectRevocation(state.token.issued_at, *state.subject_revoked_at)) {
    return RefreshVerdict::kSubjectRevoked;
  }
  if (state.used_at.has_value()) return RefreshVerdict::kUsed;
  if (now >= state.token.expires_at || now >= state.family.absolute_expires_at) {
    return RefreshVerdict::kExpired;
  }
  return RefreshVerdict::kRedeemable;
}

absl::string_view VerdictName(RefreshVerdict verdict) {
  // In the order of RefreshVerdict's enumerators.
  constexpr absl::string_view kNames[] = {"redeemable", "family revoked", "subject revoked",
                                          "already used", "expired"};
  const size_t i = static_cast<size_t>(verdict);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

}  // namespace tokend::service
