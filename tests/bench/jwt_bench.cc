// tokend_bench_jwt: JWT sign and verify per algorithm (jwt::Sign, and
// jwt::Decode + jwt::Validate), each beside the bare OpenSSL signature
// operation on the same signing input with the same key, parsed once.
//
// The bare operation is measured two ways, and the faster one is the
// denominator of the ratio (the stricter comparison):
//   Bare:       what a direct EVP user writes: a fresh EVP_MD_CTX,
//               EVP_DigestSignInit_ex / EVP_DigestVerifyInit_ex, one
//               EVP_DigestSign / EVP_DigestVerify, free;
//   BareReused: a context initialised once and reused, so per operation only
//               the hash and the signature math run: EVP_Digest with a
//               pre-fetched SHA-256 + EVP_PKEY_sign / EVP_PKEY_verify
//               (ECDSA, RSA), or EVP_DigestSign / EVP_DigestVerify again on
//               the same context (Ed25519, whose hash is part of the math).
// ECDSA's bare figures use the DER signature OpenSSL speaks; the JWS raw
// r||s conversion is part of the JWT cost.
//
// After the runs it prints a markdown table (median CPU time of the
// repetitions): ratio = bare / JWT, so 1.0 means the JWT layer costs
// nothing beyond the signature. --table_out=FILE writes it to a file too.

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "crypto/openssl_ptr.h"
#include "crypto/signature_algorithm.h"
#include "jwt/jwt.h"
#include "keys/key_ring.h"

namespace tokend::bench {
namespace {

using crypto::Algorithm;

struct Fixture {
  Algorithm alg;
  std::shared_ptr<EVP_PKEY> pkey;
  std::shared_ptr<const keys::KeyRing> ring;
  jwt::Claims claims;
  std::string token;           // a token jwt::Sign made
  std::string signing_input;   // its first two segments
  std::string bare_signature;  // OpenSSL's own signature of signing_input (DER for ECDSA)
};

EVP_PKEY* Generate(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case Algorithm::kES384:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case Algorithm::kEdDSA:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    case Algorithm::kRS256:
    case Algorithm::kPS256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  }
  return nullptr;
}

const char* DigestName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kES384:
      return "SHA384";
    case Algorithm::kEdDSA:
      return nullptr;
    default:
      return "SHA256";
  }
}

// RSA padding on a freshly initialised sign/verify context, as JWS wants.
bool SetRsaPadding(Algorithm alg, EVP_PKEY_CTX* pctx) {
  if (alg == Algorithm::kRS256) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
  if (alg == Algorithm::kPS256) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", nullptr) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0;
  }
  return true;
}

bool IsRsa(Algorithm alg) { return alg == Algorithm::kRS256 || alg == Algorithm::kPS256; }

// One bare sign: fresh context, init, sign, free. Returns the signature length.
size_t BareSign(const Fixture& f, unsigned char* out, size_t out_size) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  size_t size = out_size;
  if (EVP_DigestSignInit_ex(ctx.get(), &pctx, DigestName(f.alg), nullptr, nullptr, f.pkey.get(),
                            nullptr) != 1 ||
      !SetRsaPadding(f.alg, pctx) ||
      EVP_DigestSign(ctx.get(), out, &size,
                     reinterpret_cast<const unsigned char*>(f.signing_input.data()),
                     f.signing_input.size()) != 1) {
    std::abort();
  }
  return size;
}

bool BareVerify(const Fixture& f) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  return EVP_DigestVerifyInit_ex(ctx.get(), &pctx, DigestName(f.alg), nullptr, nullptr,
                                 f.pkey.get(), nullptr) == 1 &&
         SetRsaPadding(f.alg, pctx) &&
         EVP_DigestVerify(ctx.get(),
                          reinterpret_cast<const unsigned char*>(f.bare_signature.data()),
                          f.bare_signature.size(),
                          reinterpret_cast<const unsigned char*>(f.signing_input.data()),
                          f.signing_input.size()) == 1;
}

