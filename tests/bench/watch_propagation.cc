// tokend_bench_watch_propagation: how long a revocation takes to reach every
// WatchRevocations stream of several replicas, and what those streams cost
// PostgreSQL.
//
//   tokend_bench_watch_propagation --targets 127.0.0.1:8443,127.0.0.1:8444
//     --ca ca.crt --cert client.crt --key client.key
//     --statement_log /path/to/postgresql.log --markdown_out table.md
//
// 1. Statements: with PostgreSQL logging every statement (log_statement =
//    all, set by the caller), counts the statements logged during a quiet
//    window of --quiet_window with no watcher, then during a window of the
//    same length in which --watchers streams connect, read their snapshots
//    and stay open. The replicas' own periodic reads are the baseline: the
//    difference is what the watchers cost.
// 2. Propagation: with those streams open (spread evenly over the replicas,
//    each replica's over --channels_per_replica connections), revokes
//    --revocations access tokens minted beforehand, paced at --rate per
//    second, alternating through the replicas. For each revocation: the time
//    from the Revoke call's start to the moment the last stream received it
//    (and, apart, the last stream of the replica that took the call and the
//    last of the others). Percentiles are nearest-rank over the revocations.
//
// Exit status: 0; 1 when a call failed, a stream ended, or a revocation did
// not reach every stream within --drain_timeout; 2 for bad flags or an
// unreachable replica.

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tokend/v1/token_service.grpc.pb.h"

ABSL_FLAG(std::string, targets, "", "comma-separated tokend replica addresses (host:port)");
ABSL_FLAG(std::string, ca, "", "CA bundle (PEM) the servers' certificates chain to");
ABSL_FLAG(std::string, cert, "", "client certificate (PEM) named in tokend's policy");
ABSL_FLAG(std::string, key, "", "its private key (PEM)");
ABSL_FLAG(int, watchers, 100, "WatchRevocations streams, spread evenly over the replicas");
ABSL_FLAG(int, channels_per_replica, 5,
          "gRPC channels (TCP connections) each replica's streams spread over");
ABSL_FLAG(int, revocations, 200, "access tokens revoked, alternating through the replicas");
ABSL_FLAG(double, rate, 20, "revocations started per second (paced, open loop)");
ABSL_FLAG(absl::Duration, quiet_window, absl::Seconds(10),
          "length of each statement-counting window");
ABSL_FLAG(std::string, statement_log, "",
          "PostgreSQL's log, written with log_statement = all; empty: no statement count");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Seconds(10),
          "how long after the last Revoke every stream has to receive every revocation");
ABSL_FLAG(absl::Duration, goal_p99, absl::Seconds(1), "the goal for p99 (reported, not enforced)");
ABSL_FLAG(std::string, audience, "api://bench", "audience of the minted tokens");
ABSL_FLAG(std::string, markdown_out, "", "write the results (markdown) here");

