// tokend_bench_loadgen: the closed-loop load generator of issue 3.
//
// For each workload it measures the no-op baseline server right before and
// right after the workload's own run, with the same channels, concurrency,
// warm-up and duration, and reports the workload as calls/s and as a ratio to
// the mean of those two baselines (and its p99 as a ratio to theirs). Tokens
// a workload needs (10,000 for Introspect repeated; enough for the whole run
// for Introspect distinct and Revoke; one refresh chain per slot for Refresh)
// are minted with Issue before its baselines, so minting is never measured.
//
//   tokend_bench_loadgen --target 127.0.0.1:8443 --baseline_target 127.0.0.1:9443
//     --ca ca.crt --cert client.crt --key client.key
//     --server_pid 123 --baseline_pid 456 --markdown_out table.md
//
// Exit status: 0; 1 when --fail_on_errors is set and any call failed (or a
// workload completed no call); 2 for bad flags or an unreachable server.

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "closed_loop.h"
#include "workloads.h"

ABSL_FLAG(std::string, target, "", "tokend API address (host:port)");
ABSL_FLAG(std::string, baseline_target, "",
          "no-op baseline server address; empty: no baseline, no ratios");
ABSL_FLAG(std::string, ca, "", "CA bundle (PEM) the servers' certificates chain to");
ABSL_FLAG(std::string, cert, "", "client certificate (PEM) named in tokend's policy");
ABSL_FLAG(std::string, key, "", "its private key (PEM)");
ABSL_FLAG(int, server_pid, 0, "tokend's pid, for CPU seconds and peak RSS");
ABSL_FLAG(int, baseline_pid, 0, "the baseline server's pid, likewise");
ABSL_FLAG(int, database_pid, 0,
          "PostgreSQL's postmaster pid, for the CPU seconds of it and its children");
ABSL_FLAG(int, concurrency, 64, "calls in flight at all times (closed loop)");
ABSL_FLAG(int, channels, 4, "gRPC channels (TCP connections) the calls spread over");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "warm-up before each measurement");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "length of each measurement");
ABSL_FLAG(std::string, workloads,
          "issue,issue_refresh,refresh,introspect_repeated,introspect_distinct,revoke",
          "comma-separated: issue, issue_refresh, refresh, introspect_repeated, "
          "introspect_distinct, revoke, mix (see --mix), noop");
ABSL_FLAG(std::string, mix, "introspect_repeated=85,issue=8,issue_refresh=3,refresh=3,revoke=1",
          "the \"mix\" workload: comma-separated name=weight (issue, issue_refresh, refresh, "
          "introspect_repeated, introspect_distinct, revoke); each call is one of them, drawn in "
          "proportion to its weight");
ABSL_FLAG(int, working_set, 10000, "tokens of the introspect_repeated working set");
ABSL_FLAG(int, max_supply, 400000,
          "most tokens minted for a run that uses each token once (introspect_distinct, "
          "revoke); the supply is sized from the baseline's rate and capped here");
ABSL_FLAG(std::string, audience, "api://bench", "audience of issued tokens");
ABSL_FLAG(std::string, scope, "bench:read", "scope of issued tokens");
ABSL_FLAG(std::string, subject, "bench-user", "subject of issued tokens");
ABSL_FLAG(std::string, markdown_out, "", "write the results table (markdown) here");
ABSL_FLAG(bool, fail_on_errors, false, "exit 1 if any call failed or a workload completed no call");

