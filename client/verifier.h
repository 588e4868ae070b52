#ifndef TOKEND_CLIENT_VERIFIER_H_
#define TOKEND_CLIENT_VERIFIER_H_

// Local verification of tokend access tokens, for services that cannot
// afford an Introspect round trip per request but must still learn of a
// revocation within about a second.
//
// A Verifier holds tokend's JWK Set (GetJwks) and a copy of one replica's
// revocation view (WatchRevocations, on a background thread), and verifies
// with the server's own code (jwt::Decode, jwt::Validate, the verified-token
// cache): the same signature, header, claim and time rules as Introspect.
// It fails closed: when it cannot vouch that its revocation view is current,
// it answers kUnknown, never kActive.

#include <grpcpp/channel.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/revocation_view.h"
#include "client/token_client.h"
#include "common/clock.h"
#include "jwt/claims.h"
#include "jwt/verified_token_cache.h"
#include "keys/key_ring.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::client {

struct VerifierOptions {
  // Required: the iss tokens must carry (tokend's `issuer` setting).
  std::string issuer;
  // Required: a token is active only if its aud holds at least one of these.
  std::vector<std::string> audiences;
  // Clock skew allowed on nbf, iat and exp, as tokend's own `leeway`.
  absl::Duration leeway = absl::Seconds(30);
  // The longest the revocation view may go without the replica proving it
  // current (a heartbeat saying it is not stale) before answers become
  // kUnknown. Must exceed the server's watch.heartbeat_interval (default
  // 5 s), with room for a late heartbeat: three intervals is a good choice.
  absl::Duration max_staleness = absl::Seconds(15);
  // A stream that brings nothing for this long is taken as dead and
  // reopened. Zero: max_staleness.
  absl::Duration silence_timeout = absl::ZeroDuration();
  // An unknown kid refetches the JWK Set at most this often.
  absl::Duration jwks_refetch_interval = absl::Seconds(10);
  // The JWK Set is fetched again this often regardless, and on every
  // reconnect, so that a key tokend withdraws stops verifying here too.
  absl::Duration jwks_refresh_interval = absl::Minutes(5);
  // Reconnect backoff: doubling from the first to the last, with jitter.
  absl::Duration reconnect_backoff_initial = absl::Milliseconds(100);
  absl::Duration reconnect_backoff_max = absl::Seconds(5);
  // Deadline of each GetJwks call.
  absl::Duration rpc_timeout = absl::Seconds(5);
  // Bound of the verified-token cache (see jwt/verified_token_cache.h).
  size_t cache_bytes = size_t{16} << 20;
  // Source of "now"; nullptr: the wall clock. Must outlive the verifier.
  const common::Clock* clock = nullptr;
};

// The answer for one token.
struct Verification {
  enum class Outcome {
    kActive,    // valid now, and not revoked as of a moment ago
    kInactive,  // forged, malformed, expired, not for us, or revoked
    kUnknown,   // cannot tell now: the revocation view is not current, or
                // no JWK Set could be fetched. Treat as "not active".
  };
  Outcome outcome = Outcome::kUnknown;
  // Why the token is not active (for logs; never quotes the token).
  std::string reason;
  // kActive only: the token's claims (shared with the cache; immutable).
  std::shared_ptr<const jwt::Claims> claims;

  bool active() const { return outcome == Outcome::kActive; }

  // The IntrospectResponse tokend's Introspect would give for the token: the
  // claims for an active token, only active = false otherwise (as RFC 7662
  // answers an inactive token, whatever the reason).
  v1::IntrospectResponse ToIntrospectResponse() const;
};

// "active", "inactive", "unknown".
absl::string_view OutcomeName(Verification::Outcome outcome);

// What the Verifier needs from tokend; the gRPC one is MakeGrpcBackend's,
// tests give fakes.
class VerifierBackend {
 public:
  // One WatchRevocations call.
  class Stream {
   public:
    virtual ~Stream() = default;
    // Blocks for the next message (the first call may also wait for the
    // connection); false once the stream has ended.
    virtual bool Read(v1::WatchRevocationsResponse* message) = 0;
    // Makes a blocked or later Read return false. Thread-safe.
    virtual void Cancel() = 0;
    // After Read returned false: how the stream ended.
    virtual absl::Status Finish() = 0;
  };

  virtual ~VerifierBackend() = default;
  // GetJwks: the JWK Set's JSON text.
  virtual absl::StatusOr<std::string> GetJwks() = 0;
  // Opens WatchRevocations with `request`.
  virtual std::unique_ptr<Stream> Watch(const v1::WatchRevocationsRequest& request) = 0;
};

// The backend over a channel to tokend (for example TokenClient::channel()'s
// channel, or any mutual-TLS channel); GetJwks calls carry `rpc_timeout`.
std::unique_ptr<VerifierBackend> MakeGrpcBackend(std::shared_ptr<grpc::Channel> channel,
                                                 absl::Duration rpc_timeout);

