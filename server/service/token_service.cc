#include "service/token_service.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/scope.h"
#include "crypto/base64url.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"

namespace tokend::service {
namespace {

using store::Revocation;

// Longest subject or audience we accept; a JWT carrying more is a mistake.
constexpr size_t kMaxNameBytes = 1024;
constexpr size_t kRefreshTokenRandomBytes = 32;  // 256 bits, as the contract asks
constexpr size_t kIdRandomBytes = 16;            // jti and family id: 128 bits

// A fresh random identifier: `bytes` random bytes, base64url.
absl::StatusOr<std::string> RandomId(size_t bytes) {
  absl::StatusOr<std::string> random = crypto::RandomBytes(bytes);
  if (!random.ok()) return random.status();
  return crypto::Base64UrlEncode(*random);
}

// JWT times have whole seconds; everything tokend records uses the same
// truncated "now" so that iat, issued_at and revocations compare exactly.
absl::Time WholeSeconds(absl::Time t) { return absl::FromUnixSeconds(absl::ToUnixSeconds(t)); }

absl::Status CheckScopes(const std::vector<std::string>& scopes) {
  for (size_t i = 0; i < scopes.size(); ++i) {
    if (!common::IsValidScope(scopes[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "scopes[", i, "]: not a valid scope (printable ASCII without space, \" or \\)"));
    }
  }
  return absl::OkStatus();
}

// `values` without repeats, first occurrence kept.
std::vector<std::string> Deduplicated(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& v : values) {
    if (seen.insert(v).second) out.push_back(v);
  }
  return out;
}

absl::Status UnauthenticatedRefresh() {
  // One message whatever the reason, so that a caller learns nothing about
  // tokens that are not its own; the reason is logged.
  return absl::UnauthenticatedError(
      "refresh_token: unknown, expired, revoked or already used");
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenService>> TokenService::New(
    ServiceOptions options, std::shared_ptr<const Policy> policy,
    std::shared_ptr<const keys::KeyRing> key_ring, store::RefreshTokenStore* refresh_tokens,
    store::RevocationStore* revocations, RevocationSet* revocation_set,
    const common::Clock* clock) {
  if (options.issuer.empty()) return absl::InvalidArgumentError("issuer: must not be empty");
  if (options.access_ttl <= absl::ZeroDuration() ||
      options.refresh_idle_ttl <= absl::ZeroDuration() ||
      options.refresh_absolute_ttl <= absl::ZeroDuration() ||
      options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("tokens: lifetimes must be positive");
  }
  absl::StatusOr<std::string> jwks = keys::JwksJson(*key_ring);
  if (!jwks.ok()) return jwks.status();
  std::unique_ptr<TokenService> service(new TokenService());
  service->options_ = std::move(options);
  service->policy_ = std::move(policy);
  service->key_ring_ = std::move(key_ring);
  service->refresh_tokens_ = refresh_tokens;
  service->revocations_ = revocations;
  service->revocation_set_ = revocation_set;
  service->clock_ = clock;
  service->jwks_json_ = *std::move(jwks);
  service->verified_tokens_ = std::make_unique<VerifiedTokenCache>();
  return service;
}

absl::Status TokenService::Authorize(const RequestContext& ctx, Rpc rpc) const {
  return policy_->CheckRpc(ctx.caller_id, rpc);
}

bool TokenService::NeedsDatabase(absl::string_view token) {
  return absl::StartsWith(token, kRefreshTokenPrefix);
}

absl::Duration TokenService::LongestAccessLifetime() const {
  return std::max(options_.access_ttl, policy_->longest_max_ttl());
}

absl::Duration TokenService::LongestTokenLifetime() const {
  return std::max(options_.refresh_absolute_ttl, LongestAccessLifetime());
}

absl::StatusOr<std::string> TokenService::SignAccessToken(jwt::Claims& claims, absl::Time now,
                                                          absl::Duration ttl) const {
  absl::StatusOr<std::string> jti = RandomId(kIdRandomBytes);
  if (!jti.ok()) return jti.status();
  claims.token_id = *std::move(jti);
  claims.issuer = options_.issuer;
  claims.issued_at = now;
  claims.not_before = now;
  claims.expires_at = now + ttl;
  return jwt::Sign(claims, key_ring_->primary());
}

absl::StatusOr<IssuedTokens> TokenService::Issue(const RequestContext& ctx,
                                                 const IssueParams& params) {
  absl::Status allowed = Authorize(ctx, Rpc::kIssue);
  if (!allowed.ok()) return allowed;
  const CallerPolicy& caller = *policy_->Find(ctx.caller_id);

  // Malformed requests first (INVALID_ARGUMENT), then rights (PERMISSION_DENIED).
  if (params.audience.empty()) {
    return absl::InvalidArgumentError("audience: at least one is required");
  }
  for (size_t i = 0; i < params.audience.size(); ++i) {
    if (params.audience[i].empty() || params.audience[i].size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("audience[", i, "]: must be 1 to ", kMaxNameBytes, " bytes"));
    }
    if (absl::StrContains(params.audience[i], '\0')) {
      return absl::InvalidArgumentError(
          absl::StrCat("audience[", i, "]: must not contain NUL characters"));
    }
  }
  if (absl::Status s = CheckScopes(params.scopes); !s.ok()) return s;
  if (params.subject.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject: longer than ", kMaxNameBytes, " bytes"));
  }
  // Why: PostgreSQL text cannot hold NUL, so such a subject could never be
  // revoked by subject (nor kept with a refresh token): refuse it up front.
  if (absl::StrContains(params.subject, '\0')) {
    return absl::InvalidArgumentError("subject: must not contain NUL characters");
  }
  absl::Duration ttl = std::min(options_.access_ttl, caller.max_ttl);
  if (params.ttl.has_value()) {
    ttl = *params.ttl;
    if (ttl <= absl::ZeroDuration() || ttl != absl::Trunc(ttl, absl::Seconds(1))) {
      return absl::InvalidArgumentError("ttl: must be a positive whole number of seconds");
    }
    if (ttl > caller.max_ttl) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ttl: exceeds this caller's maximum of ", absl::ToInt64Seconds(caller.max_ttl), "s"));
    }
  }
  absl::StatusOr<std::string> custom_claims =
      jwt::CanonicalCustomClaims(params.custom_claims_json);
  if (!custom_claims.ok()) return custom_claims.status();