namespace tokend::bench {
namespace {

namespace v1 = ::tokend::v1;
using Clock = std::chrono::steady_clock;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials() {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      absl::GetFlag(FLAGS_key), absl::GetFlag(FLAGS_cert), absl::GetFlag(FLAGS_ca),
      /*refresh_interval_sec=*/3600);
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(std::move(provider));
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_verify_server_certs(true);
  tls.set_certificate_verifier(std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::experimental::TlsCredentials(tls);
  if (credentials == nullptr) return absl::InternalError("TlsCredentials failed");
  return credentials;
}

// A channel with its own TCP connection (a private subchannel pool), ready.
absl::StatusOr<std::shared_ptr<grpc::Channel>> Connect(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt("tokend.bench.channel", index);
  auto channel = grpc::CreateCustomChannel(target, credentials, args);
  if (!channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", target));
  }
  return channel;
}

// Statements PostgreSQL logged (log_statement = all: one "statement:" line
// per simple-protocol query, one "execute" line per extended-protocol
// execution) in `log` from byte `from` on. Continuation lines of a
// multi-line statement and DETAIL lines do not count.
// With `what`, prints how often each statement (its first 70 characters)
// came, so that a reader can see what the count is made of.
int64_t CountStatements(const std::string& log, int64_t from, absl::string_view what = "") {
  std::ifstream in(log);
  in.seekg(from);
  int64_t count = 0;
  std::map<std::string, int> kinds;
  std::string line;
  while (std::getline(in, line)) {
    for (const std::string marker : {" LOG:  statement: ", " LOG:  execute "}) {
      const size_t at = line.find(marker);
      if (at == std::string::npos) continue;
      ++count;
      ++kinds[line.substr(at + marker.size(), 70)];
    }
  }
  if (!what.empty()) {
    std::cout << "statements " << what << ":\n";
    for (const auto& [text, n] : kinds) std::cout << "  " << n << " x " << text << "\n";
  }
  return count;
}

int64_t FileSize(const std::string& path) {
  std::ifstream in(path, std::ios::ate | std::ios::binary);
  return in ? static_cast<int64_t>(in.tellg()) : 0;
}

// When each revocation reached how many streams, and the last arrival, per
// replica group: the replica that took the Revoke ("local") and the others.
struct Arrivals {
  std::atomic<int> count{0};
  std::atomic<int64_t> last_local{0};
  std::atomic<int64_t> last_remote{0};
};

void StoreMax(std::atomic<int64_t>& into, int64_t value) {
  int64_t seen = into.load();
  while (seen < value && !into.compare_exchange_weak(seen, value)) {
  }
}

// One WatchRevocations stream, read on its own thread.
class Watcher {
 public:
  Watcher(v1::TokenService::Stub* stub, int replica,
          const absl::flat_hash_map<std::string, int>* index, std::vector<Arrivals>* arrivals,
          const std::vector<int>* revoked_through)
      : replica_(replica), index_(index), arrivals_(arrivals), revoked_through_(revoked_through) {
    thread_ = std::thread([this, stub] { Run(stub); });
  }
  ~Watcher() {
    context_.TryCancel();
    thread_.join();
  }

  bool snapshot_complete() const { return snapshot_complete_.load(); }
  // Revocations its snapshot carried (complete once snapshot_complete()).
  int snapshot_revocations() const { return snapshot_revocations_.load(); }
  // How the stream ended, if it did before the watcher was destroyed.
  bool ended() const { return ended_.load(); }
  std::string end_status() const {
    absl::MutexLock lock(&mu_);
    return end_status_;
  }

 private:
  void Run(v1::TokenService::Stub* stub) {
    std::unique_ptr<grpc::ClientReader<v1::WatchRevocationsResponse>> reader =
        stub->WatchRevocations(&context_, v1::WatchRevocationsRequest());
    v1::WatchRevocationsResponse message;
    while (reader->Read(&message)) {
      const int64_t now = NowNanos();
      if (message.has_snapshot()) {
        snapshot_revocations_ += message.snapshot().revocations_size();
        if (message.snapshot().complete()) snapshot_complete_ = true;
      }
      if (!message.has_revoked()) continue;
      auto it = index_->find(message.revoked().token_id());
      if (it == index_->end()) continue;  // not one of ours
      Arrivals& a = (*arrivals_)[it->second];
      StoreMax((*revoked_through_)[it->second] == replica_ ? a.last_local : a.last_remote, now);
      a.count.fetch_add(1);
    }
    grpc::Status status = reader->Finish();
    absl::MutexLock lock(&mu_);
    end_status_ = absl::StrCat(status.error_code(), " ", status.error_message());
    ended_ = true;
  }

