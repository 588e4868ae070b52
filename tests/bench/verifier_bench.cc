// tokend_bench_verifier: the C++ Verifier's Verify (client/verifier.h) beside
// the server's own verification of the same tokens, CPU only: tokend's
// Introspect in the service layer (fake stores, no gRPC), and jwt::Decode +
// jwt::Validate alone, for tokens never seen before (one ES256 verification
// each) and for a working set of repeated tokens (the verified-token cache).
// The verifier's revocation view comes from a fake stream (one snapshot and
// a heartbeat), so no network is involved either.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "client/verifier.h"
#include "common/clock.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"
#include "service/token_service.h"
#include "tests/support/fake_stores.h"
#include "tests/support/service_calls.h"
#include "unit/crypto/test_keys.h"

namespace tokend::bench {
namespace {

constexpr char kCaller[] = "spiffe://tokend.dev/tokenctl";
constexpr char kIssuer[] = "https://tokend.bench.local";
constexpr char kAudience[] = "api://bench";
constexpr int kNewTokens = 10000;  // iterations of the "new token" benchmarks

// A stream that sends a complete empty snapshot and a heartbeat, then waits.
class QuietStream final : public client::VerifierBackend::Stream {
 public:
  bool Read(v1::WatchRevocationsResponse* message) override {
    message->Clear();
    message->mutable_position()->set_epoch("bench");
    if (sent_ == 0) {
      message->mutable_snapshot()->set_complete(true);
    } else if (sent_ == 1) {
      message->mutable_heartbeat()->set_stale(false);
    } else {
      cancelled_.WaitForNotification();
      return false;
    }
    ++sent_;
    return true;
  }
  void Cancel() override {
    if (!cancelled_.HasBeenNotified()) cancelled_.Notify();
  }
  absl::Status Finish() override { return absl::CancelledError(); }

 private:
  int sent_ = 0;
  absl::Notification cancelled_;
};

class StaticBackend final : public client::VerifierBackend {
 public:
  explicit StaticBackend(std::string jwks) : jwks_(std::move(jwks)) {}
  absl::StatusOr<std::string> GetJwks() override { return jwks_; }
  std::unique_ptr<Stream> Watch(const v1::WatchRevocationsRequest&) override {
    return std::make_unique<QuietStream>();
  }

 private:
  const std::string jwks_;
};

struct World {
  common::RealClock clock;
  testing::FakeRevocationStore revocations;
  testing::FakeRefreshTokenStore refresh_tokens{revocations};
  service::RevocationSet revocation_set;
  std::shared_ptr<const keys::KeyRing> ring;
  std::unique_ptr<service::TokenService> service;

  World() {
    ring = *keys::KeyRing::New(
        {keys::Key{.kid = "k1",
                   .alg = crypto::Algorithm::kES256,
                   .pkey = testing::GenerateSharedKey(crypto::Algorithm::kES256)}});
    auto policy = service::Policy::New(
        {service::CallerPolicy{.id = kCaller,
                               .rpcs = {service::Rpc::kIssue, service::Rpc::kIntrospect},
                               .issue_for_others = true,
                               .audiences = {kAudience},
                               .scopes = {"bench:read"},
                               .max_ttl = absl::Hours(1)}});
    service = *service::TokenService::New(
        service::ServiceOptions{.issuer = kIssuer,
                                .access_ttl = absl::Minutes(15),
                                .refresh_idle_ttl = absl::Hours(720),
                                .refresh_absolute_ttl = absl::Hours(2160),
                                .leeway = absl::Seconds(5),
                                .refresh_retry_window = absl::ZeroDuration(),
                                .refresh_successor_key = std::string(32, 'k')},
        *policy, ring, &refresh_tokens, &revocations, &revocation_set, &clock);
  }

  std::string Mint() {
    return testing::IssueAs(
               *service, kCaller,
               service::IssueParams{
                   .subject = "bench-user", .audience = {kAudience}, .scopes = {"bench:read"}})
        ->access_token;
  }