  const std::string& subject = params.subject.empty() ? caller.id : params.subject;
  if (subject != caller.id && !caller.issue_for_others) {
    return absl::PermissionDeniedError(
        "subject: this caller may only issue tokens for itself");
  }
  for (size_t i = 0; i < params.audience.size(); ++i) {
    if (!caller.audiences.contains(params.audience[i])) {
      return absl::PermissionDeniedError(
          absl::StrCat("audience[", i, "]: not allowed for this caller"));
    }
  }
  for (size_t i = 0; i < params.scopes.size(); ++i) {
    if (!caller.scopes.contains(params.scopes[i])) {
      return absl::PermissionDeniedError(
          absl::StrCat("scopes[", i, "]: not allowed for this caller"));
    }
  }

  absl::Time now = WholeSeconds(clock_->Now());
  IssuedTokens issued;
  issued.scopes = Deduplicated(params.scopes);
  jwt::Claims claims;
  claims.subject = subject;
  claims.audience = Deduplicated(params.audience);
  claims.client_id = caller.id;
  claims.scopes = issued.scopes;
  claims.custom_claims_json = *custom_claims;

  if (params.include_refresh_token) {
    absl::StatusOr<std::string> family_id = RandomId(kIdRandomBytes);
    if (!family_id.ok()) return family_id.status();
    absl::StatusOr<std::string> secret = RandomId(kRefreshTokenRandomBytes);
    if (!secret.ok()) return secret.status();
    store::RefreshFamily family{.family_id = *family_id,
                                .client_id = caller.id,
                                .subject = subject,
                                .audience = claims.audience,
                                .custom_claims_json = claims.custom_claims_json,
                                .created_at = now,
                                .absolute_expires_at = now + options_.refresh_absolute_ttl};
    issued.refresh_token = absl::StrCat(kRefreshTokenPrefix, *secret);
    store::RefreshToken first{
        .token_hash = crypto::Sha256(issued.refresh_token),
        .family_id = family.family_id,
        .scopes = issued.scopes,
        .issued_at = now,
        .expires_at = std::min(now + options_.refresh_idle_ttl, family.absolute_expires_at)};
    issued.refresh_expires_at = first.expires_at;
    claims.session_id = family.family_id;
    // Stored before the access token exists, so a failure hands out nothing.
    absl::Status stored = refresh_tokens_->CreateFamily(family, first, ctx.deadline);
    if (!stored.ok()) return stored;
  }

