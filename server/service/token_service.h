#ifndef TOKEND_SERVER_SERVICE_TOKEN_SERVICE_H_
#define TOKEND_SERVER_SERVICE_TOKEN_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jwt/claims.h"
#include "jwt/verified_token_cache.h"
#include "keys/key_ring.h"
#include "service/policy.h"
#include "service/rate_limit.h"
#include "service/refresh_tokens.h"
#include "service/revocation_set.h"
#include "store/refresh_token_store.h"
#include "store/revocation_store.h"

namespace tokend::service {

// The cache of decoded tokens lives beside Decode, so that verifiers outside
// tokend share it.
using jwt::VerifiedTokenCache;

// The business rules of tokend: policy, TTLs, rotation, reuse detection and
// revocation. No gRPC and no database types: the stores are interfaces.
//
// Status codes every method may return (see the API contract's table):
//   INVALID_ARGUMENT   malformed request; the message names the field
//   PERMISSION_DENIED  caller not in the policy, or beyond its rights
//   UNAUTHENTICATED    refresh token unknown, expired, revoked or reused
//   UNAVAILABLE / DEADLINE_EXCEEDED from the stores; nothing half-written

// No defaults here: the operators' defaults live in the configuration
// (config::Config), and New refuses a lifetime left at zero.
struct ServiceOptions {
  std::string issuer;
  absl::Duration access_ttl;
  absl::Duration refresh_idle_ttl;
  absl::Duration refresh_absolute_ttl;
  absl::Duration leeway;
  // How long after a refresh token's first redemption a repeat of it by the
  // same caller gets the same successor (0: never, every repeat is reuse).
  absl::Duration refresh_retry_window;
  // The key successors are derived under (see refresh_tokens.h), shared by
  // every replica; at least 32 bytes.
  std::string refresh_successor_key;
  // Revoke{subject} calls a caller may make per minute (and at once); 0: no
  // limit. Beyond it RESOURCE_EXHAUSTED.
  int subject_revocations_per_minute = 0;
  // Bound of the verified-token cache (see verified_token_cache.h).
  size_t introspect_cache_bytes = VerifiedTokenCache::kDefaultMaxBytes;
};

// Who is calling and until when the answer is useful.
struct RequestContext {
  std::string caller_id;
  absl::Time deadline = absl::InfiniteFuture();
};

// A call the policy allows. Only TokenService::Authorize makes one, so a
// method that takes one knows the caller was checked, once, for that RPC.
// Refers to the service's policy: valid while the service lives.
class AuthorizedCall {
 public:
  const CallerPolicy& caller() const { return *caller_; }
  Rpc rpc() const { return rpc_; }
  absl::Time deadline() const { return deadline_; }

 private:
  friend class TokenService;
  AuthorizedCall(const CallerPolicy* caller, Rpc rpc, absl::Time deadline)
      : caller_(caller), rpc_(rpc), deadline_(deadline) {}
  const CallerPolicy* caller_;
  Rpc rpc_;
  absl::Time deadline_;
};

enum class TokenType { kUnspecified, kAccessToken, kRefreshToken };

struct IssueParams {
  std::string subject;  // empty: the caller itself
  std::vector<std::string> audience;
  std::vector<std::string> scopes;
  std::optional<absl::Duration> ttl;  // nullopt: the default
  std::string custom_claims_json;     // "" or one JSON object's text
  bool include_refresh_token = false;
  // Empty: none. Makes a repeat of an Issue with a refresh token answer the
  // same refresh token rather than start a second family (see Issue).
  std::string idempotency_key;
};

struct RefreshParams {
  std::string refresh_token;
  std::vector<std::string> scopes;  // empty: keep them all
};

// What Issue and Refresh hand back.
struct IssuedTokens {
  std::string access_token;
  absl::Time expires_at;
  std::string refresh_token;  // empty unless one was issued
  absl::Time refresh_expires_at;
  std::vector<std::string> scopes;
};

struct Introspection {
  bool active = false;  // when false, nothing else is set
  TokenType token_type = TokenType::kUnspecified;
  std::string subject;
  std::vector<std::string> audience;
  std::vector<std::string> scopes;
  std::string client_id;
  std::string issuer;
  absl::Time issued_at;
  absl::Time expires_at;
  absl::Time not_before;
  std::string token_id;
  std::string custom_claims_json;  // "" or one JSON object's text
};

struct RevokeParams {
  // Exactly one of these should be set; neither is INVALID_ARGUMENT.
  std::optional<std::string> token;
  std::optional<std::string> subject;
  TokenType token_type_hint = TokenType::kUnspecified;
};

// A Revoke that passed TokenService::AdmitRevoke; only it makes one.
class AdmittedRevoke {
 public:
  const AuthorizedCall& call() const { return call_; }
  const RevokeParams& params() const { return params_; }

