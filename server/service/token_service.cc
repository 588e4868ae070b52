#include "service/token_service.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "common/scope.h"
#include "crypto/hash.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"
#include "service/random_id.h"
#include "service/refresh_tokens.h"

namespace tokend::service {
namespace {

using store::Revocation;

// Longest subject or audience we accept; a JWT carrying more is a mistake.
constexpr size_t kMaxNameBytes = 1024;

// Lines that any caller can make tokend write once per request: each kind at
// most 10 a second, with the count of those dropped on the next one written.
common::LogThrottle subject_revoked_log(10, absl::Seconds(1));
common::LogThrottle token_revoked_log(10, absl::Seconds(1));
common::LogThrottle family_revoked_log(10, absl::Seconds(1));
common::LogThrottle refresh_rejected_log(10, absl::Seconds(1));
common::LogThrottle refresh_repeated_log(10, absl::Seconds(1));
common::LogThrottle reuse_detected_log(10, absl::Seconds(1));

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

// A subject as a request may name it: the field's name for messages.
absl::Status CheckSubject(absl::string_view subject) {
  if (subject.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject: longer than ", kMaxNameBytes, " bytes"));
  }
  // Why: PostgreSQL text cannot hold NUL, so such a subject could never be
  // revoked by subject (nor kept with a refresh token): refuse it up front.
  if (absl::StrContains(subject, '\0')) {
    return absl::InvalidArgumentError("subject: must not contain NUL characters");
  }
  return absl::OkStatus();
}

// Why printable ASCII: the key is something a client generates (a UUID),
// never user data; refusing the rest keeps logs and derivations unambiguous.
absl::Status CheckIdempotencyKey(absl::string_view key) {
  constexpr size_t kMaxIdempotencyKeyBytes = 128;
  const bool printable =
      std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c <= '~'; });
  if (key.size() > kMaxIdempotencyKeyBytes || !printable) {
    return absl::InvalidArgumentError(absl::StrCat("idempotency_key: at most ",
                                                   kMaxIdempotencyKeyBytes,
                                                   " printable ASCII characters without spaces"));
  }
  return absl::OkStatus();
}

absl::Status CheckAudience(const std::vector<std::string>& audience) {
  if (audience.empty()) return absl::InvalidArgumentError("audience: at least one is required");
  for (size_t i = 0; i < audience.size(); ++i) {
    if (audience[i].empty() || audience[i].size() > kMaxNameBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("audience[", i, "]: must be 1 to ", kMaxNameBytes, " bytes"));
    }
    if (absl::StrContains(audience[i], '\0')) {
      return absl::InvalidArgumentError(
          absl::StrCat("audience[", i, "]: must not contain NUL characters"));
    }
  }
  return absl::OkStatus();
}

// The access token lifetime a request asks for: the default capped at the
// caller's maximum, or its own `ttl` (whole seconds, at most that maximum).
absl::StatusOr<absl::Duration> RequestedTtl(const std::optional<absl::Duration>& ttl,
                                            absl::Duration default_ttl,
                                            const CallerPolicy& caller) {
  if (!ttl.has_value()) return std::min(default_ttl, caller.max_ttl);
  if (*ttl <= absl::ZeroDuration() || *ttl != absl::Trunc(*ttl, absl::Seconds(1))) {
    return absl::InvalidArgumentError("ttl: must be a positive whole number of seconds");
  }
  if (*ttl > caller.max_ttl) {
    return absl::InvalidArgumentError(absl::StrCat("ttl: exceeds this caller's maximum of ",
                                                   absl::ToInt64Seconds(caller.max_ttl), "s"));
  }
  return *ttl;
}

// The index of the first of `values` that `allowed` does not hold.
std::optional<size_t> FirstNotAllowed(const absl::flat_hash_set<std::string>& allowed,
                                      const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!allowed.contains(values[i])) return i;
  }
  return std::nullopt;
}