  absl::StatusOr<std::string> access_token = SignAccessToken(claims, now, ttl);
  if (!access_token.ok()) return access_token.status();
  issued.access_token = *std::move(access_token);
  issued.expires_at = claims.expires_at;
  return issued;
}

absl::StatusOr<IssuedTokens> TokenService::Refresh(const RequestContext& ctx,
                                                   const RefreshParams& params) {
  absl::Status allowed = Authorize(ctx, Rpc::kRefresh);
  if (!allowed.ok()) return allowed;
  const CallerPolicy& caller = *policy_->Find(ctx.caller_id);

  if (params.refresh_token.empty()) {
    return absl::InvalidArgumentError("refresh_token: must not be empty");
  }
  if (absl::Status s = CheckScopes(params.scopes); !s.ok()) return s;
  // Garbage never reaches the database and never revokes anything.
  if (!NeedsDatabase(params.refresh_token) ||
      params.refresh_token.size() > jwt::kMaxTokenBytes) {
    common::Log(common::LogLevel::kInfo, "refresh rejected",
                {{"caller", ctx.caller_id}, {"reason", "not a refresh token"}});
    return UnauthenticatedRefresh();
  }

  // The lookup by SHA-256 is the secret comparison: only the holder of the
  // exact token text finds the row, so no byte-wise compare of secrets happens.
  const std::string presented_hash = crypto::Sha256(params.refresh_token);
  absl::StatusOr<std::optional<store::RefreshTokenState>> found =
      refresh_tokens_->Find(presented_hash, ctx.deadline);
  if (!found.ok()) return found.status();
  auto reject = [&](absl::string_view reason, absl::string_view family_id) {
    common::Log(common::LogLevel::kInfo, "refresh rejected",
                {{"caller", ctx.caller_id}, {"reason", reason}, {"family", family_id}});
    return UnauthenticatedRefresh();
  };
  if (!found->has_value()) return reject("unknown", "");
  const store::RefreshTokenState& state = **found;
  const store::RefreshFamily& family = state.family;

  // Bound to the caller it was issued to. Another caller presenting it is
  // not reuse: it proves nothing about the rightful holder, so nothing is revoked.
  if (family.client_id != caller.id) return reject("issued to another caller", family.family_id);
  absl::Time now = WholeSeconds(clock_->Now());
  if (state.family_revoked || revocation_set_->IsFamilyRevoked(family.family_id)) {
    return reject("family revoked", family.family_id);
  }
  std::optional<absl::Time> subject_revoked_at = state.subject_revoked_at;
  if (std::optional<absl::Time> local = revocation_set_->SubjectRevokedAt(family.subject);
      local.has_value() && (!subject_revoked_at || *local > *subject_revoked_at)) {
    subject_revoked_at = local;
  }
  if (subject_revoked_at.has_value() &&
      CoveredBySubjectRevocation(state.token.issued_at, *subject_revoked_at)) {
    return reject("subject revoked", family.family_id);
  }
  if (state.used_at.has_value()) {
    counters_.refresh_reuse_detected.fetch_add(1, std::memory_order_relaxed);
    common::Log(common::LogLevel::kWarning, "refresh token reuse detected; family revoked",
                {{"caller", ctx.caller_id}, {"family", family.family_id}});
    if (absl::Status s = RevokeFamily(family, now, ctx.deadline); !s.ok()) return s;
    return UnauthenticatedRefresh();
  }
  if (now >= state.token.expires_at || now >= family.absolute_expires_at) {
    return reject("expired", family.family_id);
  }

  std::vector<std::string> granted = state.token.scopes;
  if (!params.scopes.empty()) {
    absl::flat_hash_set<absl::string_view> held(state.token.scopes.begin(),
                                                state.token.scopes.end());
    for (size_t i = 0; i < params.scopes.size(); ++i) {
      if (!held.contains(params.scopes[i])) {
        return absl::InvalidArgumentError(
            absl::StrCat("scopes[", i, "]: not among the refresh token's scopes"));
      }
    }
    granted = Deduplicated(params.scopes);
  }
  // The policy may have narrowed since the family was issued.
  for (const std::string& audience : family.audience) {
    if (!caller.audiences.contains(audience)) {
      return absl::PermissionDeniedError("audience: no longer allowed for this caller");
    }
  }
  for (const std::string& scope : granted) {
    if (!caller.scopes.contains(scope)) {
      return absl::PermissionDeniedError("scopes: no longer allowed for this caller");
    }
  }

  jwt::Claims claims;
  claims.subject = family.subject;
  claims.audience = family.audience;
  claims.client_id = family.client_id;
  claims.scopes = granted;
  claims.session_id = family.family_id;
  claims.custom_claims_json = family.custom_claims_json;
  absl::StatusOr<std::string> access_token =
      SignAccessToken(claims, now, std::min(options_.access_ttl, caller.max_ttl));
  if (!access_token.ok()) return access_token.status();

  absl::StatusOr<std::string> secret = RandomId(kRefreshTokenRandomBytes);
  if (!secret.ok()) return secret.status();
  IssuedTokens issued;
  issued.refresh_token = absl::StrCat(kRefreshTokenPrefix, *secret);
  store::RefreshToken successor{
      .token_hash = crypto::Sha256(issued.refresh_token),
      .family_id = family.family_id,
      .scopes = granted,
      .issued_at = now,
      .expires_at = std::min(now + options_.refresh_idle_ttl, family.absolute_expires_at)};
  absl::StatusOr<store::RefreshTokenStore::RotateOutcome> rotated =
      refresh_tokens_->Rotate(presented_hash, now, successor, ctx.deadline);
  if (!rotated.ok()) return rotated.status();
  if (*rotated == store::RefreshTokenStore::RotateOutcome::kAlreadyUsed) {
    // Another redemption of the same token won the race: that is reuse too.
    counters_.refresh_reuse_detected.fetch_add(1, std::memory_order_relaxed);
    common::Log(common::LogLevel::kWarning,
                "concurrent refresh token reuse detected; family revoked",
                {{"caller", ctx.caller_id}, {"family", family.family_id}});
    if (absl::Status s = RevokeFamily(family, now, ctx.deadline); !s.ok()) return s;
    return UnauthenticatedRefresh();
  }

  issued.access_token = *std::move(access_token);
  issued.expires_at = claims.expires_at;
  issued.refresh_expires_at = successor.expires_at;
  issued.scopes = std::move(granted);
  return issued;
}