namespace tokend::bench {
namespace {

struct Target {
  double min_ratio;  // calls/s over the baseline's
  const char* note;
};

// Issue 3's targets (2 cores, 64 concurrent calls).
const std::map<std::string, Target>& Targets() {
  static const auto* targets = new std::map<std::string, Target>{
      {"introspect_repeated", {0.85, "Introspect, working set of 10,000 valid tokens"}},
      {"introspect_distinct", {0.45, "Introspect, every token new"}},
      {"issue", {0.75, "Issue, access token only"}},
      {"issue_refresh", {0.5, "Issue with refresh token (durable)"}},
      {"refresh", {0.25, "Refresh (durable rotation)"}},
      {"revoke", {0.4, "Revoke (durable)"}},
      {"noop", {0.0, "no-op baseline"}},
      {"mix", {0.0, "a weighted mix of the others (no target)"}},
  };
  return *targets;
}
constexpr double kMaxP99Ratio = 3.0;

std::string Ms(double us) { return absl::StrFormat("%.2f", us / 1000.0); }

std::string Errors(const RunResult& r) {
  if (r.errors.empty()) return "0";
  std::vector<std::string> parts;
  for (const auto& [code, count] : r.errors) parts.push_back(absl::StrCat(code, " ", count));
  return absl::StrJoin(parts, ", ");
}

void Print(const RunResult& r) {
  std::string server;
  if (r.server_cpu_seconds > 0 && r.window_calls > 0) {
    server = absl::StrFormat(
        "  server cpu %.2fs (%.1f us/call, %.2f cores)  rss %.0f MiB  peak %.0f MiB",
        r.server_cpu_seconds, r.server_cpu_seconds * 1e6 / static_cast<double>(r.window_calls),
        r.server_cpu_seconds / r.window_seconds, r.server_rss_kib / 1024.0,
        r.server_hwm_kib / 1024.0);
  }
  if (r.database_cpu_seconds > 0 && r.window_calls > 0) {
    absl::StrAppendFormat(&server, "  database cpu %.1f us/call",
                          r.database_cpu_seconds * 1e6 / static_cast<double>(r.window_calls));
  }
  std::cout << absl::StrFormat(
                   "%-20s %9.0f calls/s  p50 %s p90 %s p99 %s max %s ms  errors %s%s%s  "
                   "client cpu %.2f cores (%.1f us/call)  machine cpu %.2f cores (%.1f us/call)",
                   r.name, r.ok_per_second, Ms(r.p50_us), Ms(r.p90_us), Ms(r.p99_us), Ms(r.max_us),
                   Errors(r), r.exhausted ? " (supply ran out: window shortened)" : "", server,
                   r.window_seconds > 0 ? r.client_cpu_seconds / r.window_seconds : 0.0,
                   r.window_calls > 0
                       ? r.client_cpu_seconds * 1e6 / static_cast<double>(r.window_calls)
                       : 0.0,
                   r.window_seconds > 0 ? r.machine_cpu_seconds / r.window_seconds : 0.0,
                   r.window_calls > 0
                       ? r.machine_cpu_seconds * 1e6 / static_cast<double>(r.window_calls)
                       : 0.0)
            << std::endl;
}

struct Measured {
  RunResult before, run, after;
  bool has_baseline = false;
  double BaselineRate() const { return (before.ok_per_second + after.ok_per_second) / 2; }
  double BaselineP99() const { return (before.p99_us + after.p99_us) / 2; }
  double Ratio() const { return run.ok_per_second / BaselineRate(); }
  double P99Ratio() const { return run.p99_us / BaselineP99(); }
};

class Suite {
 public:
  bool Init() {
    files_ = TlsClientFiles{absl::GetFlag(FLAGS_ca), absl::GetFlag(FLAGS_cert),
                            absl::GetFlag(FLAGS_key)};
    concurrency_ = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_concurrency)));
    const size_t channels = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_channels)));
    auto tokend = MakeChannels(absl::GetFlag(FLAGS_target), files_, channels);
    if (!tokend.ok()) {
      std::cerr << "loadgen: tokend: " << tokend.status().message() << std::endl;
      return false;
    }
    tokend_channels_ = *std::move(tokend);
    stubs_ = std::make_unique<TokenStubs>(tokend_channels_);
    if (!absl::GetFlag(FLAGS_baseline_target).empty()) {
      auto noop = MakeChannels(absl::GetFlag(FLAGS_baseline_target), files_, channels);
      if (!noop.ok()) {
        std::cerr << "loadgen: baseline: " << noop.status().message() << std::endl;
        return false;
      }
      noop_channels_ = *std::move(noop);
    }
    shape_.subject = absl::GetFlag(FLAGS_subject);
    shape_.audience = absl::GetFlag(FLAGS_audience);
    shape_.scopes = {absl::GetFlag(FLAGS_scope)};
    return true;
  }

  RunOptions Timed(pid_t pid) const {
    RunOptions o;
    o.concurrency = concurrency_;
    o.warmup = absl::GetFlag(FLAGS_warmup);
    o.duration = absl::GetFlag(FLAGS_duration);
    o.server_pid = pid;
    o.database_pid = absl::GetFlag(FLAGS_database_pid);
    return o;
  }

  RunResult Baseline() {
    auto workload = MakeNoopWorkload(noop_channels_, concurrency_);
    RunResult r = RunClosedLoop(*workload, Timed(absl::GetFlag(FLAGS_baseline_pid)));
    r.name = "  baseline (noop)";
    Print(r);
    all_.push_back(r);
    last_baseline_rate_ = r.ok_per_second;
    return r;
  }

  // Mints `count` tokens with Issue (access tokens, or refresh tokens).
  std::vector<std::string> Mint(size_t count, bool refresh) {
    std::vector<std::string> tokens(count);
    auto workload = MakeIssueWorkload(stubs_.get(), concurrency_, shape_, refresh, &tokens);
    RunOptions o;
    o.concurrency = std::min(concurrency_, std::max<size_t>(count, 1));
    o.warmup = absl::ZeroDuration();
    o.duration = absl::InfiniteDuration();
    RunResult r = RunClosedLoop(*workload, o);
    std::vector<std::string> minted;
    minted.reserve(count);
    for (std::string& t : tokens) {
      if (!t.empty()) minted.push_back(std::move(t));
    }
    std::cout << absl::StrFormat("  minted %d %s tokens in %.1fs (%.0f/s), errors %s",
                                 minted.size(), refresh ? "refresh" : "access", r.window_seconds,
                                 r.ok_per_second, Errors(r))
              << std::endl;
    mint_errors_ += r.error_count();
    return minted;
  }

  // Tokens for a run that uses each once: enough for the warm-up and the
  // window at the baseline's rate (no RPC of tokend outruns a no-op).
  size_t SupplySize() {
    if (last_baseline_rate_ <= 0 && !noop_channels_.empty()) Baseline();
    double rate = last_baseline_rate_ > 0 ? last_baseline_rate_ : 20000;
    const double seconds =
        absl::ToDoubleSeconds(absl::GetFlag(FLAGS_warmup) + absl::GetFlag(FLAGS_duration));
    return std::min<size_t>(static_cast<size_t>(rate * seconds * 1.1) + concurrency_,
                            static_cast<size_t>(absl::GetFlag(FLAGS_max_supply)));
  }

  // The "mix" workload from --mix, minting what its parts use up (the parts
  // that use each token once get their share of a single workload's supply).
  // nullptr after printing why when --mix is malformed.
  std::unique_ptr<Workload> MakeMix(
      std::vector<std::unique_ptr<std::vector<std::string>>>* supplies) {
    std::vector<std::pair<std::string, double>> weights;
    double total = 0;
    for (absl::string_view item :
         absl::StrSplit(absl::GetFlag(FLAGS_mix), ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(item, '=');
      double weight = 0;
      if (!absl::SimpleAtod(kv.second, &weight) || !(weight > 0) || kv.first == "mix" ||
          kv.first == "noop" || !Targets().contains(kv.first)) {
        std::cerr << "loadgen: --mix: bad item \"" << item << "\" (want name=positive weight)"
                  << std::endl;
        return nullptr;
      }
      weights.emplace_back(kv.first, weight);
      total += weight;
    }
    if (weights.empty()) {
      std::cerr << "loadgen: --mix is empty" << std::endl;
      return nullptr;
    }
    std::vector<MixPart> parts;
    for (const auto& [part, weight] : weights) {
      auto supply = [&](size_t count, bool refresh) {
        supplies->push_back(std::make_unique<std::vector<std::string>>(Mint(count, refresh)));
        return supplies->back().get();
      };
      // Twice the part's share of a lone workload's supply: that supply is
      // capped by --max_supply, and a short run must not run out.
      const size_t share = std::max<size_t>(
          concurrency_,
          std::min<size_t>(
              static_cast<size_t>(absl::GetFlag(FLAGS_max_supply)),
              static_cast<size_t>(2.0 * static_cast<double>(SupplySize()) * weight / total)));
      std::unique_ptr<Workload> w;
      if (part == "issue" || part == "issue_refresh") {
        w = MakeIssueWorkload(stubs_.get(), concurrency_, shape_, part == "issue_refresh");
      } else if (part == "refresh") {
        w = MakeRefreshWorkload(stubs_.get(), *supply(concurrency_, true));
      } else if (part == "introspect_repeated") {
        w = MakeIntrospectWorkload(
            stubs_.get(), concurrency_,
            supply(static_cast<size_t>(absl::GetFlag(FLAGS_working_set)), false), false);
      } else if (part == "introspect_distinct") {
        w = MakeIntrospectWorkload(stubs_.get(), concurrency_, supply(share, false), true);
      } else {  // revoke
        w = MakeRevokeWorkload(stubs_.get(), concurrency_, supply(share, false));
      }
      parts.push_back(MixPart{std::move(w), weight});
    }
    return MakeMixWorkload(std::move(parts), concurrency_);
  }

  bool RunWorkload(const std::string& name) {
    std::cout << "== " << name << std::endl;
    std::vector<std::string> tokens;
    std::vector<std::unique_ptr<std::vector<std::string>>> mix_supplies;  // outlive `workload`
    std::unique_ptr<Workload> workload;
    if (name == "noop") {
      workload = MakeNoopWorkload(noop_channels_, concurrency_);
    } else if (name == "issue" || name == "issue_refresh") {
      workload = MakeIssueWorkload(stubs_.get(), concurrency_, shape_, name == "issue_refresh");
    } else if (name == "refresh") {
      tokens = Mint(concurrency_, /*refresh=*/true);
      workload = MakeRefreshWorkload(stubs_.get(), std::move(tokens));
    } else if (name == "introspect_repeated") {
      tokens = Mint(static_cast<size_t>(absl::GetFlag(FLAGS_working_set)), false);
      workload = MakeIntrospectWorkload(stubs_.get(), concurrency_, &tokens, false);
    } else if (name == "introspect_distinct") {
      tokens = Mint(SupplySize(), false);
      workload = MakeIntrospectWorkload(stubs_.get(), concurrency_, &tokens, true);
    } else if (name == "revoke") {
      tokens = Mint(SupplySize(), false);
      workload = MakeRevokeWorkload(stubs_.get(), concurrency_, &tokens);
    } else if (name == "mix") {
      workload = MakeMix(&mix_supplies);
      if (workload == nullptr) return false;
    } else {
      std::cerr << "loadgen: unknown workload \"" << name << "\"" << std::endl;
      return false;
    }
    Measured m;
    m.has_baseline = !noop_channels_.empty() && name != "noop";
    if (m.has_baseline) m.before = Baseline();
    m.run = RunClosedLoop(*workload, Timed(name == "noop" ? absl::GetFlag(FLAGS_baseline_pid)
                                                          : absl::GetFlag(FLAGS_server_pid)));
    Print(m.run);
    all_.push_back(m.run);
    if (m.has_baseline) {
      m.after = Baseline();
      std::cout << absl::StrFormat("  ratio %.3f of the baseline; p99 ratio %.2f", m.Ratio(),
                                   m.P99Ratio())
                << std::endl;
    }
    measured_.emplace_back(name, m);
    workload.reset();
    return true;
  }

  std::string Markdown() const {
    std::ostringstream out;
    out << "| workload | calls/s | baseline calls/s (before / after) | ratio | target | "
           "p50 / p90 / p99 / max ms | baseline p99 ms | p99 ratio (<= 3) | errors | "
           "CPU per call: server / generator / PostgreSQL / whole machine (baseline's server / "
           "whole machine) | server peak RSS | result |\n"
        << "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|\n";
    for (const auto& [name, m] : measured_) {
      const Target& target = Targets().at(name);
      const RunResult& r = m.run;
      auto per_call = [](double seconds, const RunResult& run) {
        return run.window_calls > 0 ? seconds * 1e6 / static_cast<double>(run.window_calls) : 0.0;
      };
      std::string cpu =
          r.server_cpu_seconds > 0
              ? absl::StrFormat("%.0f / %.0f / %.0f / %.0f us", per_call(r.server_cpu_seconds, r),
                                per_call(r.client_cpu_seconds, r),
                                per_call(r.database_cpu_seconds, r),
                                per_call(r.machine_cpu_seconds, r))
              : "-";
      if (m.has_baseline && r.server_cpu_seconds > 0) {
        absl::StrAppendFormat(&cpu, " (%.0f / %.0f)",
                              (per_call(m.before.server_cpu_seconds, m.before) +
                               per_call(m.after.server_cpu_seconds, m.after)) /
                                  2,
                              (per_call(m.before.machine_cpu_seconds, m.before) +
                               per_call(m.after.machine_cpu_seconds, m.after)) /
                                  2);
      }
      const std::string rss =
          r.server_hwm_kib > 0 ? absl::StrFormat("%.0f MiB", r.server_hwm_kib / 1024.0) : "-";
      if (!m.has_baseline) {
        out << absl::StrFormat(
            "| %s | %.0f | - | - | - | %s / %s / %s / %s | - | - | %s | %s | %s | - |\n", name,
            r.ok_per_second, Ms(r.p50_us), Ms(r.p90_us), Ms(r.p99_us), Ms(r.max_us), Errors(r), cpu,
            rss);
        continue;
      }
      const bool has_target = target.min_ratio > 0;  // mix: informational, no target of issue 3
      const std::string label =
          name == "mix"
              ? absl::StrCat(
                    name, " (",
                    absl::StrReplaceAll(absl::GetFlag(FLAGS_mix), {{",", ", "}, {"=", " "}}), ")")
              : name;
      std::string verdict = "(no target)";
      if (has_target) {
        const bool rate_ok = m.Ratio() >= target.min_ratio;
        const bool p99_ok = m.P99Ratio() <= kMaxP99Ratio;
        const bool clean = r.error_count() == 0;
        verdict = rate_ok && p99_ok && clean ? "pass" : "FAIL";
        if (!rate_ok) absl::StrAppend(&verdict, " (rate)");
        if (!p99_ok) absl::StrAppend(&verdict, " (p99)");
        if (!clean) absl::StrAppend(&verdict, " (errors)");
      }
      out << absl::StrFormat(
          "| %s | %.0f | %.0f (%.0f / %.0f) | %.3f | %s | %s / %s / %s / %s | %s | %.2f | "
          "%s | %s | %s | %s |\n",
          label, r.ok_per_second, m.BaselineRate(), m.before.ok_per_second, m.after.ok_per_second,
          m.Ratio(), has_target ? absl::StrFormat(">= %.2f", target.min_ratio) : "-", Ms(r.p50_us),
          Ms(r.p90_us), Ms(r.p99_us), Ms(r.max_us), Ms(m.BaselineP99()), m.P99Ratio(), Errors(r),
          cpu, rss, verdict);
    }
    return out.str();
  }

  // Failed calls anywhere (baselines and minting included), or a workload
  // that completed nothing.
  bool Clean() const {
    if (mint_errors_ > 0) return false;
    for (const RunResult& r : all_) {
      if (r.error_count() > 0 || r.window_ok == 0) return false;
    }
    return true;
  }

 private:
  TlsClientFiles files_;
  size_t concurrency_ = 64;
  IssueShape shape_;
  std::vector<std::shared_ptr<grpc::Channel>> tokend_channels_, noop_channels_;
  std::unique_ptr<TokenStubs> stubs_;
  double last_baseline_rate_ = 0;
  uint64_t mint_errors_ = 0;
  std::vector<RunResult> all_;
  std::vector<std::pair<std::string, Measured>> measured_;
};

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("closed-loop load generator for tokend (see BENCHMARKS.md)");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_target).empty() || absl::GetFlag(FLAGS_ca).empty() ||
      absl::GetFlag(FLAGS_cert).empty() || absl::GetFlag(FLAGS_key).empty()) {
    std::cerr << "loadgen: --target, --ca, --cert and --key are required" << std::endl;
    return 2;
  }
  Suite suite;
  if (!suite.Init()) return 2;
  std::cout << absl::StrFormat("concurrency %d over %d channels; warm-up %s, %s per run",
                               absl::GetFlag(FLAGS_concurrency), absl::GetFlag(FLAGS_channels),
                               absl::FormatDuration(absl::GetFlag(FLAGS_warmup)),
                               absl::FormatDuration(absl::GetFlag(FLAGS_duration)))
            << std::endl;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_workloads), ',', absl::SkipWhitespace())) {
    if (!suite.RunWorkload(std::string(name))) return 2;
  }
  const std::string table = suite.Markdown();
  std::cout << "\n" << table;
  if (const std::string path = absl::GetFlag(FLAGS_markdown_out); !path.empty()) {
    std::ofstream(path) << table;
  }
  if (absl::GetFlag(FLAGS_fail_on_errors) && !suite.Clean()) {
    std::cerr << "loadgen: some calls failed (see above)" << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tokend::bench

int main(int argc, char** argv) { return tokend::bench::Main(argc, argv); }
