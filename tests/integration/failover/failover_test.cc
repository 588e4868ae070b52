// tokend on a PostgreSQL primary with a synchronous streaming standby,
// through a multi-host DSN (target_session_attrs=read-write): the primary
// dies under load, the standby is promoted, and tokend writes again on the
// new primary without a restart, having lost nothing it acknowledged. Also:
// a server that turns read-only is a reason to reconnect (UNAVAILABLE),
// never an internal error.

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/tokend_server/tokend_server.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::testing {
namespace {

namespace v1 = ::tokend::v1;

constexpr char kDatabase[] = "tokend_failover";
constexpr char kStandbyName[] = "tokend_standby";
// Each call's deadline: short, so that calls during the switch fail fast and
// the load threads try again.
constexpr absl::Duration kCallTimeout = absl::Seconds(2);

// libpq's multi-host form: the hosts are tried in order, and a session is
// kept only on a server that accepts writes.
std::string MultiHostDsn(int first_port, int second_port) {
  return absl::StrCat("host=127.0.0.1,127.0.0.1 port=", first_port, ",", second_port,
                      " user=postgres dbname=", kDatabase, " target_session_attrs=read-write");
}

v1::IssueRequest IssueWithRefresh(const std::string& subject) {
  v1::IssueRequest r;
  r.set_subject(subject);
  r.add_audience("api://orders");
  r.add_scopes("orders:read");
  r.set_include_refresh_token(true);
  return r;
}
v1::RefreshRequest RefreshOf(const std::string& token) {
  v1::RefreshRequest r;
  r.set_refresh_token(token);
  return r;
}
v1::RevokeRequest RevokeToken(const std::string& token) {
  v1::RevokeRequest r;
  r.set_token(token);
  return r;
}
v1::RevokeRequest RevokeSubject(const std::string& subject) {
  v1::RevokeRequest r;
  r.set_subject(subject);
  return r;
}
v1::IntrospectRequest IntrospectOf(const std::string& token) {
  v1::IntrospectRequest r;
  r.set_token(token);
  return r;
}

// What no caller may ever see.
bool IsInternalOrUnknown(const absl::Status& s) {
  return s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kUnknown;
}

// One refresh family as a load thread saw it: every OK answer, in order.
struct Chain {
  std::string subject;
  std::vector<std::string> refresh_tokens;  // [0] from Issue, then each OK Refresh's successor
  std::vector<std::string> access_tokens;
  // A Revoke of this family (or its subject) that answered OK; one that did
  // not answer OK may have committed all the same.
  bool revoked = false;
  bool maybe_revoked = false;
  bool subject_revoked = false;
};

// Everything the load threads were told.
struct History {
  std::mutex mu;
  std::vector<Chain> chains;
  std::vector<std::string> revoked_access_tokens;  // Revoke(access token) answered OK
  std::map<std::string, int> outcomes;             // "Refresh UNAVAILABLE" -> count
  std::vector<std::string> violations;
  // When each call that wrote something and answered OK started and ended.
  std::vector<std::pair<absl::Time, absl::Time>> write_ok;
};

// One load thread: Issue with a refresh token, then Refresh, Revoke the
// access token, Revoke the family or (rarely) the subject, recording every
// answer. A call that did not answer OK is repeated later with the same
// input, as api.md's retry guidance says.
void Load(int index, client::TokenClient& client, std::atomic<bool>& stop,
          std::atomic<int>& subject_revocations, History& history) {
  std::mt19937 random(static_cast<unsigned>(index) * 7919u + 17u);
  Chain chain;
  bool have_chain = false;
  int chains = 0;
  auto record = [&](const char* rpc, const absl::Status& s, absl::Time started) {
    std::lock_guard<std::mutex> lock(history.mu);
    ++history.outcomes[absl::StrCat(rpc, " ", absl::StatusCodeToString(s.code()))];
    if (IsInternalOrUnknown(s)) {
      history.violations.push_back(absl::StrCat(rpc, " answered ", s.ToString()));
    }
    if (s.ok()) history.write_ok.emplace_back(started, absl::Now());
  };
  auto end_chain = [&] {
    std::lock_guard<std::mutex> lock(history.mu);
    history.chains.push_back(std::move(chain));
    chain = Chain();
    have_chain = false;
  };
  while (!stop.load()) {
    const absl::Time started = absl::Now();
    if (!have_chain) {
      const std::string subject = absl::StrCat("failover-", index, "-", chains);
      absl::StatusOr<v1::IssueResponse> r = client.Issue(IssueWithRefresh(subject));
      record("Issue", r.status(), started);
      if (r.ok()) {
        ++chains;
        chain.subject = subject;
        chain.refresh_tokens.push_back(r->refresh_token());
        chain.access_tokens.push_back(r->access_token());
        have_chain = true;
      }
      continue;
    }
    const int dice = static_cast<int>(random() % 20);
    if (dice == 0 && subject_revocations.fetch_add(1) < 20) {
      absl::Status s = client.Revoke(RevokeSubject(chain.subject)).status();
      record("Revoke(subject)", s, started);
      if (s.ok()) {
        chain.revoked = chain.subject_revoked = true;
        end_chain();
      } else {
        chain.maybe_revoked = true;
      }
    } else if (dice <= 2) {
      absl::Status s = client.Revoke(RevokeToken(chain.refresh_tokens.back())).status();
      record("Revoke(refresh)", s, started);
      if (s.ok()) {
        chain.revoked = true;
        end_chain();
      } else {
        chain.maybe_revoked = true;
      }
    } else if (dice <= 4) {
      const std::string access = chain.access_tokens.back();
      absl::Status s = client.Revoke(RevokeToken(access)).status();
      record("Revoke(access)", s, started);
      if (s.ok()) {
        std::lock_guard<std::mutex> lock(history.mu);
        history.revoked_access_tokens.push_back(access);
      }
    } else {
      absl::StatusOr<v1::RefreshResponse> r =
          client.Refresh(RefreshOf(chain.refresh_tokens.back()));
      record("Refresh", r.status(), started);
      if (r.ok()) {
        chain.refresh_tokens.push_back(r->refresh_token());
        chain.access_tokens.push_back(r->access_token());
        if (chain.refresh_tokens.size() >= 12) end_chain();  // a fresh family now and then
      } else if (r.status().code() == absl::StatusCode::kUnauthenticated && !chain.maybe_revoked) {
        // The token was handed out in an OK answer, or is being retried
        // after an answer that was lost: it must redeem.
        std::lock_guard<std::mutex> lock(history.mu);
        history.violations.push_back(
            absl::StrCat("Refresh of an acknowledged token of ", chain.subject, " refused"));
        end_chain();
      } else if (r.status().code() == absl::StatusCode::kUnauthenticated) {
        end_chain();  // a Revoke whose answer was lost did commit
      }
    }
  }
  if (have_chain) end_chain();
}

// Polls until a write through `client` answers OK or `timeout` passes.
bool WriteSucceedsWithin(client::TokenClient& client, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  do {
    if (client.Issue(IssueWithRefresh("probe")).ok()) return true;
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < give_up);
  return false;
}

// A primary and its streaming standby (synchronous when asked), and a test
// bed (PKI, signing key, database migrated on the primary).
struct Replicated {
  PostgresCluster primary;
  PostgresCluster standby;
  std::unique_ptr<TokendTestBed> bed;

  absl::Status Start(bool synchronous) {
    if (absl::Status s = primary.Start(); !s.ok()) return s;
    if (absl::Status s = standby.StartStandbyOf(primary, kStandbyName); !s.ok()) return s;
    if (synchronous) {
      if (absl::Status s = primary.RequireSynchronousStandby(kStandbyName); !s.ok()) return s;
    }
    absl::StatusOr<std::unique_ptr<TokendTestBed>> made = TokendTestBed::New(primary, kDatabase);
    if (!made.ok()) return made.status();
    bed = *std::move(made);
    return absl::OkStatus();
  }
};

// A tokend of `bed` on `dsn`, and a client of it whose calls have `timeout`.
struct Tokend {
  std::unique_ptr<TokendServer> server;
  std::unique_ptr<client::TokenClient> client;

  absl::Status Start(TokendTestBed& bed, const std::string& dsn, absl::Duration timeout) {
    TokendConfig config = bed.Config();
    config.dsn = dsn;
    absl::StatusOr<std::unique_ptr<TokendServer>> started = bed.StartServer(config);
    if (!started.ok()) return started.status();
    server = *std::move(started);
    absl::StatusOr<std::unique_ptr<client::TokenClient>> made =
        bed.Client(*server, bed.pki().client_uri(), timeout);
    if (!made.ok()) return made.status();
    client = *std::move(made);
    return absl::OkStatus();
  }
};

TEST(PostgresFailover, WritesResumeOnThePromotedStandbyAndNothingAcknowledgedIsLost) {
  const absl::Time test_start = absl::Now();
  Replicated db;
  absl::Status s = db.Start(/*synchronous=*/true);
  ASSERT_TRUE(s.ok()) << s;
  PostgresCluster& primary = db.primary;
  PostgresCluster& standby = db.standby;
  const std::string dsn = MultiHostDsn(primary.port(), standby.port());
  Tokend tokend;
  s = tokend.Start(*db.bed, dsn, kCallTimeout);
  ASSERT_TRUE(s.ok()) << s;
  TokendServer& server = *tokend.server;
  client::TokenClient& checker = *tokend.client;

  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<client::TokenClient>> clients;
  for (int i = 0; i < kThreads; ++i) {
    absl::StatusOr<std::unique_ptr<client::TokenClient>> c =
        db.bed->Client(server, db.bed->pki().client_uri(), kCallTimeout);
    ASSERT_TRUE(c.ok()) << c.status();
    clients.push_back(*std::move(c));
  }

  History history;
  std::atomic<bool> stop{false};
  std::atomic<int> subject_revocations{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { Load(i, *clients[i], stop, subject_revocations, history); });
  }
  struct JoinOnExit {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~JoinOnExit() {
      stop = true;
      for (std::thread& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_on_exit{stop, threads};

  absl::SleepFor(absl::Seconds(3));
  // The failover, as a manager does it: the primary is gone (no clean
  // shutdown), the synchronous standby is promoted.
  const absl::Time primary_died = absl::Now();
  s = primary.StopImmediately();
  ASSERT_TRUE(s.ok()) << s;
  const absl::Time primary_gone = absl::Now();
  absl::SleepFor(absl::Seconds(1));
  const absl::Time promoting = absl::Now();
  s = standby.Promote();
  ASSERT_TRUE(s.ok()) << s;
  const absl::Time promoted = absl::Now();

  // Writes resume within 10 s of the promotion, on the same process: a
  // write that started after it answers OK.
  absl::Time resumed = absl::InfiniteFuture();
  while (absl::Now() < promoted + absl::Seconds(10)) {
    {
      std::lock_guard<std::mutex> lock(history.mu);
      for (const auto& [started, ended] : history.write_ok) {
        if (started >= promoted) resumed = std::min(resumed, ended);
      }
    }
    if (resumed != absl::InfiniteFuture()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_NE(resumed, absl::InfiniteFuture())
      << "no write answered OK within 10 s of the promotion\n"
      << server.log();
  std::fprintf(stderr,
               "[failover] first write OK %s after the promotion, %s after the primary died\n",
               absl::FormatDuration(resumed - promoted).c_str(),
               absl::FormatDuration(resumed - primary_died).c_str());
  absl::SleepFor(absl::Seconds(2));  // more load on the new primary
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(server.running()) << "tokend exited:\n" << server.log();
  // The switch is an outage, not a malfunction: nothing was logged as an
  // error (an unexpected database error would be).
  EXPECT_EQ(server.log().find("level=error"), std::string::npos) << server.log();

  // No write can succeed while no server accepts writes.
  int without_primary = 0;
  for (const auto& [started, ended] : history.write_ok) {
    if (started > primary_gone && ended < promoting) ++without_primary;
  }
  EXPECT_EQ(without_primary, 0) << "writes acknowledged while no primary ran";

  // A fresh replica loads its revocations from the new primary: what it
  // says proves what the database holds, not what the first process
  // remembers.
  Tokend fresh;
  s = fresh.Start(*db.bed, dsn, absl::Seconds(10));
  ASSERT_TRUE(s.ok()) << s;

  auto inactive_on_both = [&](const std::string& token, const std::string& what) {
    for (client::TokenClient* c : {&checker, fresh.client.get()}) {
      absl::StatusOr<v1::IntrospectResponse> r = c->Introspect(IntrospectOf(token));
      if (!r.ok() || r->active()) {
        history.violations.push_back(
            absl::StrCat(what, (c == &checker ? " (same replica)" : " (fresh replica)"), ": ",
                         r.ok() ? "active" : r.status().ToString()));
      }
    }
  };
  int revocations_checked = 0;
  int rotations_checked = 0;
  for (const std::string& access : history.revoked_access_tokens) {
    inactive_on_both(access, "an acknowledged revocation of an access token is lost");
    ++revocations_checked;
  }
  for (const Chain& chain : history.chains) {
    if (chain.revoked) {
      ++revocations_checked;
      inactive_on_both(chain.refresh_tokens.back(),
                       absl::StrCat("the revoked family of ", chain.subject, " is active"));
      inactive_on_both(
          chain.access_tokens.back(),
          absl::StrCat("an access token of the revoked family of ", chain.subject, " is active"));
      continue;
    }
    if (chain.maybe_revoked) continue;  // its state is not known
    // The newest acknowledged refresh token redeems: the Issue or rotation
    // that produced it was kept. Then its predecessor, used, is reuse.
    absl::StatusOr<v1::RefreshResponse> newest =
        checker.Refresh(RefreshOf(chain.refresh_tokens.back()));
    if (!newest.ok()) {
      history.violations.push_back(
          absl::StrCat("the newest acknowledged refresh token of ", chain.subject, " (after ",
                       chain.refresh_tokens.size() - 1,
                       " rotations) does not redeem: ", newest.status().ToString()));
      continue;
    }
    if (chain.refresh_tokens.size() < 2) continue;
    ++rotations_checked;
    absl::StatusOr<v1::RefreshResponse> again =
        checker.Refresh(RefreshOf(chain.refresh_tokens[chain.refresh_tokens.size() - 2]));
    if (again.status().code() != absl::StatusCode::kUnauthenticated) {
      history.violations.push_back(absl::StrCat(
          "a rotated refresh token of ", chain.subject,
          " redeems again after its successor was redeemed: ", again.status().ToString()));
    }
  }

  std::fprintf(stderr, "[failover] %zu families, %d revocations and %d rotations checked\n",
               history.chains.size(), revocations_checked, rotations_checked);
  for (const auto& [outcome, n] : history.outcomes) {
    std::fprintf(stderr, "[failover]   %-32s %d\n", outcome.c_str(), n);
  }
  EXPECT_GT(revocations_checked, 0);
  EXPECT_GT(rotations_checked, 0);
  EXPECT_TRUE(history.violations.empty()) << absl::StrJoin(history.violations, "\n");
  std::fprintf(stderr, "[failover] test took %s\n",
               absl::FormatDuration(absl::Now() - test_start).c_str());
}

// A DSN listing a standby first and naming no target_session_attrs: libpq
// alone would keep every session on the standby, where no write and no
// LISTEN can ever succeed. tokend asks for a writable server itself.
TEST(PostgresFailover, AStandbyListedFirstIsPassedOverWhenTheDsnNamesNoTargetSessionAttrs) {
  Replicated db;
  absl::Status s = db.Start(/*synchronous=*/false);
  ASSERT_TRUE(s.ok()) << s;
  Tokend tokend;
  s = tokend.Start(*db.bed,
                   absl::StrCat("host=127.0.0.1,127.0.0.1 port=", db.standby.port(), ",",
                                db.primary.port(), " user=postgres dbname=", kDatabase),
                   kCallTimeout);
  ASSERT_TRUE(s.ok()) << s;
  client::TokenClient* c = tokend.client.get();
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueWithRefresh("standby-first"));
  ASSERT_TRUE(issued.ok()) << issued.status();
  absl::StatusOr<v1::RefreshResponse> refreshed = c->Refresh(RefreshOf(issued->refresh_token()));
  EXPECT_TRUE(refreshed.ok()) << refreshed.status();
  const absl::Status revoked = c->Revoke(RevokeToken(issued->access_token())).status();
  EXPECT_TRUE(revoked.ok()) << revoked;
  const std::string log = tokend.server->log();
  EXPECT_EQ(log.find("revocation feed cannot listen"), std::string::npos) << log;
  EXPECT_EQ(log.find("sqlstate=25006"), std::string::npos) << log;
}

// The first host of the DSN refuses connections (nothing listens on port 1),
// the second is the server, which then turns read-only (as a demoted primary,
// or one whose disk filled, is made by its operator): writes answer
// UNAVAILABLE, whether on a pooled session (SQLSTATE 25006) or a new one
// (refused by target_session_attrs), and succeed again once it is writable,
// without a restart.
TEST(PostgresReadOnly, AServerThatTurnsReadOnlyIsUnavailableNotInternalUntilItIsWritableAgain) {
  PostgresCluster cluster;
  ASSERT_TRUE(cluster.Start().ok());
  absl::StatusOr<std::unique_ptr<TokendTestBed>> bed = TokendTestBed::New(cluster, kDatabase);
  ASSERT_TRUE(bed.ok()) << bed.status();
  Tokend tokend;
  absl::Status s = tokend.Start(**bed, MultiHostDsn(1, cluster.port()), kCallTimeout);
  ASSERT_TRUE(s.ok()) << s;
  client::TokenClient* c = tokend.client.get();
  TokendServer& server = *tokend.server;
  absl::StatusOr<v1::IssueResponse> family = c->Issue(IssueWithRefresh("ro-before"));
  ASSERT_TRUE(family.ok()) << family.status();

  auto read_only = [&](bool on) {
    absl::StatusOr<std::string> out = cluster.Psql(
        "postgres",
        absl::StrCat("ALTER SYSTEM SET default_transaction_read_only = ", on ? "on" : "off"));
    ASSERT_TRUE(out.ok()) << out.status();
    out = cluster.Psql("postgres", "SELECT pg_reload_conf()");
    ASSERT_TRUE(out.ok()) << out.status();
  };
  read_only(true);

  // A pooled session takes the new setting after its next statement: the
  // first writes may still succeed.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  absl::Status write;
  do {
    write = c->Issue(IssueWithRefresh("ro-during")).status();
  } while (write.ok() && absl::Now() < give_up);
  EXPECT_EQ(write.code(), absl::StatusCode::kUnavailable) << write;
  for (int i = 0; i < 5; ++i) {
    const absl::Status issue = c->Issue(IssueWithRefresh("ro-during")).status();
    EXPECT_EQ(issue.code(), absl::StatusCode::kUnavailable) << issue;
    const absl::Status refresh = c->Refresh(RefreshOf(family->refresh_token())).status();
    EXPECT_EQ(refresh.code(), absl::StatusCode::kUnavailable) << refresh;
    const absl::Status revoke = c->Revoke(RevokeToken(family->access_token())).status();
    EXPECT_EQ(revoke.code(), absl::StatusCode::kUnavailable) << revoke;
  }
  // The read-only session was met, and told apart from a broken one.
  EXPECT_NE(server.log().find("sqlstate=25006"), std::string::npos) << server.log();
  // What needs no write still works.
  absl::StatusOr<v1::IntrospectResponse> introspected =
      c->Introspect(IntrospectOf(family->access_token()));
  ASSERT_TRUE(introspected.ok()) << introspected.status();
  EXPECT_TRUE(introspected->active()) << "a failed Revoke was applied";

  read_only(false);
  EXPECT_TRUE(WriteSucceedsWithin(*c, absl::Seconds(10))) << server.log();
  absl::StatusOr<v1::RefreshResponse> refreshed = c->Refresh(RefreshOf(family->refresh_token()));
  EXPECT_TRUE(refreshed.ok()) << refreshed.status() << ": the failed Refresh used it up";
  EXPECT_TRUE(server.running());
  EXPECT_EQ(server.log().find("level=error"), std::string::npos) << server.log();
}

// With the synchronous standby gone, a commit waits for it; an operator who
// cancels that wait (pg_cancel_backend) makes PostgreSQL report the commit
// as done, with a warning, though only the primary has it. tokend must not
// answer OK then: a failover would take the write back.
TEST(PostgresSynchronousCommit, ACommitWhoseWaitForTheStandbyIsCancelledIsNotAcknowledged) {
  Replicated db;
  absl::Status s = db.Start(/*synchronous=*/true);
  ASSERT_TRUE(s.ok()) << s;
  PostgresCluster& primary = db.primary;
  PostgresCluster& standby = db.standby;
  const std::string dsn = MultiHostDsn(primary.port(), standby.port());
  Tokend tokend;
  s = tokend.Start(*db.bed, dsn, absl::Seconds(30));
  ASSERT_TRUE(s.ok()) << s;
  client::TokenClient* c = tokend.client.get();
  absl::StatusOr<v1::IssueResponse> issued = c->Issue(IssueWithRefresh("sync-cancel"));
  ASSERT_TRUE(issued.ok()) << issued.status();

  ASSERT_TRUE(standby.Stop().ok());  // commits on the primary now wait for it
  absl::Status revoke;
  std::thread revoking([&] { revoke = c->Revoke(RevokeToken(issued->access_token())).status(); });
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  bool cancelled = false;
  while (!cancelled && absl::Now() < give_up) {
    absl::StatusOr<std::string> out = primary.Psql(
        "postgres", absl::StrCat("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE "
                                 "wait_event = 'SyncRep' AND datname = '",
                                 kDatabase, "'"));
    ASSERT_TRUE(out.ok()) << out.status();
    cancelled = *out == "t";
    if (!cancelled) absl::SleepFor(absl::Milliseconds(50));
  }
  revoking.join();
  ASSERT_TRUE(cancelled) << "no commit of tokend waited for the standby";
  EXPECT_EQ(revoke.code(), absl::StatusCode::kUnavailable)
      << revoke << ": a revocation only the primary has was acknowledged";

  // The caller retries, as UNAVAILABLE asks; once the standby is back, the
  // retry is acknowledged, and it survives the failover.
  ASSERT_TRUE(standby.StartAgain().ok());
  absl::Status retried;
  do {
    retried = c->Revoke(RevokeToken(issued->access_token())).status();
  } while (!retried.ok() && absl::Now() < give_up + absl::Seconds(20));
  ASSERT_TRUE(retried.ok()) << retried;
  ASSERT_TRUE(primary.StopImmediately().ok());
  ASSERT_TRUE(standby.Promote().ok());
  Tokend fresh;
  s = fresh.Start(*db.bed, dsn, absl::Seconds(10));
  ASSERT_TRUE(s.ok()) << s;
  absl::StatusOr<v1::IntrospectResponse> after =
      fresh.client->Introspect(IntrospectOf(issued->access_token()));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->active()) << "the acknowledged revocation was lost in the failover";
}

}  // namespace
}  // namespace tokend::testing