 private:
  friend class TokenService;
  AdmittedRevoke(AuthorizedCall call, RevokeParams params)
      : call_(std::move(call)), params_(std::move(params)) {}
  AuthorizedCall call_;
  RevokeParams params_;
};

// Counters for metrics. Monotonic.
struct ServiceCounters {
  std::atomic<uint64_t> refresh_reuse_detected{0};
};

class TokenService {
 public:
  // All pointers must outlive the service. INVALID_ARGUMENT if the key
  // ring's JWK Set cannot be built or options are not positive.
  static absl::StatusOr<std::unique_ptr<TokenService>> New(
      ServiceOptions options, std::shared_ptr<const Policy> policy,
      std::shared_ptr<const keys::KeyRing> key_ring, store::RefreshTokenStore* refresh_tokens,
      store::RevocationStore* revocations, RevocationSet* revocation_set,
      const common::Clock* clock);

  // The call, if the caller is in the policy and may call `rpc`; else
  // PERMISSION_DENIED. Checked before the request is looked at. Every method
  // below takes the result, and answers PERMISSION_DENIED for a call
  // authorized for another RPC.
  absl::StatusOr<AuthorizedCall> Authorize(const RequestContext& ctx, Rpc rpc) const;

  // With an idempotency key, a repeat of an Issue with a refresh token by
  // the same caller, within the refresh retry window and while its first
  // refresh token is still unredeemed, answers that same refresh token
  // with a new access token; the same key with a different grant is
  // INVALID_ARGUMENT, any other repeat FAILED_PRECONDITION.
  absl::StatusOr<IssuedTokens> Issue(const AuthorizedCall& call, const IssueParams& params);
  // Redeems a refresh token once. A repeat by the same caller within
  // refresh_retry_window of the first redemption, while the successor that
  // redemption stored is unredeemed, answers that same successor (with a new
  // access token): a caller that lost the answer may retry. Any other
  // repeat is reuse, which revokes the family (UNAUTHENTICATED).
  absl::StatusOr<IssuedTokens> Refresh(const AuthorizedCall& call, const RefreshParams& params);

  // Inactive tokens answer OK with active false, whatever the reason.
  // INVALID_ARGUMENT for an empty token; UNAVAILABLE if a refresh token
  // cannot be looked up, or if an access token would be active but this
  // replica's revocation view is not current (RevocationSet::IsCurrent).
  absl::StatusOr<Introspection> Introspect(const AuthorizedCall& call, absl::string_view token,
                                           TokenType hint);

  // The checks of Revoke that need neither the store nor a wait:
  // INVALID_ARGUMENT for a malformed request, PERMISSION_DENIED for a
  // subject beyond the caller's rights, and RESOURCE_EXHAUSTED (nothing
  // written) for a Revoke{subject} beyond the caller's
  // subject_revocations_per_minute, of which an admitted one takes one. The
  // RPC layer calls it before the call queues for the database, so that
  // such calls are answered at once.
  absl::StatusOr<AdmittedRevoke> AdmitRevoke(const AuthorizedCall& call, RevokeParams params);
  // OK once the revocation is durable; OK and no change for unknown,
  // expired or malformed tokens (RFC 7009).
  absl::Status Revoke(const AdmittedRevoke& revoke);
  // AdmitRevoke, then Revoke.
  absl::Status Revoke(const AuthorizedCall& call, const RevokeParams& params);

  // The JWK Set of the key ring in force (computed once per ring).
  std::string Jwks() const { return key_state_.load()->jwks_json; }

  // The key ring in force: its primary signs from the next Issue on, and
  // tokens of a kid not in it are inactive from the next Introspect on (the
  // verified-token cache is dropped when a key leaves or changes, so it can
  // never answer for a key no longer trusted). INVALID_ARGUMENT, and the
  // ring in force stays, when its JWK Set cannot be built.
  absl::Status SetKeyRing(std::shared_ptr<const keys::KeyRing> key_ring);
  std::shared_ptr<const keys::KeyRing> key_ring() const { return key_state_.load()->ring; }

  // Whether introspecting or revoking `token` reads the store: only a
  // refresh token does. Otherwise the call needs only the CPU and can be
  // answered without waiting for a connection.
  static bool ReadsStore(absl::string_view token);

