#include "client/verifier.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/token_client.h"
#include "jwt/jws.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::client {
namespace {

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t seconds = absl::ToUnixSeconds(t);
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
  return out;
}

Verification Answer(Verification::Outcome outcome, absl::string_view reason,
                    std::shared_ptr<const jwt::Claims> claims = nullptr) {
  Verification v;
  v.outcome = outcome;
  v.reason = std::string(reason);
  v.claims = std::move(claims);
  return v;
}

Verification Inactive(absl::string_view reason) {
  return Answer(Verification::Outcome::kInactive, reason);
}

Verification Unknown(absl::string_view reason) {
  return Answer(Verification::Outcome::kUnknown, reason);
}

class GrpcStream final : public VerifierBackend::Stream {
 public:
  GrpcStream(v1::TokenService::Stub* stub, const v1::WatchRevocationsRequest& request)
      : stub_(stub), request_(request) {
    // Why wait for ready: a channel whose last connection failed keeps
    // failing new calls at once until a new one is up, even while that one
    // is being made; waiting lets the call ride on it. A dial that never
    // succeeds is cut by the watchdog (silence_timeout) like a silent stream.
    context_.set_wait_for_ready(true);
  }

  bool Read(v1::WatchRevocationsResponse* message) override {
    // Started here, on the reading thread, not in the constructor: starting
    // blocks until the channel is ready, and by now Cancel can reach it.
    if (reader_ == nullptr) reader_ = stub_->WatchRevocations(&context_, request_);
    return reader_->Read(message);
  }
  void Cancel() override { context_.TryCancel(); }
  absl::Status Finish() override {
    if (reader_ == nullptr) return absl::CancelledError("watch: never started");
    return FromGrpcStatus(reader_->Finish());
  }

 private:
  v1::TokenService::Stub* const stub_;
  const v1::WatchRevocationsRequest request_;
  grpc::ClientContext context_;  // before reader_, which uses it
  std::unique_ptr<grpc::ClientReader<v1::WatchRevocationsResponse>> reader_;
};

class GrpcBackend final : public VerifierBackend {
 public:
  GrpcBackend(std::shared_ptr<grpc::Channel> channel, absl::Duration rpc_timeout)
      : channel_(channel), stub_(v1::TokenService::NewStub(channel)), rpc_timeout_(rpc_timeout) {}

  absl::StatusOr<std::string> GetJwks() override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + rpc_timeout_));
    v1::GetJwksResponse response;
    grpc::Status status = stub_->GetJwks(&context, v1::GetJwksRequest(), &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return std::move(*response.mutable_jwks_json());
  }

  std::unique_ptr<Stream> Watch(const v1::WatchRevocationsRequest& request) override {
    // Why: after a lost connection the channel waits out its own backoff
    // (1 s growing to 2 min) before it dials again, failing calls meanwhile,
    // so a tokend back after a restart would be found only minutes later.
    // The verifier's own backoff paces the attempts instead.
    if (watches_++ > 0) grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
    return std::make_unique<GrpcStream>(stub_.get(), request);
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  int watches_ = 0;  // only the watch thread calls Watch
  std::unique_ptr<v1::TokenService::Stub> stub_;
  const absl::Duration rpc_timeout_;
};

}  // namespace

absl::string_view OutcomeName(Verification::Outcome outcome) {
  switch (outcome) {
    case Verification::Outcome::kActive:
      return "active";
    case Verification::Outcome::kInactive:
      return "inactive";
    case Verification::Outcome::kUnknown:
      return "unknown";
  }
  return "unknown";
}