absl::StatusOr<Introspection> TokenService::Introspect(const RequestContext& ctx,
                                                       absl::string_view token,
                                                       TokenType hint) {
  absl::Status allowed = Authorize(ctx, Rpc::kIntrospect);
  if (!allowed.ok()) return allowed;
  if (token.empty()) return absl::InvalidArgumentError("token: must not be empty");
  if (token.size() > jwt::kMaxTokenBytes) return Introspection{};
  // The hint is ignored: the token's shape says what it is, so a wrong hint
  // still finds it.
  if (NeedsDatabase(token)) return IntrospectRefreshToken(ctx, token);
  return IntrospectAccessToken(token);
}

absl::StatusOr<std::shared_ptr<const jwt::Claims>> TokenService::DecodeAccessToken(
    absl::string_view token, absl::Time now) const {
  if (std::shared_ptr<const jwt::Claims> cached = verified_tokens_->Find(token, now)) {
    return cached;
  }
  absl::StatusOr<jwt::Claims> claims = jwt::Decode(token, *key_ring_);
  if (!claims.ok()) return claims.status();
  // Kept until the token can no longer pass Validate at any time.
  const absl::Time keep_until = claims->expires_at + options_.leeway;
  auto decoded = std::make_shared<const jwt::Claims>(*std::move(claims));
  if (now < keep_until) verified_tokens_->Put(token, decoded, keep_until);
  return decoded;
}

