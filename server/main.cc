// tokend: the only place that reads the command line and the configuration
// and names concrete classes. Everything else receives interfaces.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/work_queue.h"
#include "config/config.h"
#include "config/load_config.h"
#include "crypto/signature_algorithm.h"
#include "keys/jwk.h"
#include "keys/key_envelope.h"
#include "keys/key_ring.h"
#include "ops/metrics.h"
#include "ops/ops_server.h"
#include "rpc/api_server.h"
#include "rpc/revocation_watch.h"
#include "rpc/server_credentials.h"
#include "rpc/token_service_impl.h"
#include "service/key_file_watcher.h"
#include "service/managed_keys.h"
#include "service/policy.h"
#include "service/random_id.h"
#include "service/revocation_log.h"
#include "service/revocation_set.h"
#include "service/revocation_sync.h"
#include "service/token_service.h"
#include "store/postgres/database.h"
#include "store/postgres/migrations.h"
#include "store/postgres/pg_refresh_token_store.h"
#include "store/postgres/pg_revocation_feed.h"
#include "store/postgres/pg_revocation_store.h"
#include "store/postgres/pg_signing_key_store.h"

#ifndef TOKEND_VERSION
#define TOKEND_VERSION "dev"
#endif

namespace tokend {
namespace {

using common::Log;
using common::LogLevel;

// Start-up failures: one clear line on stderr, then a non-zero exit.
int Fail(const absl::Status& status) {
  std::fprintf(stderr, "tokend: %s\n", std::string(status.message()).c_str());
  return 1;
}

int Usage() {
  std::fprintf(stderr,
               "usage: tokend [serve|migrate] --config FILE\n"
               "       tokend keys list|rotate [--now]|revoke KID|rewrap --config FILE\n"
               "       tokend keys import FILE --alg ALG [--kid KID] [--now] --config FILE\n"
               "       tokend version\n");
  return 2;
}

absl::StatusOr<std::unique_ptr<store::postgres::Database>> OpenDatabase(
    const config::Config& config) {
  return store::postgres::Database::Open(
      store::postgres::DatabaseOptions{.dsn = config.database.dsn,
                                       .pool_size = config.database.pool_size,
                                       .connect_timeout = config.database.connect_timeout});
}

struct ReachableDatabase {
  std::unique_ptr<store::postgres::Database> db;
  int schema_version;
};

// The database and its schema version, retrying UNAVAILABLE for up to 30 s:
// when tokend and PostgreSQL start together (a fresh cluster, a pod restart)
// the database may refuse the first connections or queries for a few seconds.
absl::StatusOr<ReachableDatabase> OpenReachableDatabase(const config::Config& config) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (true) {
    absl::Status status;
    absl::StatusOr<std::unique_ptr<store::postgres::Database>> db = OpenDatabase(config);
    if (db.ok()) {
      absl::StatusOr<int> version = store::postgres::CurrentSchemaVersion(**db);
      if (version.ok()) return ReachableDatabase{*std::move(db), *version};
      status = version.status();
    } else {
      status = db.status();
    }
    if (status.code() != absl::StatusCode::kUnavailable || absl::Now() >= give_up) {
      return status;
    }
    Log(LogLevel::kWarning, "database not reachable yet; retrying", {{"error", status.message()}});
    absl::SleepFor(absl::Seconds(1));
  }
}

// The database, once its schema is the one this binary needs (migrated here
// if database.migrate_on_start says so); FAILED_PRECONDITION when it is older.
absl::StatusOr<std::unique_ptr<store::postgres::Database>> OpenCurrentDatabase(
    const config::Config& config) {
  absl::StatusOr<ReachableDatabase> reachable = OpenReachableDatabase(config);
  if (!reachable.ok()) return reachable.status();
  std::unique_ptr<store::postgres::Database> db = std::move(reachable->db);
  if (reachable->schema_version < store::postgres::kSchemaVersion) {
    if (!config.database.migrate_on_start) {
      return absl::FailedPreconditionError(
          absl::StrCat("database schema is at version ", reachable->schema_version,
                       " but this binary needs version ", store::postgres::kSchemaVersion,
                       ": run `tokend migrate` or set database.migrate_on_start"));
    }
    if (absl::Status s = store::postgres::Migrate(*db); !s.ok()) return s;
  }
  return db;
}

int RunMigrate(const config::Config& config) {
  absl::StatusOr<ReachableDatabase> reachable = OpenReachableDatabase(config);
  if (!reachable.ok()) return Fail(reachable.status());
  if (absl::Status s = store::postgres::Migrate(*reachable->db); !s.ok()) return Fail(s);
  Log(LogLevel::kInfo, "database migrated",
      {{"from_version", absl::StrCat(reachable->schema_version)},
       {"to_version", absl::StrCat(store::postgres::kSchemaVersion)}});
  return 0;
}

// The signing_keys entries as the watcher's list (the algorithm names are
// checked by the configuration's loader; checked again here, cheaply).
absl::StatusOr<std::vector<service::KeyFile>> KeyFilesFromConfig(const config::Config& config) {
  std::vector<service::KeyFile> files;
  for (size_t i = 0; i < config.signing_keys.size(); ++i) {
    const config::SigningKeyConfig& entry = config.signing_keys[i];
    std::optional<crypto::Algorithm> alg = crypto::AlgorithmFromName(entry.alg);
    if (!alg.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("signing_keys[", i, "].alg: unknown algorithm \"", entry.alg, "\""));
    }
    files.push_back(service::KeyFile{.path = entry.file, .alg = *alg, .kid = entry.kid});
  }
  return files;
}