v1::IntrospectResponse Verification::ToIntrospectResponse() const {
  v1::IntrospectResponse response;
  if (outcome != Outcome::kActive || claims == nullptr) return response;
  response.set_active(true);
  response.set_token_type(v1::TOKEN_TYPE_ACCESS_TOKEN);
  response.set_subject(claims->subject);
  for (const std::string& aud : claims->audience) response.add_audience(aud);
  for (const std::string& scope : claims->scopes) response.add_scopes(scope);
  response.set_client_id(claims->client_id);
  response.set_issuer(claims->issuer);
  *response.mutable_issued_at() = ToTimestamp(claims->issued_at);
  *response.mutable_expires_at() = ToTimestamp(claims->expires_at);
  *response.mutable_not_before() = ToTimestamp(claims->not_before);
  response.set_token_id(claims->token_id);
  if (!claims->custom_claims_json.empty() &&
      !google::protobuf::util::JsonStringToMessage(claims->custom_claims_json,
                                                   response.mutable_claims())
           .ok()) {
    response.clear_claims();  // as Introspect does: Decode checked the JSON already
  }
  return response;
}

std::unique_ptr<VerifierBackend> MakeGrpcBackend(std::shared_ptr<grpc::Channel> channel,
                                                 absl::Duration rpc_timeout) {
  return std::make_unique<GrpcBackend>(std::move(channel), rpc_timeout);
}

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::New(std::shared_ptr<grpc::Channel> channel,
                                                        VerifierOptions options) {
  if (channel == nullptr) return absl::InvalidArgumentError("verifier: channel is null");
  const absl::Duration timeout = options.rpc_timeout;
  return New(MakeGrpcBackend(std::move(channel), timeout), std::move(options));
}

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::New(TokenClient& client,
                                                        VerifierOptions options) {
  // Not owned: the client outlives the verifier.
  std::shared_ptr<grpc::Channel> channel(std::shared_ptr<grpc::Channel>(), client.channel());
  return New(std::move(channel), std::move(options));
}

absl::StatusOr<std::unique_ptr<Verifier>> Verifier::New(std::unique_ptr<VerifierBackend> backend,
                                                        VerifierOptions options) {
  if (backend == nullptr) return absl::InvalidArgumentError("verifier: backend is null");
  if (options.issuer.empty()) return absl::InvalidArgumentError("issuer: must not be empty");
  if (options.audiences.empty()) {
    return absl::InvalidArgumentError("audiences: must name at least one audience");
  }
  for (const std::string& aud : options.audiences) {
    if (aud.empty()) return absl::InvalidArgumentError("audiences: an audience is empty");
  }
  if (options.leeway < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("leeway: must not be negative");
  }
  if (options.max_staleness <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("max_staleness: must be positive");
  }
  if (options.rpc_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("rpc_timeout: must be positive");
  }
  if (options.reconnect_backoff_initial <= absl::ZeroDuration() ||
      options.reconnect_backoff_max < options.reconnect_backoff_initial) {
    return absl::InvalidArgumentError(
        "reconnect_backoff: initial must be positive and at most max");
  }
  if (options.jwks_refresh_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("jwks_refresh_interval: must be positive");
  }
  if (options.silence_timeout <= absl::ZeroDuration()) {
    options.silence_timeout = options.max_staleness;
  }
  std::unique_ptr<Verifier> verifier(new Verifier(std::move(backend), std::move(options)));
  verifier->watch_thread_ = std::thread([v = verifier.get()] { v->WatchLoop(); });
  verifier->watchdog_thread_ = std::thread([v = verifier.get()] { v->WatchdogLoop(); });
  return verifier;
}

Verifier::Verifier(std::unique_ptr<VerifierBackend> backend, VerifierOptions options)
    : backend_(std::move(backend)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &real_clock_) {}

Verifier::~Verifier() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (stream_ != nullptr) stream_->Cancel();
  }
  if (watch_thread_.joinable()) watch_thread_.join();
  if (watchdog_thread_.joinable()) watchdog_thread_.join();
}

Verifier::Keys Verifier::CurrentKeys() const {
  absl::ReaderMutexLock lock(&mu_);
  return keys_;
}