absl::StatusOr<Introspection> TokenService::IntrospectAccessToken(absl::string_view token) const {
  const absl::Time now = clock_->Now();
  absl::StatusOr<std::shared_ptr<const jwt::Claims>> decoded = DecodeAccessToken(token, now);
  if (!decoded.ok()) {
    common::Log(common::LogLevel::kDebug, "introspect: inactive",
                {{"reason", decoded.status().message()}});
    return Introspection{};
  }
  const jwt::Claims& claims = **decoded;
  absl::Status valid =
      jwt::Validate(claims, {.issuer = options_.issuer, .leeway = options_.leeway}, now);
  if (!valid.ok()) {
    common::Log(common::LogLevel::kDebug, "introspect: inactive",
                {{"reason", valid.message()}, {"jti", claims.token_id}});
    return Introspection{};
  }
  // Checked on every call, cached or not: a revocation takes effect at once.
  if (revocation_set_->IsAccessTokenRevoked(claims.token_id, claims.session_id, claims.subject,
                                            claims.issued_at)) {
    common::Log(common::LogLevel::kDebug, "introspect: inactive",
                {{"reason", "revoked"}, {"jti", claims.token_id}});
    return Introspection{};
  }
  Introspection out;
  out.active = true;
  out.token_type = TokenType::kAccessToken;
  out.subject = claims.subject;
  out.audience = claims.audience;
  out.scopes = claims.scopes;
  out.client_id = claims.client_id;
  out.issuer = claims.issuer;
  out.issued_at = claims.issued_at;
  out.expires_at = claims.expires_at;
  out.not_before = claims.not_before;
  out.token_id = claims.token_id;
  out.custom_claims_json = claims.custom_claims_json;
  return out;
}

absl::StatusOr<Introspection> TokenService::IntrospectRefreshToken(const RequestContext& ctx,
                                                                   absl::string_view token) {
  absl::StatusOr<std::optional<store::RefreshTokenState>> found =
      refresh_tokens_->Find(crypto::Sha256(token), ctx.deadline);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Introspection{};
  const store::RefreshTokenState& state = **found;
  const store::RefreshFamily& family = state.family;
  absl::Time now = clock_->Now();
  std::optional<absl::Time> subject_revoked_at = state.subject_revoked_at;
  if (std::optional<absl::Time> local = revocation_set_->SubjectRevokedAt(family.subject);
      local.has_value() && (!subject_revoked_at || *local > *subject_revoked_at)) {
    subject_revoked_at = local;
  }
  bool redeemable = !state.used_at.has_value() && !state.family_revoked &&
                    !revocation_set_->IsFamilyRevoked(family.family_id) &&
                    now < state.token.expires_at && now < family.absolute_expires_at &&
                    !(subject_revoked_at.has_value() &&
                      CoveredBySubjectRevocation(state.token.issued_at, *subject_revoked_at));
  if (!redeemable) return Introspection{};
  Introspection out;
  out.active = true;
  out.token_type = TokenType::kRefreshToken;
  out.subject = family.subject;
  out.audience = family.audience;
  out.scopes = state.token.scopes;
  out.client_id = family.client_id;
  out.issuer = options_.issuer;
  out.issued_at = state.token.issued_at;
  out.not_before = state.token.issued_at;
  out.expires_at = state.token.expires_at;
  out.custom_claims_json = family.custom_claims_json;
  return out;
}