// PERMISSION_DENIED when the policy has narrowed since a family was issued:
// its audience or the scopes to grant are no longer the caller's.
absl::Status CheckStillAllowed(const CallerPolicy& caller, const std::vector<std::string>& audience,
                               const std::vector<std::string>& scopes) {
  if (FirstNotAllowed(caller.audiences, audience).has_value()) {
    return absl::PermissionDeniedError("audience: no longer allowed for this caller");
  }
  if (FirstNotAllowed(caller.scopes, scopes).has_value()) {
    return absl::PermissionDeniedError("scopes: no longer allowed for this caller");
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

// The scopes a Refresh grants: all of the presented token's, or the subset
// the request names (down-scoping, which its successors then keep).
absl::StatusOr<std::vector<std::string>> RefreshedScopes(const std::vector<std::string>& held,
                                                         const std::vector<std::string>& asked) {
  if (asked.empty()) return held;
  absl::flat_hash_set<absl::string_view> held_set(held.begin(), held.end());
  for (size_t i = 0; i < asked.size(); ++i) {
    if (!held_set.contains(asked[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("scopes[", i, "]: not among the refresh token's scopes"));
    }
  }
  return Deduplicated(asked);
}

// Whether `caller` may see an active answer for a token of `audience`.
bool MayIntrospect(const CallerPolicy& caller, const std::vector<std::string>& audience) {
  if (!caller.introspect_own_audiences_only) return true;
  return std::any_of(audience.begin(), audience.end(),
                     [&](const std::string& a) { return caller.audiences.contains(a); });
}

// PERMISSION_DENIED unless `call` was authorized for `rpc`.
absl::Status CheckAuthorizedFor(const AuthorizedCall& call, Rpc rpc) {
  if (call.rpc() == rpc) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("caller \"", call.caller().id, "\" is not authorized for ", RpcName(rpc)));
}

absl::Status UnauthenticatedRefresh() {
  // One message whatever the reason, so that a caller learns nothing about
  // tokens that are not its own; the reason is logged.
  return absl::UnauthenticatedError("refresh_token: unknown, expired, revoked or already used");
}

absl::Status RejectRefresh(const AuthorizedCall& call, absl::string_view reason,
                           absl::string_view family_id) {
  common::LogThrottled(refresh_rejected_log, common::LogLevel::kInfo, "refresh rejected",
                       {{"caller", call.caller().id}, {"reason", reason}, {"family", family_id}});
  return UnauthenticatedRefresh();
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
  if (options.refresh_retry_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("tokens: the refresh retry window must not be negative");
  }
  // Why 32: the key must be as hard to guess as a refresh token's 256 bits.
  if (options.refresh_successor_key.size() < 32) {
    return absl::InvalidArgumentError("refresh successor key: must be at least 32 bytes");
  }
  std::unique_ptr<TokenService> service(new TokenService());
  service->options_ = std::move(options);
  service->policy_ = std::move(policy);
  service->refresh_tokens_ = refresh_tokens;
  service->revocations_ = revocations;
  service->revocation_set_ = revocation_set;
  service->clock_ = clock;
  absl::StatusOr<std::shared_ptr<const KeyState>> state =
      service->MakeKeyState(std::move(key_ring), nullptr);
  if (!state.ok()) return state.status();
  service->key_state_.store(*std::move(state));
  service->subject_revocations_ =
      std::make_unique<PerCallerRateLimit>(service->options_.subject_revocations_per_minute);
  return service;
}

absl::StatusOr<std::shared_ptr<const TokenService::KeyState>> TokenService::MakeKeyState(
    std::shared_ptr<const keys::KeyRing> key_ring, const KeyState* previous) const {
  if (key_ring == nullptr) return absl::InvalidArgumentError("key ring: none");
  absl::StatusOr<std::string> jwks = keys::JwksJson(*key_ring);
  if (!jwks.ok()) return jwks.status();
  auto state = std::make_shared<KeyState>();
  state->ring = std::move(key_ring);
  state->jwks_json = *std::move(jwks);
  // A cached entry says "this token's signature verified under a key of the
  // ring". It stays true under a ring that still holds every one of those
  // keys (a key added, the primary changed); a key removed or replaced
  // under its kid makes every entry suspect, and the cache starts empty.
  bool keeps_every_key = previous != nullptr;
  if (previous != nullptr) {
    for (const keys::Key& old_key : previous->ring->keys()) {
      const keys::Key* kept = state->ring->Find(old_key.kid);
      if (kept == nullptr || !keys::SameKey(*kept, old_key)) {
        keeps_every_key = false;
        break;
      }
    }
  }
  state->verified_tokens =
      keeps_every_key ? previous->verified_tokens
                      : std::make_shared<VerifiedTokenCache>(VerifiedTokenCache::kDefaultCapacity,
                                                             options_.introspect_cache_bytes);
  return std::shared_ptr<const KeyState>(std::move(state));
}

absl::Status TokenService::SetKeyRing(std::shared_ptr<const keys::KeyRing> key_ring) {
  // Serialized so that a state is never built from one that a concurrent
  // swap already replaced (its cache decision would be about the wrong ring).
  absl::MutexLock lock(&key_swap_mu_);
  std::shared_ptr<const KeyState> previous = key_state_.load();
  absl::StatusOr<std::shared_ptr<const KeyState>> state =
      MakeKeyState(std::move(key_ring), previous.get());
  if (!state.ok()) return state.status();
  key_state_.store(*std::move(state));
  return absl::OkStatus();
}

absl::StatusOr<AuthorizedCall> TokenService::Authorize(const RequestContext& ctx, Rpc rpc) const {
  absl::StatusOr<const CallerPolicy*> caller = policy_->Allow(ctx.caller_id, rpc);
  if (!caller.ok()) return caller.status();
  return AuthorizedCall(*caller, rpc, ctx.deadline);
}

bool TokenService::ReadsStore(absl::string_view token) { return IsRefreshTokenShaped(token); }

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
  return jwt::Sign(claims, key_state_.load()->ring->primary());
}

absl::StatusOr<IssuedTokens> TokenService::Issue(const AuthorizedCall& call,
                                                 const IssueParams& params) {
  if (absl::Status s = CheckAuthorizedFor(call, Rpc::kIssue); !s.ok()) return s;
  const CallerPolicy& caller = call.caller();

  // A malformed request is INVALID_ARGUMENT, before any right is looked at.
  if (absl::Status s = CheckAudience(params.audience); !s.ok()) return s;
  if (absl::Status s = CheckScopes(params.scopes); !s.ok()) return s;
  if (absl::Status s = CheckSubject(params.subject); !s.ok()) return s;
  if (absl::Status s = CheckIdempotencyKey(params.idempotency_key); !s.ok()) return s;
  absl::StatusOr<absl::Duration> ttl = RequestedTtl(params.ttl, options_.access_ttl, caller);
  if (!ttl.ok()) return ttl.status();
  absl::StatusOr<std::string> custom_claims = jwt::CanonicalCustomClaims(params.custom_claims_json);
  if (!custom_claims.ok()) return custom_claims.status();

  // Then a request beyond the caller's rights is PERMISSION_DENIED.
  const std::string& subject = params.subject.empty() ? caller.id : params.subject;
  if (subject != caller.id && !caller.issue_for_others) {
    return absl::PermissionDeniedError("subject: this caller may only issue tokens for itself");
  }
  if (std::optional<size_t> i = FirstNotAllowed(caller.audiences, params.audience)) {
    return absl::PermissionDeniedError(
        absl::StrCat("audience[", *i, "]: not allowed for this caller"));
  }
  if (std::optional<size_t> i = FirstNotAllowed(caller.scopes, params.scopes)) {
    return absl::PermissionDeniedError(
        absl::StrCat("scopes[", *i, "]: not allowed for this caller"));
  }

  const absl::Time now = WholeSeconds(clock_->Now());
  IssuedTokens issued;
  issued.scopes = Deduplicated(params.scopes);
  jwt::Claims claims{.subject = subject,
                     .audience = Deduplicated(params.audience),
                     .client_id = caller.id,
                     .scopes = issued.scopes,
                     .custom_claims_json = *std::move(custom_claims)};

  if (params.include_refresh_token) {
    const FamilyGrant grant{.client_id = caller.id,
                            .subject = subject,
                            .audience = claims.audience,
                            .custom_claims_json = claims.custom_claims_json,
                            .scopes = issued.scopes};
    absl::StatusOr<MintedFamily> minted = StartFamily(grant, params.idempotency_key, now);
    if (!minted.ok()) return minted.status();
    // Stored before the access token exists, so a failure hands out nothing.
    absl::Status stored =
        refresh_tokens_->CreateFamily(minted->family, minted->first.record, call.deadline());
    if (absl::IsAlreadyExists(stored) && !params.idempotency_key.empty()) {
      absl::StatusOr<MintedRefreshToken> again = IssueAgain(call, *minted, grant, now);
      if (!again.ok()) return again.status();
      minted->first = *std::move(again);
    } else if (!stored.ok()) {
      return stored;
    }
    claims.session_id = minted->family.family_id;
    issued.refresh_token = std::move(minted->first.text);
    issued.refresh_expires_at = minted->first.record.expires_at;
  }

  absl::StatusOr<std::string> access_token = SignAccessToken(claims, now, *ttl);
  if (!access_token.ok()) return access_token.status();
  issued.access_token = *std::move(access_token);
  issued.expires_at = claims.expires_at;
  return issued;
}

absl::StatusOr<MintedFamily> TokenService::StartFamily(const FamilyGrant& grant,
                                                       absl::string_view idempotency_key,
                                                       absl::Time now) const {
  const RefreshLifetimes lifetimes{.idle = options_.refresh_idle_ttl,
                                   .absolute = options_.refresh_absolute_ttl};
  if (idempotency_key.empty()) return MintFamily(grant, now, lifetimes);
  return DeriveFamily(grant, idempotency_key, options_.refresh_successor_key, now, lifetimes);
}

absl::StatusOr<MintedRefreshToken> TokenService::IssueAgain(const AuthorizedCall& call,
                                                            const MintedFamily& derived,
                                                            const FamilyGrant& grant,
                                                            absl::Time now) {
  absl::StatusOr<std::optional<store::RefreshTokenState>> stored =
      refresh_tokens_->Find(derived.first.record.token_hash, call.deadline());
  if (!stored.ok()) return stored.status();
  // The family id is derived from the caller and the key, so a stored
  // family under it is this caller's earlier request with this key.
  if (stored->has_value() && !GrantedAs((*stored)->family, (*stored)->token, grant)) {
    return absl::InvalidArgumentError(
        "idempotency_key: already used by this caller for a different request");
  }
  const bool repeatable = stored->has_value() &&
                          options_.refresh_retry_window > absl::ZeroDuration() &&
                          now - (*stored)->family.created_at <= options_.refresh_retry_window &&
                          Judge(**stored, now) == RefreshVerdict::kRedeemable;
  if (!repeatable) {
    return absl::FailedPreconditionError(
        "idempotency_key: already used, and its refresh token can no longer be handed out again "
        "(redeemed, revoked, expired, or past the retry window); use a new key");
  }
  common::LogThrottled(refresh_repeated_log, common::LogLevel::kInfo,
                       "issue repeated within the retry window",
                       {{"caller", call.caller().id}, {"family", derived.family.family_id}});
  return MintedRefreshToken{.text = derived.first.text, .record = (*stored)->token};
}

absl::StatusOr<IssuedTokens> TokenService::Refresh(const AuthorizedCall& call,
                                                   const RefreshParams& params) {
  if (absl::Status s = CheckAuthorizedFor(call, Rpc::kRefresh); !s.ok()) return s;
  const CallerPolicy& caller = call.caller();
  const std::string& presented = params.refresh_token;

  if (presented.empty()) return absl::InvalidArgumentError("refresh_token: must not be empty");
  if (absl::Status s = CheckScopes(params.scopes); !s.ok()) return s;
  // Garbage never reaches the database and never revokes anything.
  if (!IsRefreshTokenShaped(presented) || presented.size() > jwt::kMaxTokenBytes) {
    return RejectRefresh(call, "not a refresh token", "");
  }

  // The lookup by SHA-256 is the secret comparison: only the holder of the
  // exact token text finds the row, so no byte-wise compare of secrets happens.
  const std::string presented_hash = crypto::Sha256(presented);
  absl::StatusOr<std::optional<store::RefreshTokenState>> found =
      refresh_tokens_->Find(presented_hash, call.deadline());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return RejectRefresh(call, "unknown", "");
  const store::RefreshTokenState& state = **found;
  const store::RefreshFamily& family = state.family;

  // Bound to the caller it was issued to. Another caller presenting it is
  // not reuse: it proves nothing about the rightful holder, so nothing is revoked.
  if (family.client_id != caller.id) {
    return RejectRefresh(call, "issued to another caller", family.family_id);
  }
  const absl::Time now = WholeSeconds(clock_->Now());
  switch (RefreshVerdict verdict = Judge(state, now)) {
    case RefreshVerdict::kRedeemable:
      break;
    case RefreshVerdict::kUsed:
      return RedeemAgain(call, presented, state, now);
    default:
      return RejectRefresh(call, VerdictName(verdict), family.family_id);
  }

  absl::StatusOr<std::vector<std::string>> granted =
      RefreshedScopes(state.token.scopes, params.scopes);
  if (!granted.ok()) return granted.status();
  if (absl::Status s = CheckStillAllowed(caller, family.audience, *granted); !s.ok()) return s;
  // Signed before the rotation, so that a failure here leaves the token unused.
  absl::StatusOr<IssuedTokens> issued = SignRefreshedAccessToken(call, family, *granted, now);
  if (!issued.ok()) return issued.status();
  MintedRefreshToken successor = DeriveSuccessor(presented, options_.refresh_successor_key, family,
                                                 *granted, now, options_.refresh_idle_ttl);

  // The linearization point: of concurrent redemptions exactly one rotates.
  absl::StatusOr<store::RefreshTokenStore::RotateOutcome> rotated =
      refresh_tokens_->Rotate(presented_hash, now, successor.record, call.deadline());
  if (!rotated.ok()) return rotated.status();
  if (*rotated == store::RefreshTokenStore::RotateOutcome::kAlreadyUsed) {
    // A concurrent redemption of the same token won: this one repeats it.
    absl::StatusOr<std::optional<store::RefreshTokenState>> again =
        refresh_tokens_->Find(presented_hash, call.deadline());
    if (!again.ok()) return again.status();
    if (!again->has_value()) return RejectRefresh(call, "unknown", family.family_id);
    return RedeemAgain(call, presented, **again, now);
  }
  issued->refresh_token = std::move(successor.text);
  issued->refresh_expires_at = successor.record.expires_at;
  return issued;
}

absl::StatusOr<IssuedTokens> TokenService::RedeemAgain(const AuthorizedCall& call,
                                                       absl::string_view presented,
                                                       const store::RefreshTokenState& used,
                                                       absl::Time now) {
  // Retry safety: the caller may not have seen the answer to the first
  // redemption (the connection broke, or the outcome was in doubt), so
  // within the window a repeat gets the successor that redemption stored,
  // as long as nobody has redeemed it since. Anything else is reuse.
  const bool in_window = used.used_at.has_value() && *used.used_at <= now &&
                         now - *used.used_at <= options_.refresh_retry_window;
  if (in_window && options_.refresh_retry_window > absl::ZeroDuration()) {
    MintedRefreshToken successor = DeriveSuccessor(presented, options_.refresh_successor_key,
                                                   used.family, {}, now, options_.refresh_idle_ttl);
    absl::StatusOr<std::optional<store::RefreshTokenState>> stored =
        refresh_tokens_->Find(successor.record.token_hash, call.deadline());
    if (!stored.ok()) return stored.status();
    if (stored->has_value() && (*stored)->family.family_id == used.family.family_id &&
        Judge(**stored, now) == RefreshVerdict::kRedeemable) {
      const store::RefreshTokenState& next = **stored;
      if (absl::Status s =
              CheckStillAllowed(call.caller(), next.family.audience, next.token.scopes);
          !s.ok()) {
        return s;
      }
      absl::StatusOr<IssuedTokens> issued =
          SignRefreshedAccessToken(call, next.family, next.token.scopes, now);
      if (!issued.ok()) return issued.status();
      common::LogThrottled(refresh_repeated_log, common::LogLevel::kInfo,
                           "refresh repeated within the retry window",
                           {{"caller", call.caller().id}, {"family", used.family.family_id}});
      issued->refresh_token = std::move(successor.text);
      issued->refresh_expires_at = next.token.expires_at;
      return issued;
    }
  }
  return RevokeReusedFamily(call, used.family, now);
}

absl::StatusOr<IssuedTokens> TokenService::SignRefreshedAccessToken(
    const AuthorizedCall& call, const store::RefreshFamily& family,
    const std::vector<std::string>& scopes, absl::Time now) const {
  jwt::Claims claims{.subject = family.subject,
                     .audience = family.audience,
                     .client_id = family.client_id,
                     .scopes = scopes,
                     .session_id = family.family_id,
                     .custom_claims_json = family.custom_claims_json};
  absl::StatusOr<std::string> access_token =
      SignAccessToken(claims, now, std::min(options_.access_ttl, call.caller().max_ttl));
  if (!access_token.ok()) return access_token.status();
  IssuedTokens issued;
  issued.access_token = *std::move(access_token);
  issued.expires_at = claims.expires_at;
  issued.scopes = scopes;
  return issued;
}

absl::Status TokenService::RevokeReusedFamily(const AuthorizedCall& call,
                                              const store::RefreshFamily& family, absl::Time now) {
  counters_.refresh_reuse_detected.fetch_add(1, std::memory_order_relaxed);
  common::LogThrottled(reuse_detected_log, common::LogLevel::kWarning,
                       "refresh token reuse detected; family revoked",
                       {{"caller", call.caller().id}, {"family", family.family_id}});
  if (absl::Status s = RevokeFamily(family, now, call.deadline()); !s.ok()) return s;
  return UnauthenticatedRefresh();
}

absl::StatusOr<Introspection> TokenService::Introspect(const AuthorizedCall& call,
                                                       absl::string_view token,
                                                       TokenType /*hint*/) {
  if (absl::Status s = CheckAuthorizedFor(call, Rpc::kIntrospect); !s.ok()) return s;
  if (token.empty()) return absl::InvalidArgumentError("token: must not be empty");
  if (token.size() > jwt::kMaxTokenBytes) return Introspection{};
  // The hint is ignored: the token's shape says what it is, so a wrong hint
  // still finds it.
  absl::StatusOr<Introspection> result = IsRefreshTokenShaped(token)
                                             ? IntrospectRefreshToken(call, token)
                                             : IntrospectAccessToken(token);
  if (result.ok() && result->active && !MayIntrospect(call.caller(), result->audience)) {
    common::Log(common::LogLevel::kDebug, "introspect: inactive",
                {{"reason", "audience not the caller's"}});
    *result = Introspection{};
  }
  return result;
}

absl::StatusOr<std::shared_ptr<const jwt::Claims>> TokenService::DecodeAccessToken(
    absl::string_view token, absl::Time now) const {
  const std::shared_ptr<const KeyState> keys = key_state_.load();
  if (std::shared_ptr<const jwt::Claims> cached = keys->verified_tokens->Find(token, now)) {
    return cached;
  }
  absl::StatusOr<jwt::Claims> claims = jwt::Decode(token, *keys->ring);
  if (!claims.ok()) return claims.status();
  // Kept until the token can no longer pass Validate at any time.
  const absl::Time keep_until = claims->expires_at + options_.leeway;
  auto decoded = std::make_shared<const jwt::Claims>(*std::move(claims));
  if (now < keep_until) keys->verified_tokens->Put(token, decoded, keep_until);
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
  // Why here: an inactive answer is safe from any view, an active one only
  // from a view that is known to hold every revocation up to a moment ago.
  if (!revocation_set_->IsCurrent(now)) {
    return absl::UnavailableError(
        "revocations: this replica cannot reach the database to vouch that the token is not "
        "revoked; retry on another replica");
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

absl::StatusOr<Introspection> TokenService::IntrospectRefreshToken(const AuthorizedCall& call,
                                                                   absl::string_view token) {
  absl::StatusOr<std::optional<store::RefreshTokenState>> found =
      refresh_tokens_->Find(crypto::Sha256(token), call.deadline());
  if (!found.ok()) return found.status();
  if (!found->has_value()) return Introspection{};
  const store::RefreshTokenState& state = **found;
  const store::RefreshFamily& family = state.family;
  if (Judge(state, clock_->Now()) != RefreshVerdict::kRedeemable) return Introspection{};
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

absl::StatusOr<AdmittedRevoke> TokenService::AdmitRevoke(const AuthorizedCall& call,
                                                         RevokeParams params) {
  if (absl::Status s = CheckAuthorizedFor(call, Rpc::kRevoke); !s.ok()) return s;
  if (params.token.has_value()) {
    if (params.token->empty()) return absl::InvalidArgumentError("token: must not be empty");
    return AdmittedRevoke(call, std::move(params));
  }
  if (!params.subject.has_value()) {
    return absl::InvalidArgumentError("target: one of token or subject is required");
  }
  const std::string& subject = *params.subject;
  if (subject.empty()) return absl::InvalidArgumentError("subject: must not be empty");
  if (absl::Status s = CheckSubject(subject); !s.ok()) return s;
  const CallerPolicy& caller = call.caller();
  if (subject != caller.id && !caller.issue_for_others) {
    return absl::PermissionDeniedError("subject: this caller may only revoke its own subject");
  }
  // Why a limit: every subject revocation is a write, and a distinct subject
  // is held in every replica's memory until the longest token it covers has
  // expired (see README, Limits).
  if (!subject_revocations_->TryTake(caller.id, clock_->Now())) {
    return absl::ResourceExhaustedError(
        "subject: this caller is over its rate limit of subject revocations; retry later");
  }
  return AdmittedRevoke(call, std::move(params));
}

absl::Status TokenService::Revoke(const AuthorizedCall& call, const RevokeParams& params) {
  absl::StatusOr<AdmittedRevoke> admitted = AdmitRevoke(call, params);
  if (!admitted.ok()) return admitted.status();
  return Revoke(*admitted);
}

absl::Status TokenService::Revoke(const AdmittedRevoke& revoke) {
  const AuthorizedCall& call = revoke.call();
  const RevokeParams& params = revoke.params();
  if (params.token.has_value()) return RevokeToken(call, *params.token);
  const std::string& subject = *params.subject;
  const CallerPolicy& caller = call.caller();
  const absl::Time now = clock_->Now();
  common::LogThrottled(subject_revoked_log, common::LogLevel::kInfo, "subject revoked",
                       {{"caller", caller.id}, {"subject", subject}});
  return RecordRevocation(
      Revocation{.kind = Revocation::Kind::kSubject,
                 .key = subject,
                 .revoked_at = now,
                 .expires_at = now + LongestTokenLifetime() + options_.leeway + absl::Seconds(1)},
      call.deadline());
}

absl::Status TokenService::RevokeToken(const AuthorizedCall& call, absl::string_view token) {
  // RFC 7009: unknown, expired and malformed tokens answer OK and change nothing.
  if (token.size() > jwt::kMaxTokenBytes) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  if (IsRefreshTokenShaped(token)) {
    absl::StatusOr<std::optional<store::RefreshTokenState>> found =
        refresh_tokens_->Find(crypto::Sha256(token), call.deadline());
    if (!found.ok()) return found.status();
    if (!found->has_value()) return absl::OkStatus();
    const store::RefreshTokenState& state = **found;
    if (now >= state.token.expires_at || now >= state.family.absolute_expires_at) {
      return absl::OkStatus();
    }
    common::LogThrottled(family_revoked_log, common::LogLevel::kInfo, "refresh family revoked",
                         {{"caller", call.caller().id}, {"family", state.family.family_id}});
    return RevokeFamily(state.family, now, call.deadline());
  }
  // Only a token this service signed may name a jti to revoke: a forged one
  // must not let a caller fill the revocation table.
  absl::StatusOr<std::shared_ptr<const jwt::Claims>> decoded = DecodeAccessToken(token, now);
  if (!decoded.ok()) return absl::OkStatus();
  const jwt::Claims& claims = **decoded;
  if (!jwt::Validate(claims, {.issuer = options_.issuer, .leeway = options_.leeway}, now).ok()) {
    return absl::OkStatus();
  }
  common::LogThrottled(token_revoked_log, common::LogLevel::kInfo, "access token revoked",
                       {{"caller", call.caller().id}, {"jti", claims.token_id}});
  return RecordRevocation(Revocation{.kind = Revocation::Kind::kToken,
                                     .key = claims.token_id,
                                     .revoked_at = now,
                                     .expires_at = claims.expires_at + options_.leeway},
                          call.deadline());
}

absl::Status TokenService::RevokeFamily(const store::RefreshFamily& family, absl::Time now,
                                        absl::Time deadline) {
  // Kept until every access token issued from the family has expired.
  return RecordRevocation(Revocation{.kind = Revocation::Kind::kFamily,
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