absl::StatusOr<keys::KekSet> LoadKeks(const config::Config& config) {
  std::vector<keys::Kek> keks;
  for (const std::string& file : config.keys.kek_files) {
    absl::StatusOr<keys::Kek> kek = keys::ReadKekFile(file);
    if (!kek.ok()) return kek.status();
    keks.push_back(*std::move(kek));
  }
  return keys::KekSet::New(std::move(keks));
}

absl::StatusOr<std::unique_ptr<service::ManagedKeys>> NewManagedKeys(const config::Config& config,
                                                                     store::SigningKeyStore* store,
                                                                     const common::Clock* clock) {
  absl::StatusOr<keys::KekSet> keks = LoadKeks(config);
  if (!keks.ok()) return keks.status();
  std::optional<crypto::Algorithm> alg = crypto::AlgorithmFromName(config.keys.alg);
  if (!alg.has_value()) return absl::InvalidArgumentError("keys.alg: unknown algorithm");
  return std::make_unique<service::ManagedKeys>(
      store, *std::move(keks),
      service::ManagedKeysOptions{.alg = *alg,
                                  .schedule = {.rotate_every = config.keys.rotate_every,
                                               .publish_ahead = config.keys.publish_ahead,
                                               .retain_after = config.keys.retain_after}},
      clock);
}

// The configuration's callers as the service's policy.
absl::StatusOr<std::shared_ptr<const service::Policy>> PolicyFromConfig(
    const config::Config& config) {
  std::vector<service::CallerPolicy> callers;
  callers.reserve(config.callers.size());
  for (const config::CallerOptions& caller : config.callers) {
    callers.push_back(service::CallerPolicy{
        .id = caller.id,
        .rpcs = caller.rpcs,
        .issue_for_others = caller.issue_for_others,
        .audiences = caller.audiences,
        .scopes = caller.scopes,
        .max_ttl = caller.max_ttl,
        .introspect_own_audiences_only = caller.introspect_own_audiences_only});
  }
  return service::Policy::New(std::move(callers));
}

// The configuration's issuer and token lifetimes as the service's options.
service::ServiceOptions ServiceOptionsFromConfig(const config::Config& config,
                                                 std::string refresh_successor_key) {
  return service::ServiceOptions{
      .issuer = config.issuer,
      .access_ttl = config.tokens.access_ttl,
      .refresh_idle_ttl = config.tokens.refresh_idle_ttl,
      .refresh_absolute_ttl = config.tokens.refresh_absolute_ttl,
      .leeway = config.tokens.leeway,
      .refresh_retry_window = config.tokens.refresh_retry_window,
      .refresh_successor_key = std::move(refresh_successor_key),
      .subject_revocations_per_minute = config.limits.subject_revocations_per_minute,
      .introspect_cache_bytes = static_cast<size_t>(config.limits.introspect_cache_bytes)};
}

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// Blocks until SIGTERM or SIGINT (blocked in every thread by Main) arrives.
int WaitForShutdownSignal() {
  sigset_t signals = ShutdownSignals();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return signal_number;
}

