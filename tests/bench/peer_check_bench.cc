// tokend_bench_peer_check: what the per-call client certificate check
// (rpc::PeerCertificateCheck) costs a call. On a hit it looks the verdict up
// by the peer's PEM; OpenSSL verifies only on a miss, measured apart
// (CaBundle::VerifyClient). A throw-away PKI (tests/support/pki) gives
// the certificates: a P-256 client certificate from a P-256 CA.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "crypto/hash.h"
#include "crypto/x509_verify.h"
#include "rpc/peer_certificate_check.h"
#include "tests/support/pki/test_pki.h"

namespace tokend {
namespace {

struct World {
  std::unique_ptr<test::TestPki> pki;
  common::RealClock clock;
  std::unique_ptr<rpc::PeerCertificateCheck> check;
  std::unique_ptr<const crypto::CaBundle> bundle;
  std::string leaf_pem;

  World() {
    absl::StatusOr<std::unique_ptr<test::TestPki>> made = test::TestPki::New();
    if (!made.ok()) Die(made.status());
    pki = *std::move(made);
    absl::StatusOr<std::unique_ptr<rpc::PeerCertificateCheck>> c =
        rpc::PeerCertificateCheck::New(pki->ca_file(), absl::Seconds(10), &clock);
    if (!c.ok()) Die(c.status());
    check = *std::move(c);
    absl::StatusOr<std::unique_ptr<const crypto::CaBundle>> b =
        crypto::CaBundle::FromPem(test::ReadTextFile(pki->ca_file()));
    if (!b.ok()) Die(b.status());
    bundle = *std::move(b);
    leaf_pem = test::ReadTextFile(pki->client_uri().cert_file);
  }

  [[noreturn]] static void Die(const absl::Status& status) {
    std::cerr << "peer_check_bench: " << status << "\n";
    std::abort();
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

std::string Caller() { return "bench"; }

// The hot path: the verdict for this chain is cached.
void BM_CheckCacheHit(benchmark::State& state) {
  World& w = TheWorld();
  if (!w.check->Check(w.leaf_pem, "", Caller).ok()) std::abort();
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.check->Check(w.leaf_pem, "", Caller));
  }
}
BENCHMARK(BM_CheckCacheHit)->Threads(1)->Threads(2)->UseRealTime();

// Keys for the cache, compared: the hash table's own hash of the peer's
// PEM (what the check uses) and a SHA-256 of it.
void BM_TableHashOfPeerPem(benchmark::State& state) {
  World& w = TheWorld();
  const absl::Hash<absl::string_view> hash;
  for (auto _ : state) {
    benchmark::DoNotOptimize(hash(w.leaf_pem));
  }
  state.SetLabel(std::to_string(w.leaf_pem.size()) + " bytes");
}
BENCHMARK(BM_TableHashOfPeerPem);

void BM_Sha256OfPeerPem(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    benchmark::DoNotOptimize(crypto::Sha256Digest(w.leaf_pem));
  }
  state.SetLabel(std::to_string(w.leaf_pem.size()) + " bytes");
}
BENCHMARK(BM_Sha256OfPeerPem);

// A miss: OpenSSL parses and verifies the chain (a new chain, a new bundle,
// or the end of the chain's validity period).
void BM_VerifyOnMiss(benchmark::State& state) {
  World& w = TheWorld();
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.bundle->VerifyClient(w.leaf_pem, absl::Now()));
  }
}
BENCHMARK(BM_VerifyOnMiss);

}  // namespace
}  // namespace tokend

BENCHMARK_MAIN();