  const int replica_;
  const absl::flat_hash_map<std::string, int>* const index_;
  std::vector<Arrivals>* const arrivals_;
  const std::vector<int>* const revoked_through_;
  grpc::ClientContext context_;
  std::atomic<bool> snapshot_complete_{false};
  std::atomic<int> snapshot_revocations_{0};
  std::atomic<bool> ended_{false};
  mutable absl::Mutex mu_;
  std::string end_status_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Nearest-rank percentile of sorted `v`.
double Percentile(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

std::string Row(absl::string_view what, std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return absl::StrFormat("| %s | %d | %.1f | %.1f | %.1f | %.1f |", what, ms.size(),
                         Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 99),
                         ms.empty() ? 0.0 : ms.back());
}

int Run() {
  const std::vector<std::string> targets =
      absl::StrSplit(absl::GetFlag(FLAGS_targets), ',', absl::SkipEmpty());
  const int watchers = absl::GetFlag(FLAGS_watchers);
  const int revocations = absl::GetFlag(FLAGS_revocations);
  const int channels_per_replica = absl::GetFlag(FLAGS_channels_per_replica);
  const double rate = absl::GetFlag(FLAGS_rate);
  const std::string statement_log = absl::GetFlag(FLAGS_statement_log);
  const absl::Duration window = absl::GetFlag(FLAGS_quiet_window);
  if (targets.empty() || watchers < 1 || revocations < 1 || channels_per_replica < 1 || rate <= 0 ||
      absl::GetFlag(FLAGS_ca).empty() || absl::GetFlag(FLAGS_cert).empty() ||
      absl::GetFlag(FLAGS_key).empty()) {
    std::cerr << "watch_propagation: --targets, --ca, --cert and --key are required; counts and "
                 "--rate must be positive\n";
    return 2;
  }
  const int replicas = static_cast<int>(targets.size());
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = Credentials();
  if (!credentials.ok()) {
    std::cerr << credentials.status() << "\n";
    return 2;
  }
  // Per replica: one channel for the unary calls, then the watchers'.
  std::vector<std::unique_ptr<v1::TokenService::Stub>> unary;
  std::vector<std::vector<std::unique_ptr<v1::TokenService::Stub>>> watch_stubs(replicas);
  int channel_index = 0;
  for (int r = 0; r < replicas; ++r) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        Connect(targets[r], *credentials, channel_index++);
    if (!channel.ok()) {
      std::cerr << channel.status() << "\n";
      return 2;
    }
    unary.push_back(v1::TokenService::NewStub(*channel));
    for (int c = 0; c < channels_per_replica; ++c) {
      channel = Connect(targets[r], *credentials, channel_index++);
      if (!channel.ok()) {
        std::cerr << channel.status() << "\n";
        return 2;
      }
      watch_stubs[r].push_back(v1::TokenService::NewStub(*channel));
    }
  }

  // Mint the tokens (and learn their jtis) before anything is measured.
  std::vector<std::string> tokens(revocations);
  std::vector<int> revoked_through(revocations);
  absl::flat_hash_map<std::string, int> index;
  for (int i = 0; i < revocations; ++i) {
    revoked_through[i] = i % replicas;
    v1::IssueRequest issue;
    issue.add_audience(absl::GetFlag(FLAGS_audience));
    issue.set_subject(absl::StrCat("bench-propagation-", i));
    v1::IssueResponse issued;
    grpc::ClientContext ic;
    ic.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    grpc::Status s = unary[i % replicas]->Issue(&ic, issue, &issued);
    v1::IntrospectRequest introspect;
    introspect.set_token(issued.access_token());
    v1::IntrospectResponse seen;
    grpc::ClientContext xc;
    xc.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (s.ok()) s = unary[i % replicas]->Introspect(&xc, introspect, &seen);
    if (!s.ok() || !seen.active()) {
      std::cerr << "minting token " << i << " failed: " << s.error_code() << " "
                << s.error_message() << "\n";
      return 1;
    }
    tokens[i] = issued.access_token();
    index[seen.token_id()] = i;
  }
  std::vector<Arrivals> arrivals(revocations);
  std::cout << "minted " << revocations << " tokens through " << replicas << " replicas\n";

