// tokend_bench_service: the service layer's CPU-only paths without gRPC, on
// fake stores: Introspect of a cached token (the verified-token cache hit
// path), Introspect of a token never seen, and Issue of an access token.
// For profiling (callgrind, perf) what tokend adds to a call on top of gRPC.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/clock.h"
#include "service/token_service.h"
#include "tests/support/fake_stores.h"
#include "tests/support/service_calls.h"
#include "unit/crypto/test_keys.h"

namespace tokend::service {
namespace {

constexpr char kCaller[] = "spiffe://tokend.dev/tokenctl";

struct World {
  common::RealClock clock;
  testing::FakeRevocationStore revocations;
  testing::FakeRefreshTokenStore refresh_tokens{revocations};
  RevocationSet revocation_set;
  std::unique_ptr<TokenService> service;

  World() {
    auto ring = keys::KeyRing::New(
        {keys::Key{.kid = "k1",
                   .alg = crypto::Algorithm::kES256,
                   .pkey = testing::GenerateSharedKey(crypto::Algorithm::kES256)}});
    auto policy = Policy::New({CallerPolicy{
        .id = kCaller,
        .rpcs = {Rpc::kIssue, Rpc::kRefresh, Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks},
        .issue_for_others = true,
        .audiences = {"api://bench"},
        .scopes = {"bench:read"},
        .max_ttl = absl::Hours(1)}});
    service =
        *TokenService::New(ServiceOptions{.issuer = "https://tokend.bench.local",
                                          .access_ttl = absl::Minutes(15),
                                          .refresh_idle_ttl = absl::Hours(720),
                                          .refresh_absolute_ttl = absl::Hours(2160),
                                          .leeway = absl::Seconds(5),
                                          .refresh_retry_window = absl::ZeroDuration(),
                                          .refresh_successor_key = std::string(32, 'k')},
                           *policy, *ring, &refresh_tokens, &revocations, &revocation_set, &clock);
  }

  std::string Mint() {
    return testing::IssueAs(
               *service, kCaller,
               IssueParams{
                   .subject = "bench-user", .audience = {"api://bench"}, .scopes = {"bench:read"}})
        ->access_token;
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

void IntrospectCached(benchmark::State& state) {
  World& w = TheWorld();
  std::vector<std::string> tokens;
  for (int i = 0; i < 1000; ++i) tokens.push_back(w.Mint());

  for (const std::string& t : tokens)
    testing::IntrospectAs(*w.service, kCaller, t, TokenType::kUnspecified);
  size_t i = 0;
  for (auto _ : state) {
    auto seen = testing::IntrospectAs(*w.service, kCaller, tokens[i++ % tokens.size()],
                                      TokenType::kUnspecified);
    if (!seen.ok() || !seen->active) state.SkipWithError("inactive");
    benchmark::DoNotOptimize(seen);
  }
}
// Two threads as well: the key ring is loaded on every call, and a cost
// shared between cores (a contended atomic) shows only there.
BENCHMARK(IntrospectCached)->Threads(1)->Threads(2)->UseRealTime();

void IntrospectNew(benchmark::State& state) {
  World& w = TheWorld();
  std::vector<std::string> tokens;
  for (int i = 0; i < 20000; ++i) tokens.push_back(w.Mint());

  size_t i = 0;
  for (auto _ : state) {
    if (i == tokens.size()) {
      state.SkipWithError("out of tokens");
      break;
    }
    auto seen = testing::IntrospectAs(*w.service, kCaller, tokens[i++], TokenType::kUnspecified);
    if (!seen.ok() || !seen->active) state.SkipWithError("inactive");
    benchmark::DoNotOptimize(seen);
  }
}
BENCHMARK(IntrospectNew)->Iterations(10000);

void IssueAccessToken(benchmark::State& state) {
  World& w = TheWorld();

  const IssueParams params{
      .subject = "bench-user", .audience = {"api://bench"}, .scopes = {"bench:read"}};
  for (auto _ : state) {
    auto issued = testing::IssueAs(*w.service, kCaller, params);
    if (!issued.ok()) state.SkipWithError("issue failed");
    benchmark::DoNotOptimize(issued);
  }
}
BENCHMARK(IssueAccessToken)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace tokend::service

BENCHMARK_MAIN();