absl::Status Verifier::FetchJwks(bool rate_limited) {
  absl::MutexLock fetch_lock(&jwks_mu_);
  // Why rate-limited: tokens with made-up kids must not turn every Verify
  // into a GetJwks call.
  const absl::Time now = absl::Now();
  if (rate_limited) {
    if (last_jwks_refetch_.has_value() &&
        now - *last_jwks_refetch_ < options_.jwks_refetch_interval) {
      return absl::ResourceExhaustedError("jwks: refetched less than the refetch interval ago");
    }
    last_jwks_refetch_ = now;
  }
  ++jwks_fetches_;
  absl::StatusOr<std::string> text = backend_->GetJwks();
  if (!text.ok()) return text.status();
  {
    absl::ReaderMutexLock lock(&mu_);
    if (*text == jwks_json_) return absl::OkStatus();  // same keys: keep the cache
  }
  absl::StatusOr<keys::ParsedJwks> parsed = keys::ParseJwks(*text);
  if (!parsed.ok()) return parsed.status();
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring =
      keys::KeyRing::NewVerifyOnly(std::move(parsed->keys));
  if (!ring.ok()) return ring.status();
  auto cache = std::make_shared<jwt::VerifiedTokenCache>(jwt::VerifiedTokenCache::kDefaultCapacity,
                                                         options_.cache_bytes);
  absl::MutexLock lock(&mu_);
  keys_ = Keys{.ring = *std::move(ring), .cache = std::move(cache)};
  jwks_json_ = *std::move(text);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const jwt::Claims>> Verifier::Decode(absl::string_view token,
                                                                    const Keys& keys,
                                                                    absl::Time now) {
  if (std::shared_ptr<const jwt::Claims> cached = keys.cache->Find(token, now)) return cached;
  absl::StatusOr<jwt::Claims> claims = jwt::Decode(token, *keys.ring);
  if (!claims.ok()) return claims.status();
  // Kept until the token can no longer pass Validate at any time.
  const absl::Time keep_until = claims->expires_at + options_.leeway;
  auto decoded = std::make_shared<const jwt::Claims>(*std::move(claims));
  if (now < keep_until) keys.cache->Put(token, decoded, keep_until);
  return decoded;
}

Verification Verifier::Verify(absl::string_view token) {
  const absl::Time now = Now();
  Keys keys = CurrentKeys();
  if (keys.ring == nullptr) return Unknown("no JWK Set fetched yet");
  absl::StatusOr<std::shared_ptr<const jwt::Claims>> decoded = Decode(token, keys, now);
  if (!decoded.ok() && decoded.status().message() == jwt::kUnknownKidReason) {
    // A key published after the last fetch (rotation), or a made-up kid.
    if (FetchJwks(/*rate_limited=*/true).ok()) {
      Keys refreshed = CurrentKeys();
      if (refreshed.ring != keys.ring) {
        keys = std::move(refreshed);
        decoded = Decode(token, keys, now);
      }
    }
  }
  if (!decoded.ok()) return Inactive(decoded.status().message());
  const jwt::Claims& claims = **decoded;
  if (absl::Status valid =
          jwt::Validate(claims, {.issuer = options_.issuer, .leeway = options_.leeway}, now);
      !valid.ok()) {
    return Inactive(valid.message());
  }
  const bool ours =
      std::any_of(claims.audience.begin(), claims.audience.end(), [this](const std::string& aud) {
        return std::find(options_.audiences.begin(), options_.audiences.end(), aud) !=
               options_.audiences.end();
      });
  if (!ours) return Inactive("aud: not an expected audience");
  // Why here: an inactive answer is safe from any view, an active one only
  // from a view known to hold every revocation up to a moment ago.
  if (ViewProblem problem = view_.Currency(now, options_.max_staleness);
      problem != ViewProblem::kNone) {
    return Unknown(ViewProblemName(problem));
  }
  // Checked on every call, cached or not: a revocation takes effect at once.
  if (view_.IsRevoked(claims.token_id, claims.session_id, claims.subject, claims.issued_at)) {
    return Inactive("revoked");
  }
  // Why by the header's kid, on every call: the key may still be in the JWK
  // Set held here (fetched before the revocation), and the token's claims
  // may come from the cache, verified with it then. The header is read only
  // while some key is revoked. A header that cannot be read here (it was
  // read to verify the token) fails closed.
  if (view_.HoldsRevokedSigningKeys()) {
    absl::StatusOr<std::string> kid = jwt::HeaderKid(token);
    if (!kid.ok() || view_.IsSigningKeyRevoked(*kid)) return Inactive("signing key revoked");
  }
  return Answer(Verification::Outcome::kActive, "", *std::move(decoded));
}

bool Verifier::WaitUntilCurrent(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    if (Currency() == ViewProblem::kNone && CurrentKeys().ring != nullptr) return true;
    if (absl::Now() >= give_up) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

ViewProblem Verifier::Currency() const { return view_.Currency(Now(), options_.max_staleness); }

int Verifier::streams_opened() const {
  absl::ReaderMutexLock lock(&mu_);
  return streams_opened_;
}

int64_t Verifier::messages_applied() const {
  absl::ReaderMutexLock lock(&mu_);
  return messages_applied_;
}

int Verifier::jwks_fetches() const {
  absl::MutexLock lock(&jwks_mu_);
  return jwks_fetches_;
}

bool Verifier::SleepUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void Verifier::WatchLoop() {
  std::minstd_rand jitter(std::random_device{}());
  absl::Duration backoff = options_.reconnect_backoff_initial;
  auto wait_and_back_off = [&] {
    // Full jitter in [backoff/2, backoff], so that many verifiers that lost
    // the same replica do not come back in step.
    const double f = 0.5 + 0.5 * std::uniform_real_distribution<double>(0, 1)(jitter);
    const bool go_on = SleepUnlessStopping(backoff * f);
    backoff = std::min(backoff * 2, options_.reconnect_backoff_max);
    return go_on;
  };
  while (true) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (stopping_) return;
    }
    // On every (re)connect: a tokend that restarted may have other keys. A
    // failed fetch keeps the keys held, if any.
    if (!FetchJwks(/*rate_limited=*/false).ok() && CurrentKeys().ring == nullptr) {
      if (!wait_and_back_off()) return;
      continue;
    }
    v1::WatchRevocationsRequest request;
    if (std::optional<v1::RevocationPosition> position = view_.position()) {
      *request.mutable_resume_from() = *position;
    }
    std::unique_ptr<VerifierBackend::Stream> stream = backend_->Watch(request);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        stream->Cancel();
      }
      stream_ = stream.get();
      last_message_ = absl::Now();
      ++streams_opened_;
    }
    view_.StartStream();
    v1::WatchRevocationsResponse message;
    bool got_any = false;
    while (stream->Read(&message)) {
      {
        absl::MutexLock lock(&mu_);
        last_message_ = absl::Now();
      }
      if (absl::Status applied = view_.Apply(message, Now()); !applied.ok()) {
        // Nothing sensible to resume from: start again with a snapshot.
        view_.Reset();
        stream->Cancel();
        break;
      }
      got_any = true;
      absl::MutexLock lock(&mu_);
      ++messages_applied_;
    }
    {
      absl::MutexLock lock(&mu_);
      stream_ = nullptr;
    }
    (void)stream->Finish();  // how it ended changes nothing: reconnect
    // A stream that worked for a while earns a quick reconnect.
    if (got_any) backoff = options_.reconnect_backoff_initial;
    if (!wait_and_back_off()) return;
  }
}

void Verifier::WatchdogLoop() {
  // Why: a connection that silently died (no FIN, no RST) leaves Read
  // blocked forever; the heartbeats' absence is how it shows.
  const absl::Duration tick =
      std::max(std::min(options_.silence_timeout, options_.jwks_refresh_interval) / 4,
               absl::Milliseconds(10));
  absl::Time last_refresh = absl::Now();
  while (SleepUnlessStopping(tick)) {
    {
      absl::MutexLock lock(&mu_);
      if (stream_ != nullptr && absl::Now() - last_message_ > options_.silence_timeout) {
        stream_->Cancel();
        last_message_ = absl::Now();  // one cancel per silence
      }
    }
    if (absl::Now() - last_refresh >= options_.jwks_refresh_interval) {
      last_refresh = absl::Now();
      (void)FetchJwks(/*rate_limited=*/false);  // a failure keeps the keys held
    }
  }
}

}  // namespace tokend::client