  std::vector<std::string> Mint(int n) {
    std::vector<std::string> tokens;
    tokens.reserve(n);
    for (int i = 0; i < n; ++i) tokens.push_back(Mint());
    return tokens;
  }

  // A verifier of this world's tokens, current before it is returned.
  std::unique_ptr<client::Verifier> NewVerifier() {
    auto verifier = client::Verifier::New(std::make_unique<StaticBackend>(*keys::JwksJson(*ring)),
                                          client::VerifierOptions{.issuer = kIssuer,
                                                                  .audiences = {kAudience},
                                                                  .leeway = absl::Seconds(5),
                                                                  .max_staleness = absl::Hours(1)});
    if (!verifier.ok() || !(*verifier)->WaitUntilCurrent(absl::Seconds(10))) std::abort();
    return *std::move(verifier);
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

// --- tokens never seen before: one signature verification each ---

void JwtDecodeValidateNew(benchmark::State& state) {
  World& w = TheWorld();
  const std::vector<std::string> tokens = w.Mint(kNewTokens);
  size_t i = 0;
  for (auto _ : state) {
    absl::StatusOr<jwt::Claims> claims = jwt::Decode(tokens[i++], *w.ring);
    if (!claims.ok() ||
        !jwt::Validate(*claims, {.issuer = kIssuer, .leeway = absl::Seconds(5)}, absl::Now())
             .ok()) {
      state.SkipWithError("inactive");
    }
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(JwtDecodeValidateNew)->Iterations(kNewTokens);

void ServerIntrospectNew(benchmark::State& state) {
  World& w = TheWorld();
  const std::vector<std::string> tokens = w.Mint(kNewTokens);
  size_t i = 0;
  for (auto _ : state) {
    auto seen = testing::IntrospectAs(*w.service, kCaller, tokens[i++]);
    if (!seen.ok() || !seen->active) state.SkipWithError("inactive");
    benchmark::DoNotOptimize(seen);
  }
}
BENCHMARK(ServerIntrospectNew)->Iterations(kNewTokens);

void VerifierVerifyNew(benchmark::State& state) {
  World& w = TheWorld();
  std::unique_ptr<client::Verifier> verifier = w.NewVerifier();
  const std::vector<std::string> tokens = w.Mint(kNewTokens);
  size_t i = 0;
  for (auto _ : state) {
    client::Verification v = verifier->Verify(tokens[i++]);
    if (!v.active()) state.SkipWithError(v.reason.c_str());
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(VerifierVerifyNew)->Iterations(kNewTokens);

// --- a working set of 1000 tokens, each verified before: cache hits ---

void ServerIntrospectCached(benchmark::State& state) {
  World& w = TheWorld();
  const std::vector<std::string> tokens = w.Mint(1000);
  for (const std::string& t : tokens) testing::IntrospectAs(*w.service, kCaller, t);
  size_t i = 0;
  for (auto _ : state) {
    auto seen = testing::IntrospectAs(*w.service, kCaller, tokens[i++ % tokens.size()]);
    if (!seen.ok() || !seen->active) state.SkipWithError("inactive");
    benchmark::DoNotOptimize(seen);
  }
}
BENCHMARK(ServerIntrospectCached);

void VerifierVerifyCached(benchmark::State& state) {
  World& w = TheWorld();
  std::unique_ptr<client::Verifier> verifier = w.NewVerifier();
  const std::vector<std::string> tokens = w.Mint(1000);
  for (const std::string& t : tokens) verifier->Verify(t);
  size_t i = 0;
  for (auto _ : state) {
    client::Verification v = verifier->Verify(tokens[i++ % tokens.size()]);
    if (!v.active()) state.SkipWithError(v.reason.c_str());
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(VerifierVerifyCached);

}  // namespace
}  // namespace tokend::bench

BENCHMARK_MAIN();