absl::Status TokenService::Revoke(const RequestContext& ctx, const RevokeParams& params) {
  absl::Status allowed = Authorize(ctx, Rpc::kRevoke);
  if (!allowed.ok()) return allowed;
  if (params.token.has_value()) {
    if (params.token->empty()) return absl::InvalidArgumentError("token: must not be empty");
    return RevokeToken(ctx, *params.token);
  }
  if (!params.subject.has_value()) {
    return absl::InvalidArgumentError("target: one of token or subject is required");
  }
  const std::string& subject = *params.subject;
  if (subject.empty()) return absl::InvalidArgumentError("subject: must not be empty");
  if (subject.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject: longer than ", kMaxNameBytes, " bytes"));
  }
  if (absl::StrContains(subject, '\0')) {
    return absl::InvalidArgumentError("subject: must not contain NUL characters");
  }
  const CallerPolicy& caller = *policy_->Find(ctx.caller_id);
  if (subject != caller.id && !caller.issue_for_others) {
    return absl::PermissionDeniedError(
        "subject: this caller may only revoke its own subject");
  }
  absl::Time now = clock_->Now();
  common::Log(common::LogLevel::kInfo, "subject revoked",
              {{"caller", ctx.caller_id}, {"subject", subject}});
  return RecordRevocation(
      Revocation{.kind = Revocation::Kind::kSubject,
                 .key = subject,
                 .revoked_at = now,
                 .expires_at = now + LongestTokenLifetime() + options_.leeway + absl::Seconds(1)},
      ctx.deadline);
}

absl::Status TokenService::RevokeToken(const RequestContext& ctx, absl::string_view token) {
  // RFC 7009: unknown, expired and malformed tokens answer OK and change nothing.
  if (token.size() > jwt::kMaxTokenBytes) return absl::OkStatus();
  absl::Time now = clock_->Now();
  if (NeedsDatabase(token)) {
    absl::StatusOr<std::optional<store::RefreshTokenState>> found =
        refresh_tokens_->Find(crypto::Sha256(token), ctx.deadline);
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::OkStatus();
    const store::RefreshTokenState& state = **found;
    if (now >= state.token.expires_at || now >= state.family.absolute_expires_at) {
      return absl::OkStatus();
    }
    common::Log(common::LogLevel::kInfo, "refresh family revoked",
                {{"caller", ctx.caller_id}, {"family", state.family.family_id}});
    return RevokeFamily(state.family, now, ctx.deadline);
  }
  // Only a token this service signed may name a jti to revoke: a forged one
  // must not let a caller fill the revocation table.
  absl::StatusOr<std::shared_ptr<const jwt::Claims>> decoded = DecodeAccessToken(token, now);
  if (!decoded.ok()) return absl::OkStatus();
  const jwt::Claims& claims = **decoded;
  if (!jwt::Validate(claims, {.issuer = options_.issuer, .leeway = options_.leeway}, now).ok()) {
    return absl::OkStatus();
  }
  common::Log(common::LogLevel::kInfo, "access token revoked",
              {{"caller", ctx.caller_id}, {"jti", claims.token_id}});
  return RecordRevocation(Revocation{.kind = Revocation::Kind::kToken,
                                     .key = claims.token_id,
                                     .revoked_at = now,
                                     .expires_at = claims.expires_at + options_.leeway},
                          ctx.deadline);
}

absl::Status TokenService::RevokeFamily(const store::RefreshFamily& family, absl::Time now,
                                        absl::Time deadline) {
  // Kept until every access token issued from the family has expired.
  return RecordRevocation(
      Revocation{.kind = Revocation::Kind::kFamily,
                 .key = family.family_id,
                 .revoked_at = now,
                 .expires_at = std::max(now, family.absolute_expires_at) +
                               LongestAccessLifetime() + options_.leeway},
      deadline);
}

absl::Status TokenService::RecordRevocation(const Revocation& revocation, absl::Time deadline) {
  absl::Status stored = revocations_->Revoke(revocation, deadline);
  if (!stored.ok()) return stored;
  // Applied here at once, so this replica never answers "active" for a token
  // it has just revoked; other replicas learn of it from the store's feed.
  revocation_set_->Add(revocation);
  return absl::OkStatus();
}

}  // namespace tokend::service