Fixture MakeFixture(Algorithm alg) {
  Fixture f;
  f.alg = alg;
  f.pkey.reset(Generate(alg), EVP_PKEY_free);
  if (f.pkey == nullptr) std::abort();
  keys::Key key{.kid = "bench-key", .alg = alg, .pkey = f.pkey};
  auto ring = keys::KeyRing::New({key});
  if (!ring.ok()) {
    std::cerr << "key ring: " << ring.status() << std::endl;
    std::abort();
  }
  f.ring = *ring;
  // A typical access token: one audience, one scope, a refresh family.
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()));
  f.claims.issuer = "https://tokend.bench.local";
  f.claims.subject = "bench-user";
  f.claims.audience = {"api://bench"};
  f.claims.issued_at = now;
  f.claims.not_before = now;
  f.claims.expires_at = now + absl::Minutes(15);
  f.claims.token_id = "Vd0TnB4ZQxkPcl2YV1m3Kw";  // 22 base64url characters, as tokend makes
  f.claims.client_id = "spiffe://tokend.dev/tokenctl";
  f.claims.scopes = {"bench:read"};
  auto token = jwt::Sign(f.claims, f.ring->primary());
  if (!token.ok()) std::abort();
  f.token = *token;
  f.signing_input = f.token.substr(0, f.token.rfind('.'));
  std::vector<unsigned char> signature(static_cast<size_t>(EVP_PKEY_get_size(f.pkey.get())));
  signature.resize(BareSign(f, signature.data(), signature.size()));
  f.bare_signature.assign(signature.begin(), signature.end());
  if (!BareVerify(f)) std::abort();
  return f;
}

const Fixture& GetFixture(Algorithm alg) {
  static auto* fixtures = new std::map<Algorithm, Fixture>();
  auto it = fixtures->find(alg);
  if (it == fixtures->end()) it = fixtures->emplace(alg, MakeFixture(alg)).first;
  return it->second;
}

void JwtSign(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  for (auto _ : state) {
    absl::StatusOr<std::string> token = jwt::Sign(f.claims, f.ring->primary());
    if (!token.ok()) state.SkipWithError("sign failed");
    benchmark::DoNotOptimize(token);
  }
}

void BareSignFresh(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  std::vector<unsigned char> out(static_cast<size_t>(EVP_PKEY_get_size(f.pkey.get())));
  for (auto _ : state) {
    benchmark::DoNotOptimize(BareSign(f, out.data(), out.size()));
  }
}

void BareSignReused(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  std::vector<unsigned char> out(static_cast<size_t>(EVP_PKEY_get_size(f.pkey.get())));
  const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  if (alg == Algorithm::kEdDSA) {
    crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, f.pkey.get(),
                              nullptr) != 1) {
      std::abort();
    }
    for (auto _ : state) {
      size_t size = out.size();
      if (EVP_DigestSign(ctx.get(), out.data(), &size, in, f.signing_input.size()) != 1) {
        state.SkipWithError("EVP_DigestSign on a reused context failed");
        break;
      }
    }
    return;
  }
  EVP_MD* md = EVP_MD_fetch(nullptr, DigestName(alg), nullptr);
  crypto::EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, f.pkey.get(), nullptr));
  if (md == nullptr || EVP_PKEY_sign_init(pctx.get()) != 1 || !SetRsaPadding(alg, pctx.get()) ||
      (IsRsa(alg) && EVP_PKEY_CTX_set_signature_md(pctx.get(), md) <= 0)) {
    std::abort();
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    unsigned int digest_size = 0;
    size_t size = out.size();
    if (EVP_Digest(in, f.signing_input.size(), digest, &digest_size, md, nullptr) != 1 ||
        EVP_PKEY_sign(pctx.get(), out.data(), &size, digest, digest_size) != 1) {
      state.SkipWithError("EVP_PKEY_sign failed");
      break;
    }
  }
  EVP_MD_free(md);
}

void JwtVerify(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  const jwt::ValidationOptions options{.issuer = f.claims.issuer, .leeway = absl::Seconds(5)};
  const absl::Time now = f.claims.issued_at + absl::Seconds(1);
  for (auto _ : state) {
    absl::StatusOr<jwt::Claims> claims = jwt::Decode(f.token, *f.ring);
    if (!claims.ok() || !jwt::Validate(*claims, options, now).ok()) {
      state.SkipWithError("verify failed");
      break;
    }
    benchmark::DoNotOptimize(claims);
  }
}

void BareVerifyFresh(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  for (auto _ : state) {
    if (!BareVerify(f)) {
      state.SkipWithError("verify failed");
      break;
    }
  }
}

