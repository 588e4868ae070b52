#ifndef TOKEND_SERVER_CONFIG_CONFIG_H_
#define TOKEND_SERVER_CONFIG_CONFIG_H_

// The operator's configuration file: its schema, defaults and validation.
// docs/config.md is the reference for operators (every key, its default and
// the rules below); this layer produces plain options and knows no service
// type: main.cc turns them into the service's policy and options.
//
// Choices a reader of the code should know:
//   - `callers` may be absent or empty: every API call is then denied while
//     the ops port (health, metrics, JWKS) still serves.
//   - A caller without `max_ttl` gets tokens.access_ttl; a caller without
//     `rpcs` gets [Introspect, Revoke, GetJwks], because the API lets any
//     caller introspect or revoke unless the policy says otherwise.
//     `rpcs: []` is kept as written: that caller may call nothing.
//   - A scope follows common::IsValidScope, the rule requests are held to,
//     so that no caller is granted a scope it could never ask for.
//   - ParseConfig keeps relative file paths as written; LoadConfig
//     (load_config.h) resolves them against the file's directory.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/rpc_names.h"

namespace tokend::config {

// One entry of `signing_keys`. The key file is only named here; keys/ reads
// it and checks that `alg` fits the key.
struct SigningKeyConfig {
  // PEM private key; required.
  std::string file;
  // A JWS algorithm name crypto/ implements (crypto::AlgorithmFromName).
  std::string alg;
  // Empty: the RFC 7638 thumbprint of the public key.
  std::string kid;
};

// One entry of `callers`: what the client whose certificate names `id` may do.
struct CallerOptions {
  std::string id;
  absl::flat_hash_set<common::Rpc> rpcs;
  bool issue_for_others = false;
  absl::flat_hash_set<std::string> audiences;
  absl::flat_hash_set<std::string> scopes;  // each common::IsValidScope
  absl::Duration max_ttl;                   // positive
  bool introspect_own_audiences_only = false;
};

// The defaults below are the operators' defaults, documented in docs/config.md.
struct Config {
  std::string listen;                       // required
  std::string ops_listen = "0.0.0.0:9090";  // "" disables the ops port
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration shutdown_delay = absl::ZeroDuration();
  common::LogLevel log_level = common::LogLevel::kInfo;
  // Whether the API port also serves gRPC server reflection (the schema, for
  // grpcurl and the like); off unless asked for, as it is a dev convenience.
  bool reflection = false;
  absl::Duration revocation_resync_interval = absl::Seconds(30);
  // Longest a replica answers from a revocation view it could not refresh.
  absl::Duration revocation_max_staleness = absl::Seconds(15);

  struct Tls {
    std::string cert_file;       // required
    std::string key_file;        // required
    std::string client_ca_file;  // required
    absl::Duration reload_interval = absl::Seconds(10);
    absl::Duration max_connection_age = absl::Minutes(30);        // 1s..24h
    absl::Duration max_connection_age_grace = absl::Seconds(30);  // 0..1h
    absl::Duration handshake_timeout = absl::Seconds(5);          // 100ms..2m
  } tls;

  struct Database {
    std::string dsn;    // required unless TOKEND_DATABASE_DSN is set (LoadConfig)
    int pool_size = 8;  // 1..1000
    bool migrate_on_start = false;
    absl::Duration connect_timeout = absl::Seconds(5);
  } database;

  std::string issuer;  // required

  struct Tokens {
    absl::Duration access_ttl = absl::Minutes(15);
    absl::Duration refresh_idle_ttl = absl::Hours(720);
    absl::Duration refresh_absolute_ttl = absl::Hours(2160);  // >= refresh_idle_ttl
    absl::Duration leeway = absl::Seconds(5);                 // 0..5m
    absl::Duration refresh_retry_window = absl::Seconds(60);  // 0 (off)..10m
  } tokens;

  // Bounds on what one caller can take of a replica (all extensions).
  struct Limits {
    int max_in_flight_per_caller = 256;       // database calls waiting or running; >= 1
    int max_concurrent_streams = 256;         // per connection; >= 1
    int subject_revocations_per_minute = 60;  // per caller, also the burst; 0: no limit
    int introspect_cache_bytes = 64 << 20;    // 0 (no cache) .. 2^31 - 1
  } limits;

  // WatchRevocations streams (all extensions).
  struct Watch {
    absl::Duration heartbeat_interval = absl::Seconds(5);  // 10ms..1h
    int history_events = 10000;     // applied revocations kept for resuming; >= 1
    int max_pending_events = 1000;  // per watcher, 1..history_events
    int max_watchers = 1000;        // open streams per replica; >= 1
  } watch;

  // Extension: how signing keys are had. Either `signing_keys` (files; the
  // default) or managed keys (generated and rotated by tokend, kept sealed
  // in the database), never both.
  struct Keys {
    bool managed = false;
    // Managed keys only (each refused without managed: true):
    std::string alg = "ES256";                       // of the keys tokend makes
    absl::Duration rotate_every = absl::Hours(720);  // > publish_ahead
    absl::Duration publish_ahead = absl::Hours(1);   // >= 300s (JWKS max-age) + leeway
    std::vector<std::string> kek_files;              // at least one; the first seals
    // Test-only: lifts the publish_ahead minimum (a verifier that caches the
    // JWK Set for its max-age may then meet an unknown kid).
    bool allow_short_publish_ahead = false;
    // Derived, not configurable: how long a retired key stays published, the
    // longest access-token lifetime (tokens.access_ttl or any caller's
    // max_ttl) plus tokens.leeway.
    absl::Duration retain_after;
    // File keys only: how often the signing_keys files are looked at again.
    absl::Duration file_reload_interval = absl::Seconds(10);
  } keys;

  std::vector<SigningKeyConfig> signing_keys;  // files: at least one, the first signs
  std::vector<CallerOptions> callers;          // may be empty (deny all)
};

// Parses and validates a configuration from YAML text. Pure: reads no file
// and no environment. `dsn_override`, when set, replaces database.dsn, which
// the text then need not name (how LoadConfig applies TOKEND_DATABASE_DSN).
// Fails with INVALID_ARGUMENT and a one-line, lower-case message that starts
// with the key path, e.g. `callers[1].max_ttl: not a duration: "abc"` or
// `tokens.acess_ttl: unknown key`. Never throws. The DSN's value never
// appears in a message (it may hold a password).
absl::StatusOr<Config> ParseConfig(absl::string_view yaml_text,
                                   const std::optional<std::string>& dsn_override = std::nullopt);

// A file the configuration names, for resolving and checking it.
struct NamedFile {
  std::string key_path;  // e.g. "tls.cert_file", "signing_keys[1].file"
  std::string* path;     // into the Config passed to FilesNamedBy
};

// Every file `config` names (tls.*, keys.kek_files[*], signing_keys[*].file),
// in file order.
std::vector<NamedFile> FilesNamedBy(Config& config);

}  // namespace tokend::config

#endif  // TOKEND_SERVER_CONFIG_CONFIG_H_
