// The history checker under faults: two tokend replicas on one PostgreSQL,
// each through a proxy of its own, several clients calling every RPC, and a
// nemesis that kills replicas and PostgreSQL, cuts and delays the proxies.
// Every call is recorded; then the history is checked against the contract
// (tests/chaos/README.md lists the properties). Exits 1 on any violation,
// 2 when the run could not be set up.
//
//   tokend_chaos [--seconds N] [--workers N] [--seed N] [--refresh-retry-window N]
//
// The run's length defaults to $TOKEND_CHAOS_SECONDS, else 120 s.
// --refresh-retry-window sets tokend's tokens.refresh_retry_window in whole
// seconds (default: tokend's own); 0 turns retry safety off, which shows
// that the checker notices what it is there to notice.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/token_client.h"
#include "tests/chaos/history.h"
#include "tests/support/pg_proxy/pg_proxy.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/tokend_server/tokend_server.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::chaos {
namespace {

namespace v1 = ::tokend::v1;
using testing::PgProxy;
using testing::PostgresCluster;
using testing::TokendServer;
using testing::TokendTestBed;

// The deadline of every call; the proxy's delays exceed it.
constexpr absl::Duration kCallDeadline = absl::Seconds(1);
// How long a caller keeps repeating a call whose answer it did not get:
// well inside the refresh retry window (60 s by default).
constexpr absl::Duration kRetryFor = absl::Seconds(30);
// A revocation through one replica is in effect on the other within this.
constexpr absl::Duration kPropagation = absl::Seconds(1);
// Every replica serves again within this of PostgreSQL's return.
constexpr absl::Duration kServeAgainWithin = absl::Seconds(5);
constexpr char kAudience[] = "api://orders";

// One tokend process (restarted as often as the nemesis likes) and a client
// of its current incarnation.
class Replica {
 public:
  Replica(int index, TokendTestBed* bed, std::string config_path)
      : index_(index), bed_(bed), config_path_(std::move(config_path)) {}

  absl::Status Start() {
    absl::StatusOr<std::unique_ptr<TokendServer>> server = TokendServer::Start(config_path_);
    if (!server.ok()) return server.status();
    absl::StatusOr<std::unique_ptr<client::TokenClient>> client =
        bed_->Client(**server, bed_->pki().client_uri(), kCallDeadline);
    if (!client.ok()) return client.status();
    absl::MutexLock lock(&mu_);
    server_ = *std::move(server);
    client_ = std::shared_ptr<client::TokenClient>(std::move(*client));
    killed_ = false;
    return absl::OkStatus();
  }

  void Kill() {
    absl::MutexLock lock(&mu_);
    killed_ = true;
    server_->Kill();
  }

  // False with the tail of its log when the process ended without Kill().
  bool CrashedByItself(std::string* log_tail) {
    absl::MutexLock lock(&mu_);
    if (killed_ || server_->running()) return false;
    std::vector<std::string> lines = absl::StrSplit(server_->log(), '\n');
    const size_t from = lines.size() > 8 ? lines.size() - 8 : 0;
    for (size_t i = from; i < lines.size(); ++i) absl::StrAppend(log_tail, lines[i], "\n");
    return true;
  }

  // The client of the incarnation that runs now, or of the last one (whose
  // port refuses: calls fail at once with UNAVAILABLE).
  std::shared_ptr<client::TokenClient> client() {
    absl::MutexLock lock(&mu_);
    return client_;
  }
  int ops_port() {
    absl::MutexLock lock(&mu_);
    return server_->ops_port();
  }
  int index() const { return index_; }

 private:
  const int index_;
  TokendTestBed* const bed_;
  const std::string config_path_;
  absl::Mutex mu_;
  std::unique_ptr<TokendServer> server_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<client::TokenClient> client_ ABSL_GUARDED_BY(mu_);
  bool killed_ ABSL_GUARDED_BY(mu_) = false;
};

// What the workers and the nemesis share.
struct World {
  History history;
  PostgresCluster* cluster = nullptr;
  std::vector<std::unique_ptr<PgProxy>> proxies;
  std::vector<std::unique_ptr<Replica>> replicas;
  std::atomic<bool> stop{false};
  std::atomic<int> unresolved{0};  // repeats that never got a final answer
  std::atomic<int> idempotency_checks{0};
};

// The outcome of one call or of a chain of repeats: the last answer.
template <typename Response>
struct Outcome {
  absl::StatusOr<Response> result;
  int64_t call = 0;        // the last call
  int64_t first_call = 0;  // the first call of the chain
  absl::StatusCode first_code = absl::StatusCode::kOk;
};

// A caller: one client identity, calls one at a time, holds tokens of its
// own subjects, so it knows which of them it revoked.
class Caller {
 public:
  Caller(World* world, int index, uint64_t seed) : world_(world), index_(index), rng_(seed) {}