void BareVerifyReused(benchmark::State& state, Algorithm alg) {
  const Fixture& f = GetFixture(alg);
  const auto* in = reinterpret_cast<const unsigned char*>(f.signing_input.data());
  const auto* sig = reinterpret_cast<const unsigned char*>(f.bare_signature.data());
  if (alg == Algorithm::kEdDSA) {
    crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
    if (EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, f.pkey.get(),
                                nullptr) != 1) {
      std::abort();
    }
    for (auto _ : state) {
      if (EVP_DigestVerify(ctx.get(), sig, f.bare_signature.size(), in, f.signing_input.size()) !=
          1) {
        state.SkipWithError("EVP_DigestVerify on a reused context failed");
        break;
      }
    }
    return;
  }
  EVP_MD* md = EVP_MD_fetch(nullptr, DigestName(alg), nullptr);
  crypto::EvpPkeyCtxPtr pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, f.pkey.get(), nullptr));
  if (md == nullptr || EVP_PKEY_verify_init(pctx.get()) != 1 || !SetRsaPadding(alg, pctx.get()) ||
      (IsRsa(alg) && EVP_PKEY_CTX_set_signature_md(pctx.get(), md) <= 0)) {
    std::abort();
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    unsigned int digest_size = 0;
    if (EVP_Digest(in, f.signing_input.size(), digest, &digest_size, md, nullptr) != 1 ||
        EVP_PKEY_verify(pctx.get(), sig, f.bare_signature.size(), digest, digest_size) != 1) {
      state.SkipWithError("EVP_PKEY_verify failed");
      break;
    }
  }
  EVP_MD_free(md);
}

constexpr Algorithm kAlgorithms[] = {Algorithm::kES256, Algorithm::kES384, Algorithm::kEdDSA,
                                     Algorithm::kRS256, Algorithm::kPS256};

// Keeps each run's median CPU time (or its only time without repetitions).
class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) {
        errors_ = true;
        continue;
      }
      const bool single = run.run_type == Run::RT_Iteration && run.repetitions <= 1;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (single || median) {
        // Nanoseconds per operation.
        const double ns =
            run.GetAdjustedCPUTime() * 1e9 / benchmark::GetTimeUnitMultiplier(run.time_unit);
        ns_[run.run_name.function_name] = ns;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  double Get(const std::string& name) const {
    auto it = ns_.find(name);
    return it == ns_.end() ? 0 : it->second;
  }
  bool errors() const { return errors_; }

 private:
  std::map<std::string, double> ns_;
  bool errors_ = false;
};

std::string Us(double ns) { return absl::StrFormat("%.2f", ns / 1000.0); }

}  // namespace
}  // namespace tokend::bench

int main(int argc, char** argv) {
  using namespace tokend::bench;  // NOLINT
  std::string table_out;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--table_out=", 12) == 0) {
      table_out = argv[i] + 12;
    } else {
      args.push_back(argv[i]);
    }
  }
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  for (tokend::crypto::Algorithm alg : kAlgorithms) {
    const std::string name(tokend::crypto::AlgorithmName(alg));
    benchmark::RegisterBenchmark(("JwtSign/" + name).c_str(), JwtSign, alg);
    benchmark::RegisterBenchmark(("BareSign/" + name).c_str(), BareSignFresh, alg);
    benchmark::RegisterBenchmark(("BareSignReused/" + name).c_str(), BareSignReused, alg);
    benchmark::RegisterBenchmark(("JwtVerify/" + name).c_str(), JwtVerify, alg);
    benchmark::RegisterBenchmark(("BareVerify/" + name).c_str(), BareVerifyFresh, alg);
    benchmark::RegisterBenchmark(("BareVerifyReused/" + name).c_str(), BareVerifyReused, alg);
  }
  CollectingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  std::string table =
      "| algorithm | operation | JWT us | bare us (fresh ctx / reused ctx) | ratio (bare / JWT) | "
      "target | result |\n|---|---|---:|---:|---:|---:|---|\n";
  bool all_measured = true;
  for (tokend::crypto::Algorithm alg : kAlgorithms) {
    const std::string name(tokend::crypto::AlgorithmName(alg));
    for (const char* op : {"Sign", "Verify"}) {
      const double jwt = reporter.Get(absl::StrFormat("Jwt%s/%s", op, name));
      const double fresh = reporter.Get(absl::StrFormat("Bare%s/%s", op, name));
      const double reused = reporter.Get(absl::StrFormat("Bare%sReused/%s", op, name));
      if (jwt <= 0 || (fresh <= 0 && reused <= 0)) {
        all_measured = false;
        continue;
      }
      double bare = fresh;
      if (reused > 0 && (bare <= 0 || reused < bare)) bare = reused;
      const double ratio = bare / jwt;
      table += absl::StrFormat("| %s | %s | %s | %s / %s | %.3f | >= 0.95 | %s |\n", name,
                               std::string(op) == "Sign" ? "sign" : "verify", Us(jwt), Us(fresh),
                               Us(reused), ratio, ratio >= 0.95 ? "pass" : "FAIL");
    }
  }
  std::cout << "\n" << table;
  if (!table_out.empty()) std::ofstream(table_out) << table;
  return reporter.errors() || !all_measured ? 1 : 0;
}