class Verifier {
 public:
  // Checks the options and starts the background thread, which fetches the
  // JWK Set and keeps a WatchRevocations stream open. Returns at once:
  // until the view is current, Verify answers kUnknown (WaitUntilCurrent
  // waits for it). INVALID_ARGUMENT for an empty issuer or audience list, a
  // negative leeway, or a non-positive max_staleness.
  static absl::StatusOr<std::unique_ptr<Verifier>> New(std::shared_ptr<grpc::Channel> channel,
                                                       VerifierOptions options);
  static absl::StatusOr<std::unique_ptr<Verifier>> New(std::unique_ptr<VerifierBackend> backend,
                                                       VerifierOptions options);
  // Over `client`'s channel (mutual TLS as the client was configured), which
  // must outlive the verifier.
  static absl::StatusOr<std::unique_ptr<Verifier>> New(TokenClient& client,
                                                       VerifierOptions options);

  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;
  // Stops the background threads (cancelling the stream) and waits for them.
  ~Verifier();

  // Verifies `token` as an access token, locally. In order: the signature
  // with the key its kid names, under that key's JWK alg (never the token's
  // own alg; "none" and alg swaps fail), typ at+jwt, the claims' syntax
  // (all of this is jwt::Decode, cached per exact token text); an unknown
  // kid refetches the JWK Set once (rate-limited) and retries; that one
  // call then waits for GetJwks (at most rpc_timeout). Then iss,
  // nbf/iat/exp with leeway (jwt::Validate), an aud we expect, the view's
  // currency (kUnknown when it cannot vouch), and the revocations: jti,
  // refresh family (sid) and subject cut-off ("revoked"), and the signing
  // key the header's kid names ("signing key revoked", even while the key
  // is still in the JWK Set held here). Thread-safe; a repeated token costs
  // a hash lookup, not a signature verification.
  Verification Verify(absl::string_view token);

  // Blocks until the revocation view is current and a JWK Set is held, or
  // `timeout` passes. True if it became current.
  bool WaitUntilCurrent(absl::Duration timeout);

  // The view's state now, for health checks: ViewProblem::kNone if current.
  ViewProblem Currency() const;

  // The position of the last watch message applied (nullopt before any).
  std::optional<v1::RevocationPosition> position() const { return view_.position(); }

  // Streams opened so far (1 after the first connect), for tests and metrics.
  int streams_opened() const;
  // JWK Set fetches attempted so far, for tests and metrics.
  int jwks_fetches() const;
  // Watch messages applied to the view so far, for tests and metrics.
  int64_t messages_applied() const;

 private:
  Verifier(std::unique_ptr<VerifierBackend> backend, VerifierOptions options);

  absl::Time Now() const { return clock_->Now(); }
  // Fetches the JWK Set and installs its ring. `rate_limited` (a fetch for
  // an unknown kid): not if the last such fetch was less than
  // jwks_refetch_interval ago.
  absl::Status FetchJwks(bool rate_limited) ABSL_LOCKS_EXCLUDED(jwks_mu_);
  // jwt::Decode through the cache.
  // The key ring and the cache of tokens it verified, replaced together:
  // a new JWK Set (a key withdrawn) must not keep answering from claims the
  // old one verified.
  struct Keys {
    std::shared_ptr<const keys::KeyRing> ring;
    std::shared_ptr<jwt::VerifiedTokenCache> cache;
  };
  Keys CurrentKeys() const ABSL_LOCKS_EXCLUDED(mu_);
  // jwt::Decode through the cache of `keys`.
  absl::StatusOr<std::shared_ptr<const jwt::Claims>> Decode(absl::string_view token,
                                                            const Keys& keys, absl::Time now);
  void WatchLoop();
  void WatchdogLoop();
  // Sleeps up to `d` unless stopping; false if stopping.
  bool SleepUnlessStopping(absl::Duration d);

  const std::unique_ptr<VerifierBackend> backend_;
  const VerifierOptions options_;
  const common::RealClock real_clock_;
  const common::Clock* const clock_;
  RevocationView view_;

  mutable absl::Mutex mu_;
  Keys keys_ ABSL_GUARDED_BY(mu_);
  std::string jwks_json_ ABSL_GUARDED_BY(mu_);  // the text keys_ came from
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  VerifierBackend::Stream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Time last_message_ ABSL_GUARDED_BY(mu_);
  int streams_opened_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t messages_applied_ ABSL_GUARDED_BY(mu_) = 0;

  // Serialises JWK Set fetches (so a burst of unknown kids fetches once).
  mutable absl::Mutex jwks_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // The last fetch an unknown kid caused (the rate limit's clock).
  std::optional<absl::Time> last_jwks_refetch_ ABSL_GUARDED_BY(jwks_mu_);
  int jwks_fetches_ ABSL_GUARDED_BY(jwks_mu_) = 0;

  std::thread watch_thread_;
  std::thread watchdog_thread_;
};

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_VERIFIER_H_