  int RandomReplica() { return static_cast<int>(rng_() % kReplicas); }
  bool Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  absl::Duration Jitter(absl::Duration max) {
    return max * (static_cast<double>(rng_() % 1000) / 1000.0);
  }

  // One call through `replica`, recorded.
  template <typename Response, typename Fn>
  Outcome<Response> Once(Call call, int replica, Fn fn) {
    call.worker = index_;
    call.replica = replica;
    std::shared_ptr<client::TokenClient> client = world_->replicas[replica]->client();
    call.start = absl::Now();
    absl::StatusOr<Response> result = fn(*client);
    call.end = absl::Now();
    call.code = result.status().code();
    call.message = std::string(result.status().message().substr(0, 160));
    if constexpr (std::is_same_v<Response, v1::IntrospectResponse>) {
      if (result.ok()) call.active = result->active();
    }
    Outcome<Response> out{std::move(result), 0, 0, call.code};
    out.call = out.first_call = world_->history.Record(std::move(call));
    return out;
  }

  // Once, then, while the answer says it may have been lost or the replica
  // was short, the same input again (through either replica) with backoff,
  // for at most kRetryFor. A chain that never gets a final answer counts as
  // unresolved.
  template <typename Response, typename Fn>
  Outcome<Response> WithRepeats(Call call, Fn fn) {
    Outcome<Response> out = Once<Response>(call, RandomReplica(), fn);
    if (!IsRetryable(out.result.status().code())) return out;
    const int64_t first = out.call;
    const absl::StatusCode first_code = out.first_code;
    const absl::Time give_up = world_->history.Get(first).start + kRetryFor;
    call.retry_of = first;
    absl::Duration backoff = absl::Milliseconds(50);
    while (true) {
      absl::SleepFor(backoff + Jitter(backoff));
      backoff = std::min(backoff * 2, absl::Seconds(1));
      out = Once<Response>(call, RandomReplica(), fn);
      out.first_call = first;
      out.first_code = first_code;
      if (!IsRetryable(out.result.status().code())) return out;
      if (absl::Now() > give_up) {
        ++world_->unresolved;
        return out;
      }
    }
  }

  // A final answer that is neither OK nor a permitted refusal.
  template <typename Response>
  void Unexpected(const Outcome<Response>& out, absl::string_view what) {
    if (IsRetryable(out.result.status().code())) return;  // unresolved, counted
    if (out.first_call != out.call) {
      world_->history.Violation(out.call, absl::StrCat("a repeat of ", what, " after ",
                                                       absl::StatusCodeToString(out.first_code),
                                                       " (#", out.first_call, ") did not succeed"));
    } else if (out.result.status().code() != absl::StatusCode::kInternal &&
               out.result.status().code() != absl::StatusCode::kUnknown) {
      world_->history.Violation(out.call, absl::StrCat("unexpected answer to ", what));
    }
  }

  v1::IssueRequest IssueFor(const std::string& subject, bool refresh) {
    v1::IssueRequest request;
    request.set_subject(subject);
    request.add_audience(kAudience);
    request.add_scopes("orders:read");
    request.mutable_ttl()->set_seconds(3600);
    request.set_include_refresh_token(refresh);
    return request;
  }

  // Introspects access token `access` through `replica` (recorded).
  Outcome<v1::IntrospectResponse> Introspect(int64_t access, int replica) {
    v1::IntrospectRequest request;
    request.set_token(world_->history.GetAccessToken(access).text);
    request.set_token_type_hint(v1::TOKEN_TYPE_ACCESS_TOKEN);
    Call call;
    call.kind = CallKind::kIntrospect;
    call.access = access;
    return Once<v1::IntrospectResponse>(
        call, replica, [&](client::TokenClient& c) { return c.Introspect(request); });
  }