absl::Status AddMetrics(ops::Metrics& metrics, const common::Clock& clock,
                        const service::RevocationSet& revocation_set,
                        const service::TokenService& token_service,
                        const store::postgres::Database& db, const common::WorkQueue& database_work,
                        const rpc::RevocationWatchers& watchers) {
  for (absl::Status s : {
           metrics.AddGauge("tokend_revocations", "Revocations held in memory",
                            [&] { return static_cast<double>(revocation_set.size()); }),
           metrics.AddGauge("tokend_revocation_view_age_seconds",
                            "Seconds since this replica last proved its revocation view complete",
                            [&] { return absl::ToDoubleSeconds(revocation_set.Age(clock.Now())); }),
           metrics.AddCounter("tokend_refresh_reuse_detected_total",
                              "Refresh tokens redeemed twice; each revoked its family",
                              [&] {
                                return static_cast<double>(
                                    token_service.counters().refresh_reuse_detected.load());
                              }),
           metrics.AddGauge("tokend_db_pool_connections_in_use", "Pooled connections in use",
                            [&] { return static_cast<double>(db.stats().in_use); }),
           metrics.AddGauge("tokend_db_pool_size", "Pooled connections at most",
                            [&] { return static_cast<double>(db.stats().size); }),
           metrics.AddGauge("tokend_db_queue_backlog", "Database calls waiting for a worker",
                            [&] { return static_cast<double>(database_work.backlog()); }),
           metrics.AddGauge("tokend_watch_streams", "WatchRevocations streams open",
                            [&] { return static_cast<double>(watchers.open_streams()); }),
       }) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status AddManagedKeyMetrics(ops::Metrics& metrics, const service::ManagedKeys& keys) {
  for (absl::Status s : {
           metrics.AddGauge("tokend_signing_key_age_seconds",
                            "Seconds since the signing key in force began to sign",
                            [&] { return keys.stats().signing_key_age_seconds; }),
           metrics.AddGauge("tokend_signing_key_next_rotation_seconds",
                            "Seconds until the next key is due to sign (0: overdue)",
                            [&] { return keys.stats().seconds_to_next_rotation; }),
           metrics.AddGauge("tokend_signing_keys_published", "Keys in the JWK Set",
                            [&] { return static_cast<double>(keys.stats().keys_published); }),
           metrics.AddGauge("tokend_signing_keys_revoked",
                            "Revoked managed keys still recorded (until their delete_after)",
                            [&] { return static_cast<double>(keys.stats().keys_revoked); }),
       }) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

int RunServe(const config::Config& config) {
  common::RealClock clock;

  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> key_ring;
  // File keys are loaded (and their contents noted) first of all: a file
  // replaced while tokend waits for the database below is loaded again.
  std::unique_ptr<service::KeyFileWatcher> key_file_watcher;
  if (!config.keys.managed) {
    absl::StatusOr<std::vector<service::KeyFile>> files = KeyFilesFromConfig(config);
    if (!files.ok()) return Fail(files.status());
    absl::StatusOr<std::unique_ptr<service::KeyFileWatcher>> watcher =
        service::KeyFileWatcher::New(*std::move(files));
    if (!watcher.ok()) return Fail(watcher.status());
    key_file_watcher = *std::move(watcher);
    key_ring = key_file_watcher->ring();
  }
  absl::StatusOr<std::shared_ptr<const service::Policy>> policy = PolicyFromConfig(config);
  if (!policy.ok()) return Fail(policy.status());
  const rpc::TlsFiles tls_files{.cert_file = config.tls.cert_file,
                                .key_file = config.tls.key_file,
                                .client_ca_file = config.tls.client_ca_file,
                                .reload_interval = config.tls.reload_interval};
  if (absl::Status s = rpc::CheckTlsFiles(tls_files); !s.ok()) return Fail(s);

  absl::StatusOr<std::unique_ptr<store::postgres::Database>> db = OpenCurrentDatabase(config);
  if (!db.ok()) return Fail(db.status());

  store::postgres::PgRefreshTokenStore refresh_tokens(db->get());
  store::postgres::PgRevocationStore revocations(db->get());
  store::postgres::PgRevocationFeed feed(
      store::postgres::DatabaseOptions{.dsn = config.database.dsn,
                                       .pool_size = 1,
                                       .connect_timeout = config.database.connect_timeout,
                                       .application_name = "tokend-feed"},
      &revocations, config.revocation_resync_interval, &clock);
  store::postgres::PgSigningKeyStore signing_keys(db->get());
  std::unique_ptr<service::ManagedKeys> managed_keys;
  if (config.keys.managed) {
    absl::StatusOr<std::unique_ptr<service::ManagedKeys>> made =
        NewManagedKeys(config, &signing_keys, &clock);
    if (!made.ok()) return Fail(made.status());
    managed_keys = *std::move(made);
    key_ring = managed_keys->Start();
    if (!key_ring.ok()) return Fail(key_ring.status());
    // A key change (a new key, a revocation) reaches this replica at once
    // through the feed's LISTEN session; ManagedKeys re-reads every second
    // besides.
    feed.AlsoListen("tokend_signing_keys", [&] { managed_keys->Poke(); });
  }
  // Positions of this process's watch events carry a random epoch, so that
  // a watcher can tell them from another replica's (or an earlier run's).
  absl::StatusOr<std::string> epoch = service::RandomId(service::kIdRandomBytes);
  if (!epoch.ok()) return Fail(epoch.status());
  service::RevocationLog revocation_log(*std::move(epoch),
                                        static_cast<size_t>(config.watch.history_events));
  service::RevocationSet revocation_set(config.revocation_max_staleness, &revocation_log);
  service::RevocationSync revocation_sync(&revocations, &feed, &revocation_set, &clock, {});
  if (absl::Status s = revocation_sync.Start(); !s.ok()) return Fail(s);

  absl::StatusOr<std::string> successor_key =
      (*db)->SharedSecret("refresh_successor_key", absl::Now() + absl::Seconds(30));
  if (!successor_key.ok()) return Fail(successor_key.status());
  absl::StatusOr<std::unique_ptr<service::TokenService>> token_service = service::TokenService::New(
      ServiceOptionsFromConfig(config, *std::move(successor_key)), *policy, *key_ring,
      &refresh_tokens, &revocations, &revocation_set, &clock);
  if (!token_service.ok()) return Fail(token_service.status());
  if (managed_keys != nullptr) {
    managed_keys->Watch(
        [&](std::shared_ptr<const keys::KeyRing> ring) {
          if (absl::Status s = (*token_service)->SetKeyRing(std::move(ring)); !s.ok()) {
            Log(LogLevel::kError, "managed keys: the new key ring was refused",
                {{"error", s.message()}});
          }
        },
        // A revoked key is a revocation too: watchers (verifiers that may
        // still hold it from an earlier JWK Set) learn it from the view.
        [&](const store::Revocation& revoked) { revocation_set.Add(revoked); });
  } else {
    key_file_watcher->Start(config.keys.file_reload_interval,
                            [&](std::shared_ptr<const keys::KeyRing> ring) {
                              return (*token_service)->SetKeyRing(std::move(ring));
                            });
  }
  // Both call into the service: stopped before it goes, on every return.
  absl::Cleanup stop_key_updates = [&] {
    if (managed_keys != nullptr) managed_keys->Stop();
    if (key_file_watcher != nullptr) key_file_watcher->Stop();
  };

  // Database calls run on these workers, beyond them they wait in a bounded
  // backlog. PostgreSQL never sees more than pool_size sessions (the pool
  // bounds them); the workers are more, 16 per connection, because durable
  // writes are group-committed: every worker waiting on a write joins the
  // next batch, so batches (and the writes per commit) can only be as large
  // as the number of workers. Callers take turns, each with at most
  // max_in_flight_per_caller calls waiting or running.
  const size_t pool_size = static_cast<size_t>(config.database.pool_size);
  common::WorkQueue database_work(pool_size * 16, pool_size * 128,
                                  static_cast<size_t>(config.limits.max_in_flight_per_caller));

  rpc::RevocationWatchers watchers(
      &revocation_set, &revocation_log, &clock,
      rpc::WatchOptions{.heartbeat_interval = config.watch.heartbeat_interval,
                        .max_pending_events = static_cast<size_t>(config.watch.max_pending_events),
                        .max_watchers = static_cast<size_t>(config.watch.max_watchers)});

  ops::Metrics metrics;
  if (absl::Status s = AddMetrics(metrics, clock, revocation_set, **token_service, **db,
                                  database_work, watchers);
      !s.ok()) {
    return Fail(s);
  }
  if (managed_keys != nullptr) {
    if (absl::Status s = AddManagedKeyMetrics(metrics, *managed_keys); !s.ok()) return Fail(s);
  }

  rpc::TokenServiceImpl api(token_service->get(), &database_work, &watchers);
  absl::StatusOr<std::unique_ptr<rpc::ApiServer>> api_server =
      rpc::ApiServer::Start({.listen = config.listen,
                             .tls = tls_files,
                             .can_serve = [&] { return revocation_set.IsCurrent(clock.Now()); },
                             .max_connection_age = config.tls.max_connection_age,
                             .max_connection_age_grace = config.tls.max_connection_age_grace,
                             .handshake_timeout = config.tls.handshake_timeout,
                             .max_concurrent_streams = config.limits.max_concurrent_streams,
                             .reflection = config.reflection},
                            &api, &metrics);
  if (!api_server.ok()) return Fail(api_server.status());

  std::unique_ptr<ops::OpsServer> ops_server;
  if (!config.ops_listen.empty()) {
    absl::StatusOr<std::unique_ptr<ops::OpsServer>> started = ops::OpsServer::Start(
        config.ops_listen, ops::OpsHandlers{.ready = [&]() -> absl::Status {
                                              if ((*api_server)->draining())
                                                return absl::UnavailableError("draining");
                                              return (*db)->Ping(absl::Now() + absl::Seconds(2));
                                            },
                                            .jwks_json = [&] { return (*token_service)->Jwks(); },
                                            .metrics = &metrics});
    if (!started.ok()) return Fail(started.status());
    ops_server = *std::move(started);
  }
  Log(LogLevel::kInfo, "serving",
      {{"version", TOKEND_VERSION},
       {"api_port", absl::StrCat((*api_server)->port())},
       {"ops_port", absl::StrCat(ops_server ? ops_server->port() : 0)},
       {"primary_kid", (*token_service)->key_ring()->primary().kid},
       {"keys", config.keys.managed ? "managed" : "files"}});

  const int signal_number = WaitForShutdownSignal();
  Log(LogLevel::kInfo, "draining", {{"signal", strsignal(signal_number)}});
  (*api_server)->Drain(config.shutdown_delay, config.shutdown_grace);
  revocation_sync.Stop();
  std::move(stop_key_updates).Invoke();
  if (ops_server) ops_server->Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}

std::string JsonTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

// The rows as `tokend keys` prints them: no sealed bytes, and each key's
// state now by this machine's clock.
nlohmann::json KeysJson(const std::vector<store::SigningKeyRecord>& rows, absl::Time now) {
  const service::KeysInForce in_force = service::KeysAt(rows, now);
  nlohmann::json keys = nlohmann::json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const store::SigningKeyRecord& r = rows[i];
    const bool published = std::find(in_force.published.begin(), in_force.published.end(), i) !=
                           in_force.published.end();
    std::string state;
    if (r.revoked_at.has_value()) {
      state = "revoked";
    } else if (in_force.signer == i) {
      state = "signing";
    } else if (published && r.signs_from > now) {
      state = "published";  // next: published ahead, not signing yet
    } else if (published) {
      state = "retired";  // published until its tokens have expired
    } else if (r.publish_from > now) {
      state = "pending";
    } else {
      state = "expired";
    }
    nlohmann::json key = {{"kid", r.kid},
                          {"alg", r.alg},
                          {"state", state},
                          {"kek_id", r.kek_id},
                          {"publish_from", JsonTime(r.publish_from)},
                          {"signs_from", JsonTime(r.signs_from)},
                          {"signs_until", JsonTime(r.signs_until)},
                          {"delete_after", JsonTime(r.delete_after)},
                          {"created_at", JsonTime(r.created_at)},
                          {"imported", r.imported}};
    if (r.revoked_at.has_value()) key["revoked_at"] = JsonTime(*r.revoked_at);
    keys.push_back(std::move(key));
  }
  return nlohmann::json{{"now", JsonTime(now)}, {"keys", std::move(keys)}};
}

// `tokend keys ...`: the managed keys of the database the configuration
// names, for operators (and emergencies). Prints JSON on stdout.
int RunKeys(const config::Config& config, const std::vector<std::string>& args) {
  if (!config.keys.managed) {
    return Fail(
        absl::FailedPreconditionError("keys: the configuration does not set keys.managed: true"));
  }
  auto flag = [&](absl::string_view name) {
    return std::find(args.begin(), args.end(), name) != args.end();
  };
  auto value_of = [&](absl::string_view name) -> std::string {
    auto it = std::find(args.begin(), args.end(), name);
    return it != args.end() && it + 1 != args.end() ? *(it + 1) : std::string();
  };
  const std::string& verb = args.at(0);
  absl::StatusOr<std::unique_ptr<store::postgres::Database>> db = OpenCurrentDatabase(config);
  if (!db.ok()) return Fail(db.status());
  common::RealClock clock;
  store::postgres::PgSigningKeyStore store(db->get());
  absl::StatusOr<std::unique_ptr<service::ManagedKeys>> keys =
      NewManagedKeys(config, &store, &clock);
  if (!keys.ok()) return Fail(keys.status());

  absl::StatusOr<std::vector<store::SigningKeyRecord>> rows;
  if (verb == "list") {
    rows = (*keys)->List();
  } else if (verb == "rotate") {
    rows = (*keys)->Rotate(flag("--now"));
  } else if (verb == "revoke") {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0) return Usage();
    rows = (*keys)->Revoke(args[1]);
  } else if (verb == "import") {
    if (args.size() < 2 || args[1].rfind("--", 0) == 0) return Usage();
    std::optional<crypto::Algorithm> alg = crypto::AlgorithmFromName(value_of("--alg"));
    if (!alg.has_value()) {
      return Fail(absl::InvalidArgumentError("keys import: --alg must name a JWS algorithm"));
    }
    absl::StatusOr<keys::Key> key =
        keys::LoadKeyFile(args[1], *alg, value_of("--kid"), /*allow_public_only=*/false);
    if (!key.ok()) return Fail(key.status());
    rows = (*keys)->Import(key->pkey, *alg, key->kid, flag("--now"));
  } else if (verb == "rewrap") {
    absl::StatusOr<int> rewrapped = (*keys)->Rewrap();
    if (!rewrapped.ok()) return Fail(rewrapped.status());
    absl::StatusOr<keys::KekSet> keks = LoadKeks(config);
    nlohmann::json out = {{"rewrapped", *rewrapped},
                          {"kek_id", keks.ok() ? keks->sealing().id : ""}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  } else {
    return Usage();
  }
  if (!rows.ok()) return Fail(rows.status());
  std::printf("%s\n", KeysJson(*rows, clock.Now()).dump().c_str());
  return 0;
}

int Main(int argc, char** argv) {
  // Shutdown signals are taken by sigwait in RunServe; block them before any
  // thread starts so that every thread inherits the mask.
  sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Debian's Abseil is built with Mutex deadlock detection on, which records
  // every lock acquisition in a global graph: on the Introspect path (gRPC's
  // own mutexes are absl::Mutex too) that cost about 5% of the server's CPU.
  // Lock order is a property of the code, checked by the test builds.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::string command = "serve";
  std::string config_path;
  std::vector<std::string> keys_args;  // after `keys`
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (command == "keys" && arg != "--config" && arg.rfind("--config=", 0) != 0) {
      keys_args.push_back(arg);
      if ((arg == "--alg" || arg == "--kid") && i + 1 < argc) keys_args.push_back(argv[++i]);
    } else if (arg == "keys" && i == 1) {
      command = "keys";
    } else if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(std::strlen("--config="));
    } else if (arg == "serve" || arg == "migrate" || arg == "version") {
      command = arg;
    } else if (arg == "--version") {
      command = "version";
    } else {
      std::fprintf(stderr, "tokend: unknown argument \"%s\"\n", arg.c_str());
      return Usage();
    }
  }
  if (command == "version") {
    std::printf("tokend %s\n", TOKEND_VERSION);
    return 0;
  }
  if (command == "keys" && keys_args.empty()) return Usage();
  if (config_path.empty()) {
    std::fprintf(stderr, "tokend: --config FILE is required\n");
    return Usage();
  }
  absl::StatusOr<config::Config> config = config::LoadConfig(
      config_path, ::getenv,
      command == "serve" ? config::NamedFiles::kCheck : config::NamedFiles::kSkip);
  if (!config.ok()) return Fail(config.status());
  common::SetMinLogLevel(config->log_level);
  if (command == "migrate") return RunMigrate(*config);
  if (command == "keys") {
    if (keys_args.empty()) return Usage();
    return RunKeys(*config, keys_args);
  }
  return RunServe(*config);
}

}  // namespace
}  // namespace tokend

int main(int argc, char** argv) { return tokend::Main(argc, argv); }