  // 1. Statements in a quiet window, without and then with the watchers.
  int64_t statements_without = -1;
  int64_t statements_with = -1;
  if (!statement_log.empty()) {
    const int64_t from = FileSize(statement_log);
    absl::SleepFor(window);
    statements_without = CountStatements(statement_log, from, "with no watcher");
    std::cout << "statements in " << absl::FormatDuration(window)
              << " with no watcher: " << statements_without << "\n";
  }
  const int64_t with_from = statement_log.empty() ? 0 : FileSize(statement_log);
  const absl::Time window_start = absl::Now();
  std::vector<std::unique_ptr<Watcher>> streams;
  for (int w = 0; w < watchers; ++w) {
    const int r = w % replicas;
    const int c = (w / replicas) % channels_per_replica;
    streams.push_back(
        std::make_unique<Watcher>(watch_stubs[r][c].get(), r, &index, &arrivals, &revoked_through));
  }
  const absl::Time snapshots_by = absl::Now() + absl::Seconds(30);
  auto all_snapshots = [&] {
    return std::all_of(streams.begin(), streams.end(),
                       [](const auto& w) { return w->snapshot_complete(); });
  };
  while (!all_snapshots() && absl::Now() < snapshots_by) absl::SleepFor(absl::Milliseconds(5));
  if (!all_snapshots()) {
    std::cerr << "not every stream had its snapshot within 30 s\n";
    return 1;
  }
  const absl::Duration snapshots_took = absl::Now() - window_start;
  const int snapshot_size = streams.front()->snapshot_revocations();
  std::cout << watchers << " streams open, every snapshot read, in "
            << absl::FormatDuration(snapshots_took) << "\n";
  if (!statement_log.empty()) {
    absl::SleepFor(window - (absl::Now() - window_start));
    statements_with = CountStatements(statement_log, with_from, "with the watchers");
    std::cout << "statements in " << absl::FormatDuration(window) << " with " << watchers
              << " watchers connecting and open: " << statements_with << "\n";
  }

  // 2. Propagation: paced, open loop (a slow Revoke does not delay the next).
  const int64_t revoke_phase_from = statement_log.empty() ? 0 : FileSize(statement_log);
  std::vector<int64_t> started(revocations), finished(revocations);
  std::vector<grpc::Status> statuses(revocations);
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(revocations);
  std::vector<v1::RevokeRequest> requests(revocations);
  std::vector<v1::RevokeResponse> responses(revocations);
  std::atomic<int> done{0};
  const int64_t phase_start = NowNanos();
  for (int i = 0; i < revocations; ++i) {
    const int64_t due = phase_start + static_cast<int64_t>(1e9 * i / rate);
    const int64_t wait = due - NowNanos();
    if (wait > 0) absl::SleepFor(absl::Nanoseconds(wait));
    requests[i].set_token(tokens[i]);
    contexts[i] = std::make_unique<grpc::ClientContext>();
    contexts[i]->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    started[i] = NowNanos();
    unary[revoked_through[i]]->async()->Revoke(contexts[i].get(), &requests[i], &responses[i],
                                               [&, i](grpc::Status s) {
                                                 finished[i] = NowNanos();
                                                 statuses[i] = std::move(s);
                                                 done.fetch_add(1);
                                               });
  }
  const int64_t last_started = NowNanos();
  const absl::Time drain_by = absl::Now() + absl::GetFlag(FLAGS_drain_timeout);
  auto all_arrived = [&] {
    return std::all_of(arrivals.begin(), arrivals.end(),
                       [&](const Arrivals& a) { return a.count.load() >= watchers; });
  };
  while ((done.load() < revocations || !all_arrived()) && absl::Now() < drain_by) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  const int64_t revoke_phase_statements =
      statement_log.empty() ? -1 : CountStatements(statement_log, revoke_phase_from);
  if (done.load() < revocations) {
    // Calls still in flight reference the vectors above: wait them out.
    while (done.load() < revocations) absl::SleepFor(absl::Milliseconds(10));
  }