  // After a revocation of `access` answered OK through `replica`: asks the
  // other replica until it says inactive (the history's check judges how
  // soon), and the same replica once.
  void WatchRevoked(int64_t access, int replica) {
    const absl::Time until = absl::Now() + kPropagation + absl::Milliseconds(500);
    Introspect(access, replica);
    while (absl::Now() < until) {
      Outcome<v1::IntrospectResponse> seen = Introspect(access, 1 - replica);
      if (seen.result.ok() && !seen.result->active()) return;
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Revoke through either replica, repeated until it answers; records the
  // revocation as sent and, on OK, as acknowledged, and watches `watch`.
  bool Revoke(const v1::RevokeRequest& request, CallKind kind, int64_t access, int64_t family,
              const std::string& subject, int64_t watch) {
    Call call;
    call.kind = kind;
    call.access = access;
    call.family = family;
    call.subject = subject;
    world_->history.RevocationSent(access, family, subject, absl::Now());
    Outcome<v1::RevokeResponse> out = WithRepeats<v1::RevokeResponse>(
        call, [&](client::TokenClient& c) { return c.Revoke(request); });
    if (!out.result.ok()) {
      Unexpected(out, CallKindName(kind));
      return false;
    }
    world_->history.RevocationAcknowledged(access, family, subject, out.call);
    if (watch >= 0) WatchRevoked(watch, world_->history.Get(out.call).replica);
    return true;
  }

 protected:
  World* const world_;
  const int index_;
  std::mt19937_64 rng_;
};

// A family this caller holds: the refresh token to redeem next, those it
// redeemed (oldest first), and the latest access token.
struct Family {
  int64_t id = -1;
  std::string refresh_token;
  std::vector<std::string> redeemed;
  int64_t access = -1;
};

class Worker : public Caller {
 public:
  Worker(World* world, int index, uint64_t seed) : Caller(world, index, seed) { NewSubject(); }

  void Run() {
    while (!world_->stop) {
      const int dice = static_cast<int>(rng_() % 100);
      if (dice < 10) {
        IssuePlain();
      } else if (dice < 22 || families_.empty()) {
        if (families_.size() < 4) {
          IssueFamily();
        } else {
          Refresh(PickFamily());
        }
      } else if (dice < 50) {
        Refresh(PickFamily());
      } else if (dice < 75) {
        IntrospectSomething();
      } else if (dice < 83) {
        RevokeAccessToken();
      } else if (dice < 89) {
        RevokeFamily(PickFamily());
      } else if (dice < 92) {
        RevokeSubject();
      } else {
        Replay(PickFamily());
      }
      absl::SleepFor(absl::Milliseconds(2) + Jitter(absl::Milliseconds(8)));
    }
  }

  // After the run: every family still held must redeem its refresh token
  // (nobody revoked it); called with every fault healed.
  void RedeemEveryFamily() {
    while (!families_.empty()) {
      const size_t n = families_.size();
      Refresh(n - 1);  // forgets the family when it fails
      if (families_.size() == n) families_.pop_back();
    }
  }

 private:
  void NewSubject() { subject_ = absl::StrCat("user-", index_, "-", ++generation_); }

  size_t PickFamily() { return families_.empty() ? 0 : rng_() % families_.size(); }
  void Forget(size_t i) { families_.erase(families_.begin() + static_cast<long>(i)); }

  void Keep(std::vector<int64_t>* list, int64_t access) {
    list->push_back(access);
    if (list->size() > 8) list->erase(list->begin());
  }

  void IssuePlain() {
    const v1::IssueRequest request = IssueFor(subject_, false);
    Call call;
    call.kind = CallKind::kIssue;
    call.subject = subject_;
    Outcome<v1::IssueResponse> out = Once<v1::IssueResponse>(
        call, RandomReplica(), [&](client::TokenClient& c) { return c.Issue(request); });
    if (!out.result.ok()) {
      // Issue without a refresh token needs no database: only a replica
      // that is down or shedding load may refuse it.
      Unexpected(out, "Issue");
      return;
    }
    Keep(&plain_, world_->history.AddAccessToken({out.result->access_token(), subject_, -1}));
  }

  // Issue with a refresh token, under an idempotency key of its own that
  // every repeat carries. When repeats were needed (and for some others),
  // one more repeat with the same key must answer the same refresh token:
  // had a repeat started a second family, it would answer a third.
  void IssueFamily() {
    v1::IssueRequest request = IssueFor(subject_, true);
    request.set_idempotency_key(absl::StrCat("chaos-", index_, "-", ++keys_, "-", rng_()));
    Call call;
    call.kind = CallKind::kIssueRefresh;
    call.subject = subject_;
    call.family = world_->history.AddFamily(subject_);
    auto issue = [&](client::TokenClient& c) { return c.Issue(request); };
    Outcome<v1::IssueResponse> out = WithRepeats<v1::IssueResponse>(call, issue);
    if (!out.result.ok()) {
      Unexpected(out, "Issue with a refresh token");
      return;
    }
    if (out.first_call != out.call || Chance(10)) {
      Call repeat = call;
      repeat.retry_of = out.first_call;
      Outcome<v1::IssueResponse> again = WithRepeats<v1::IssueResponse>(repeat, issue);
      ++world_->idempotency_checks;
      if (!again.result.ok()) {
        Unexpected(again, "Issue with a refresh token repeated with its idempotency key");
      } else if (again.result->refresh_token() != out.result->refresh_token()) {
        world_->history.Violation(
            again.call, absl::StrCat("a repeat with the same idempotency key answered another "
                                     "refresh token than #",
                                     out.call));
      }
    }
    Family family;
    family.id = call.family;
    family.refresh_token = out.result->refresh_token();
    family.access =
        world_->history.AddAccessToken({out.result->access_token(), subject_, family.id});
    families_.push_back(std::move(family));
  }

  void Refresh(size_t i) {
    if (i >= families_.size()) return;
    Family& family = families_[i];
    v1::RefreshRequest request;
    request.set_refresh_token(family.refresh_token);
    Call call;
    call.kind = CallKind::kRefresh;
    call.family = family.id;
    Outcome<v1::RefreshResponse> out = WithRepeats<v1::RefreshResponse>(
        call, [&](client::TokenClient& c) { return c.Refresh(request); });
    if (out.result.ok()) {
      family.redeemed.push_back(family.refresh_token);
      family.refresh_token = out.result->refresh_token();
      family.access = world_->history.AddAccessToken(
          {out.result->access_token(), subject_of(family), family.id});
      return;
    }
    const absl::StatusCode code = out.result.status().code();
    if (code == absl::StatusCode::kUnauthenticated &&
        !world_->history.FamilyMayBeRevoked(family.id, world_->history.Get(out.call).end)) {
      world_->history.Violation(
          out.call, out.first_call != out.call
                        ? absl::StrCat("a repeat of a Refresh after ",
                                       absl::StatusCodeToString(out.first_code), " (#",
                                       out.first_call, ") was refused as reuse")
                        : "a refresh token from an OK answer, of a family nobody revoked, was "
                          "not redeemable");
    } else if (code != absl::StatusCode::kUnauthenticated) {
      Unexpected(out, "Refresh");
    }
    Forget(i);  // revoked, or its state is unknown
  }

  // Redeems a refresh token whose successor was itself redeemed: reuse, which
  // must fail and revoke the family (answered only once the family's
  // revocation is durable, so an UNAUTHENTICATED answer acknowledges it).
  void Replay(size_t i) {
    if (i >= families_.size() || families_[i].redeemed.size() < 2) {
      IntrospectSomething();
      return;
    }
    Family family = families_[i];
    Forget(i);
    v1::RefreshRequest request;
    request.set_refresh_token(family.redeemed[family.redeemed.size() - 2]);
    Call call;
    call.kind = CallKind::kRefresh;
    call.family = family.id;
    world_->history.RevocationSent(-1, family.id, "", absl::Now());
    Outcome<v1::RefreshResponse> out = Once<v1::RefreshResponse>(
        call, RandomReplica(), [&](client::TokenClient& c) { return c.Refresh(request); });
    if (out.result.ok()) {
      world_->history.Violation(out.call,
                                "a refresh token whose successor was redeemed was redeemed again");
    } else if (out.result.status().code() == absl::StatusCode::kUnauthenticated) {
      world_->history.RevocationAcknowledged(-1, family.id, "", out.call);
      WatchRevoked(family.access, world_->history.Get(out.call).replica);
    } else {
      Unexpected(out, "a replayed Refresh");
    }
  }

  void IntrospectSomething() {
    std::vector<int64_t> mine = plain_;
    for (const Family& f : families_) mine.push_back(f.access);
    if (mine.empty()) return;
    Introspect(mine[rng_() % mine.size()], RandomReplica());
  }

  void RevokeAccessToken() {
    std::vector<int64_t>* from = &plain_;
    if (plain_.empty()) return;
    const size_t i = rng_() % from->size();
    const int64_t access = (*from)[i];
    from->erase(from->begin() + static_cast<long>(i));
    v1::RevokeRequest request;
    request.set_token(world_->history.GetAccessToken(access).text);
    Revoke(request, CallKind::kRevokeToken, access, -1, "", access);
  }

  void RevokeFamily(size_t i) {
    if (i >= families_.size()) return;
    const Family family = families_[i];
    Forget(i);
    v1::RevokeRequest request;
    request.set_token(family.refresh_token);
    request.set_token_type_hint(v1::TOKEN_TYPE_REFRESH_TOKEN);
    Revoke(request, CallKind::kRevokeToken, -1, family.id, "", family.access);
  }

  void RevokeSubject() {
    int64_t watch = -1;
    if (!families_.empty()) watch = families_.back().access;
    if (!plain_.empty()) watch = plain_.back();
    v1::RevokeRequest request;
    request.set_subject(subject_);
    Revoke(request, CallKind::kRevokeSubject, -1, -1, subject_, watch);
    // Every token of the old subject is (or may be) revoked; later tokens
    // get a new subject, so that none of them is issued in the second of a
    // subject revocation.
    families_.clear();
    plain_.clear();
    NewSubject();
  }

  std::string subject_of(const Family& family) {
    return world_->history.GetAccessToken(family.access).subject;
  }

  std::string subject_;
  int generation_ = 0;
  int keys_ = 0;
  std::vector<Family> families_;
  std::vector<int64_t> plain_;
};

// Kills, cuts and delays; after PostgreSQL returns, checks that every
// replica serves again in time and that a revocation still spreads.
class Nemesis : public Caller {
 public:
  Nemesis(World* world, uint64_t seed) : Caller(world, -1, seed) {}

  void Run(absl::Time until) {
    while (absl::Now() < until) {
      Quiet(absl::Milliseconds(1500) + Jitter(absl::Milliseconds(1500)));
      if (absl::Now() >= until) break;
      const int dice = static_cast<int>(rng_() % 9);
      if (dice < 2) {
        KillReplica(RandomReplica());
      } else if (dice < 3) {
        KillPostgres();
      } else if (dice < 5) {
        CutProxies();
      } else if (dice < 7) {
        DelayProxy();
      } else {
        CutAfterCommit();
      }
    }
  }

  // Kills every process at once and starts them again (the final restart).
  void KillEverything() {
    for (auto& r : world_->replicas) {
      world_->history.Fault(FaultKind::kKillReplica, "final: " + ReplicaName(r->index()));
      r->Kill();
    }
    PostgresDown();
    absl::SleepFor(absl::Milliseconds(500));
    PostgresUp();
    for (auto& r : world_->replicas) StartReplica(*r);
    ExpectServing();
  }

  // Waits while watching for processes that end by themselves.
  void Quiet(absl::Duration d) {
    const absl::Time until = absl::Now() + d;
    while (absl::Now() < until) {
      CheckCrashes();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  // Every replica answers a database call (Issue with a refresh token) and
  // /readyz 200 within kServeAgainWithin of `since` (probed in turn, every
  // 100 ms, for up to 5 s more, so that a late one is measured).
  void ExpectServing(absl::Time since = absl::Now()) {
    int64_t last[kReplicas] = {};
    bool served[kReplicas] = {}, ready[kReplicas] = {};
    absl::Time at[kReplicas] = {absl::InfiniteFuture(), absl::InfiniteFuture()};
    const absl::Time give_up = since + kServeAgainWithin + absl::Seconds(5);
    for (bool all = false; !all && absl::Now() < give_up;) {
      all = true;
      for (int i = 0; i < kReplicas; ++i) {
        if (served[i] && ready[i]) continue;
        if (!served[i]) {
          const v1::IssueRequest request = IssueFor(absl::StrCat("probe-", ++probes_), true);
          Call call;
          call.kind = CallKind::kIssueRefresh;
          Outcome<v1::IssueResponse> out = Once<v1::IssueResponse>(
              call, i, [&](client::TokenClient& c) { return c.Issue(request); });
          last[i] = out.call;
          served[i] = out.result.ok();
          if (!served[i] && !IsRetryable(out.result.status().code())) {
            Unexpected(out, "Issue with a refresh token");
          }
        }
        if (!ready[i]) {
          absl::StatusOr<testing::HttpResponse> readyz =
              testing::HttpGet(world_->replicas[i]->ops_port(), "/readyz", absl::Seconds(1));
          ready[i] = readyz.ok() && readyz->status == 200;
        }
        if (served[i] && ready[i]) at[i] = absl::Now();
        all = all && served[i] && ready[i];
      }
      if (!all) absl::SleepFor(absl::Milliseconds(100));
    }
    for (int i = 0; i < kReplicas; ++i) {
      const absl::Duration took = at[i] - since;
      if (took > kServeAgainWithin) {
        world_->history.Violation(
            last[i],
            absl::StrCat("replica ", ReplicaName(i), " did not serve again (database call ",
                         served[i] ? "OK" : "failing", ", /readyz ", ready[i] ? "200" : "not 200",
                         ") within ", absl::FormatDuration(kServeAgainWithin),
                         " of PostgreSQL's return (",
                         served[i] && ready[i] ? absl::FormatDuration(took) : "never", ")"));
      }
    }
  }

 private:
  void CheckCrashes() {
    for (auto& replica : world_->replicas) {
      std::string tail;
      if (replica->CrashedByItself(&tail)) {
        world_->history.Violation(0, absl::StrCat("replica ", ReplicaName(replica->index()),
                                                  " exited by itself; its log ends:\n", tail));
        StartReplica(*replica);
      }
    }
  }

  void StartReplica(Replica& replica) {
    absl::Status s;
    for (int attempt = 0; attempt < 3; ++attempt) {
      s = replica.Start();
      if (s.ok()) return;
      absl::SleepFor(absl::Seconds(1));
    }
    world_->history.Violation(0, absl::StrCat("replica ", ReplicaName(replica.index()),
                                              " did not start again: ", s.ToString()));
  }

  void KillReplica(int i) {
    const absl::Duration down = absl::Milliseconds(300) + Jitter(absl::Milliseconds(1700));
    world_->history.Fault(FaultKind::kKillReplica,
                          absl::StrCat(ReplicaName(i), ", down ", absl::FormatDuration(down)));
    world_->replicas[i]->Kill();
    Quiet(down);
    StartReplica(*world_->replicas[i]);
  }

  void PostgresDown() {
    world_->history.Fault(FaultKind::kKillPostgres, "every replica cut off");
    down_since_ = absl::Now();
    if (absl::Status s = world_->cluster->Kill(); !s.ok()) {
      world_->history.Violation(0, absl::StrCat("cannot kill PostgreSQL: ", s.ToString()));
    }
  }

  void PostgresUp() {
    if (absl::Status s = world_->cluster->StartAgain(); !s.ok()) {
      world_->history.Violation(0, absl::StrCat("PostgreSQL did not start again: ", s.ToString()));
    }
    for (int i = 0; i < kReplicas; ++i) world_->history.Impaired(i, down_since_, absl::Now());
    std::cerr << "[chaos] " << world_->history.At(absl::Now()) << " PostgreSQL is back\n";
  }

  void KillPostgres() {
    PostgresDown();
    Quiet(absl::Milliseconds(300) + Jitter(absl::Milliseconds(2700)));
    PostgresUp();
    ExpectServing(absl::Now());
    // Right after the return, a revocation through one replica must still
    // reach the other within kPropagation (the history check judges the
    // watch's introspections).
    const int via = RandomReplica();
    const std::string subject = absl::StrCat("probe-", ++probes_);
    const v1::IssueRequest request = IssueFor(subject, false);
    Call call;
    call.kind = CallKind::kIssue;
    call.subject = subject;
    Outcome<v1::IssueResponse> issued = Once<v1::IssueResponse>(
        call, via, [&](client::TokenClient& c) { return c.Issue(request); });
    if (issued.result.ok()) {
      const int64_t access =
          world_->history.AddAccessToken({issued.result->access_token(), subject, -1});
      v1::RevokeRequest revoke;
      revoke.set_token(issued.result->access_token());
      Revoke(revoke, CallKind::kRevokeToken, access, -1, "", access);
    }
  }

  void CutProxies() {
    const int which = static_cast<int>(rng_() % 3);  // A, B or both
    const absl::Duration cut = absl::Milliseconds(300) + Jitter(absl::Milliseconds(2700));
    world_->history.Fault(FaultKind::kCutProxy,
                          absl::StrCat(which == 2 ? "A and B" : ReplicaName(which), " for ",
                                       absl::FormatDuration(cut)));
    const absl::Time from = absl::Now();
    for (int i = 0; i < kReplicas; ++i) {
      if (which == 2 || which == i) world_->proxies[i]->SetCut(true);
    }
    Quiet(cut);
    for (auto& p : world_->proxies) p->SetCut(false);
    for (int i = 0; i < kReplicas; ++i) {
      if (which == 2 || which == i) world_->history.Impaired(i, from, absl::Now());
    }
  }

  void DelayProxy() {
    const int i = RandomReplica();
    const absl::Duration delay =
        kCallDeadline + absl::Milliseconds(200) + Jitter(absl::Milliseconds(800));
    const absl::Duration lasting = absl::Seconds(1) + Jitter(absl::Seconds(2));
    world_->history.Fault(FaultKind::kDelayProxy,
                          absl::StrCat(ReplicaName(i), ", ", absl::FormatDuration(delay),
                                       " a chunk, for ", absl::FormatDuration(lasting)));
    const absl::Time from = absl::Now();
    world_->proxies[i]->SetDelay(delay);
    Quiet(lasting);
    world_->proxies[i]->SetDelay(absl::ZeroDuration());
    // Chunks held back when the delay ends still wait theirs out.
    world_->history.Impaired(i, from, absl::Now() + delay);
  }

  void CutAfterCommit() {
    static constexpr const char* kWrites[] = {"rotate_tokens", "create_families", "revoke_many"};
    const int i = RandomReplica();
    const char* statement = kWrites[rng_() % 3];
    PgProxy& proxy = *world_->proxies[i];
    const int before = proxy.cuts();
    proxy.CutAfterCommitOf(statement);
    const absl::Time until = absl::Now() + absl::Seconds(3);
    while (proxy.cuts() == before && absl::Now() < until) absl::SleepFor(absl::Milliseconds(20));
    proxy.CutAfterCommitOf("");  // disarmed if nothing ran it
    if (proxy.cuts() != before) {
      world_->history.Fault(FaultKind::kCutAfterCommit,
                            absl::StrCat(ReplicaName(i), ", after ", statement));
    }
  }

  int probes_ = 0;
  absl::Time down_since_;
};

struct Options {
  absl::Duration duration = absl::Seconds(120);
  int workers = 6;
  uint64_t seed = 0;
  int refresh_retry_window = -1;  // seconds; -1: tokend's default
};

bool ParseOptions(int argc, char** argv, Options* options) {
  if (const char* env = std::getenv("TOKEND_CHAOS_SECONDS"); env != nullptr && *env != '\0') {
    int seconds = 0;
    if (!absl::SimpleAtoi(env, &seconds) || seconds <= 0) return false;
    options->duration = absl::Seconds(seconds);
  }
  options->seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    int64_t value = 0;
    if (!absl::SimpleAtoi(argv[i + 1], &value) || value < 0) return false;
    if (flag == "--seconds" && value > 0) {
      options->duration = absl::Seconds(value);
    } else if (flag == "--workers" && value > 0) {
      options->workers = static_cast<int>(value);
    } else if (flag == "--seed") {
      options->seed = static_cast<uint64_t>(value);
    } else if (flag == "--refresh-retry-window") {
      options->refresh_retry_window = static_cast<int>(value);
    } else {
      return false;
    }
  }
  return argc % 2 == 1;
}

int Fail(absl::string_view what, const absl::Status& status) {
  std::cerr << "[chaos] cannot set up the run: " << what << ": " << status << "\n";
  return 2;
}

int Run(const Options& options) {
  std::cerr << "[chaos] " << options.workers << " workers for "
            << absl::FormatDuration(options.duration) << ", seed " << options.seed << "\n";
  PostgresCluster cluster;
  if (absl::Status s = cluster.Start(); !s.ok()) return Fail("PostgreSQL", s);
  absl::StatusOr<std::unique_ptr<TokendTestBed>> bed = TokendTestBed::New(cluster, "tokend_chaos");
  if (!bed.ok()) return Fail("test bed", bed.status());

  World world;
  world.cluster = &cluster;
  for (int i = 0; i < kReplicas; ++i) {
    absl::StatusOr<std::unique_ptr<PgProxy>> proxy = PgProxy::Start(cluster.port());
    if (!proxy.ok()) return Fail("proxy", proxy.status());
    testing::TokendConfig config = (*bed)->Config();
    config.dsn = absl::StrCat("host=127.0.0.1 port=", (*proxy)->port(),
                              " user=postgres dbname=tokend_chaos sslmode=disable "
                              "gssencmode=disable");
    // The workers revoke their subjects more often than a real caller may.
    config.extra_yaml = "limits:\n  subject_revocations_per_minute: 0\n";
    if (options.refresh_retry_window >= 0) {
      config.refresh_retry_window = absl::StrCat(options.refresh_retry_window, "s");
    }
    absl::StatusOr<std::string> path = (*bed)->WriteConfig(config);
    if (!path.ok()) return Fail("configuration", path.status());
    world.proxies.push_back(*std::move(proxy));
    world.replicas.push_back(std::make_unique<Replica>(i, bed->get(), *path));
    if (absl::Status s = world.replicas.back()->Start(); !s.ok()) return Fail("tokend", s);
  }

  std::mt19937_64 seeds(options.seed);
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  for (int i = 0; i < options.workers; ++i) {
    workers.push_back(std::make_unique<Worker>(&world, i, seeds()));
  }
  for (auto& w : workers) threads.emplace_back([&w] { w->Run(); });
  Nemesis nemesis(&world, seeds());
  nemesis.Run(absl::Now() + options.duration);
  world.stop = true;
  for (std::thread& t : threads) t.join();
  std::cerr << "[chaos] load stopped; final checks after restarting every process\n";

  // Everything killed at once and started again: what was acknowledged
  // before is still in effect, and every family nobody revoked redeems.
  nemesis.KillEverything();
  for (auto& w : workers) w->RedeemEveryFamily();
  std::vector<int64_t> revoked = world.history.RevokedAccessTokens();
  std::shuffle(revoked.begin(), revoked.end(), seeds);
  if (revoked.size() > 3000) revoked.resize(3000);
  for (int64_t access : revoked) {
    for (int i = 0; i < kReplicas; ++i) nemesis.Introspect(access, i);
  }
  nemesis.Quiet(absl::Milliseconds(200));
  std::cerr << "[chaos] re-checked " << revoked.size()
            << " revoked access tokens on both replicas after the restart\n";

  world.history.CheckIntrospections(kPropagation);
  std::cerr << "[chaos] Issue chains repeated once more with their idempotency key: "
            << world.idempotency_checks.load() << "\n";
  std::cerr << "[chaos] repeats that never got a final answer within "
            << absl::FormatDuration(kRetryFor) << ": " << world.unresolved.load() << "\n";
  const int violations = world.history.PrintReport(std::cerr);
  return violations == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tokend::chaos

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  tokend::chaos::Options options;
  if (!tokend::chaos::ParseOptions(argc, argv, &options)) {
    std::cerr << "usage: tokend_chaos [--seconds N] [--workers N] [--seed N] "
                 "[--refresh-retry-window N]\n"
                 "  (default length: $TOKEND_CHAOS_SECONDS, else 120)\n";
    return 2;
  }
  return tokend::chaos::Run(options);
}