  const ServiceCounters& counters() const { return counters_; }

 private:
  TokenService() = default;

  // How long any access token can live, and any token at all.
  absl::Duration LongestAccessLifetime() const;
  absl::Duration LongestTokenLifetime() const;

  // The key ring and everything derived from it, swapped as one (see
  // SetKeyRing): a call loads it once, so it signs, verifies and caches
  // under one ring.
  struct KeyState {
    std::shared_ptr<const keys::KeyRing> ring;
    std::string jwks_json;
    // Decoded claims of access tokens whose signature verified under `ring`
    // (see DecodeAccessToken); time and revocation checks still run on
    // every call. Shared with the next state when that ring keeps every key
    // of this one.
    std::shared_ptr<VerifiedTokenCache> verified_tokens;
  };
  // The state for `key_ring`, reusing `previous`'s cache when allowed.
  absl::StatusOr<std::shared_ptr<const KeyState>> MakeKeyState(
      std::shared_ptr<const keys::KeyRing> key_ring, const KeyState* previous) const;

  // Signs an access token for `claims`, filling in jti, iss, iat, nbf and exp.
  absl::StatusOr<std::string> SignAccessToken(jwt::Claims& claims, absl::Time now,
                                              absl::Duration ttl) const;
  absl::StatusOr<Introspection> IntrospectAccessToken(absl::string_view token) const;
  // jwt::Decode(token, *ring), remembered in the key state's cache so that
  // a token's signature is verified once; UNAUTHENTICATED as Decode.
  absl::StatusOr<std::shared_ptr<const jwt::Claims>> DecodeAccessToken(absl::string_view token,
                                                                       absl::Time now) const;
  absl::StatusOr<Introspection> IntrospectRefreshToken(const AuthorizedCall& call,
                                                       absl::string_view token);
  absl::Status RevokeToken(const AuthorizedCall& call, absl::string_view token);
  // The family an Issue would start, for a request with or without an
  // idempotency key.
  absl::StatusOr<MintedFamily> StartFamily(const FamilyGrant& grant,
                                           absl::string_view idempotency_key, absl::Time now) const;
  // The answer to an Issue whose idempotency key names the family `derived`,
  // which the store already holds: its first token again, if the contract's
  // retry rule allows (see Issue).
  absl::StatusOr<MintedRefreshToken> IssueAgain(const AuthorizedCall& call,
                                                const MintedFamily& derived,
                                                const FamilyGrant& grant, absl::Time now);
  // A refresh token presented again after its redemption `used`: within
  // the retry window, and while that redemption's successor is unredeemed,
  // the same successor with a new access token; otherwise reuse.
  absl::StatusOr<IssuedTokens> RedeemAgain(const AuthorizedCall& call, absl::string_view presented,
                                           const store::RefreshTokenState& used, absl::Time now);
  // A new access token of `family` with `scopes`, in an IssuedTokens
  // without a refresh token.
  absl::StatusOr<IssuedTokens> SignRefreshedAccessToken(const AuthorizedCall& call,
                                                        const store::RefreshFamily& family,
                                                        const std::vector<std::string>& scopes,
                                                        absl::Time now) const;
  // Detected reuse of a refresh token of `family`: counted, logged, and the
  // family revoked. UNAUTHENTICATED once the revocation is durable.
  absl::Status RevokeReusedFamily(const AuthorizedCall& call, const store::RefreshFamily& family,
                                  absl::Time now);
  // Durably revokes a refresh family: its refresh tokens and the access
  // tokens issued with them.
  absl::Status RevokeFamily(const store::RefreshFamily& family, absl::Time now,
                            absl::Time deadline);
  // Durably records `revocation`, then applies it to this replica at once.
  absl::Status RecordRevocation(const store::Revocation& revocation, absl::Time deadline);

  ServiceOptions options_;
  std::shared_ptr<const Policy> policy_;
  // Loaded once per call on the hot paths (Issue, Introspect): an atomic
  // shared_ptr, so a swap never blocks a call (BENCHMARKS.md).
  std::atomic<std::shared_ptr<const KeyState>> key_state_;
  absl::Mutex key_swap_mu_;
  store::RefreshTokenStore* refresh_tokens_ = nullptr;
  store::RevocationStore* revocations_ = nullptr;
  RevocationSet* revocation_set_ = nullptr;
  const common::Clock* clock_ = nullptr;
  ServiceCounters counters_;
  std::unique_ptr<PerCallerRateLimit> subject_revocations_;
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_TOKEN_SERVICE_H_