  int failures = 0;
  std::vector<double> to_last, to_last_local, to_last_remote, revoke_ms;
  int missing = 0;
  for (int i = 0; i < revocations; ++i) {
    if (!statuses[i].ok()) {
      ++failures;
      std::cerr << "Revoke " << i << ": " << statuses[i].error_code() << " "
                << statuses[i].error_message() << "\n";
      continue;
    }
    revoke_ms.push_back((finished[i] - started[i]) / 1e6);
    if (arrivals[i].count.load() < watchers) {
      ++missing;
      continue;
    }
    const int64_t local = arrivals[i].last_local.load();
    const int64_t remote = arrivals[i].last_remote.load();
    to_last.push_back((std::max(local, remote) - started[i]) / 1e6);
    if (local > 0) to_last_local.push_back((local - started[i]) / 1e6);
    if (remote > 0) to_last_remote.push_back((remote - started[i]) / 1e6);
  }
  int ended = 0;
  for (const auto& w : streams) {
    if (w->ended()) {
      ++ended;
      std::cerr << "a stream ended: " << w->end_status() << "\n";
    }
  }
  streams.clear();

  std::vector<double> sorted = to_last;
  std::sort(sorted.begin(), sorted.end());
  const double p99 = Percentile(sorted, 99);
  const double goal_ms = absl::ToDoubleMilliseconds(absl::GetFlag(FLAGS_goal_p99));
  const bool ok = failures == 0 && missing == 0 && ended == 0;
  const std::string verdict =
      !ok ? "FAIL (errors)" : (p99 <= goal_ms ? "pass" : "FAIL (p99 above the goal)");
  std::string md;
  absl::StrAppendFormat(&md,
                        "%d revocations (access tokens) at %.0f/s, alternating through %d "
                        "replicas, each received by %d streams (%d per replica, over %d "
                        "connections each); Revoke calls started over %.1f s.\n\n",
                        revocations, rate, replicas, watchers, watchers / replicas,
                        channels_per_replica, (last_started - phase_start) / 1e9);
  md += "| from the Revoke call's start to | revocations | p50 ms | p90 ms | p99 ms | max ms |\n";
  md += "|---|---:|---:|---:|---:|---:|\n";
  md += Row(absl::StrCat("the last of all ", watchers, " streams"), to_last) + "\n";
  md += Row("the last stream of the replica that took the call", to_last_local) + "\n";
  md += Row("the last stream of the other replica", to_last_remote) + "\n";
  md += Row("the Revoke call's answer", revoke_ms) + "\n";
  absl::StrAppendFormat(&md,
                        "\nGoal: p99 to the last stream <= %.0f ms: %.1f ms, %s. Errors: %d "
                        "failed Revoke calls, %d revocations not received by every stream "
                        "within %s, %d streams ended.\n",
                        goal_ms, p99, verdict, failures, missing,
                        absl::FormatDuration(absl::GetFlag(FLAGS_drain_timeout)), ended);
  if (!statement_log.empty()) {
    absl::StrAppendFormat(
        &md,
        "\nStatements PostgreSQL ran (log_statement = all), in %s windows: %d with no "
        "watcher; %d while %d watchers connected, read their snapshots (all within %s) and "
        "stayed open: a difference of %d. Each snapshot carried %d revocations. During the "
        "revocations: %d statements for %d Revoke calls.\n",
        absl::FormatDuration(window), statements_without, statements_with, watchers,
        absl::FormatDuration(absl::Trunc(snapshots_took, absl::Milliseconds(1))),
        statements_with - statements_without, snapshot_size, revoke_phase_statements, revocations);
  }
  std::cout << "\n" << md;
  if (const std::string out = absl::GetFlag(FLAGS_markdown_out); !out.empty()) {
    std::ofstream(out) << md;
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tokend::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures how long a revocation takes to reach every WatchRevocations stream of several "
      "tokend replicas, and counts the statements the streams cost PostgreSQL.");
  absl::ParseCommandLine(argc, argv);
  return tokend::bench::Run();
}
