#ifndef TOKEND_SERVER_CONFIG_CONFIG_H_
#define TOKEND_SERVER_CONFIG_CONFIG_H_

// The operator's configuration file (spec/config.md), parsed and validated.
//
// Every key of the contract is implemented. Extensions (optional, not in the
// v1 contract, safe to omit):
//   log_level: debug | info | warn | error        default info
//   shutdown_delay: <duration >= 0>               default 0s; serve on, marked
//       not ready, for this long after SIGTERM before draining
//   revocation_resync_interval: <duration > 0>    default 30s; how often the
//       in-memory revocation set is re-read from the database
//   tls.reload_interval: <duration > 0>           default 10s; how often the
//       TLS files are checked for changes
//   database.connect_timeout: <duration > 0>      default 5s
//
// Choices where the contract is silent:
//   - `callers` may be absent or empty: every API call is then denied
//     (PERMISSION_DENIED) while the ops port (health, metrics, JWKS) still
//     serves. That is a legitimate "JWKS only" or locked-down deployment.
//   - A caller without `max_ttl` gets tokens.access_ttl; a caller without
//     `rpcs` gets [Introspect, Revoke, GetJwks], because the API contract says
//     any caller may introspect or revoke unless the policy says otherwise.
//     `rpcs: []` is kept as written: that caller may call nothing.
//   - tokens.refresh_absolute_ttl must be >= tokens.refresh_idle_ttl: a family
//     that ends before its first token's idle lifetime is an operator mistake.
//   - tokens.leeway is 0..5m; shutdown_grace is >= 0 (0: no draining).
//   - Booleans are exactly true/false (any capitalisation); "yes"/"on" are
//     rejected so that a typo cannot flip a security setting.
//   - A scope may not contain whitespace or control characters: the JWT
//     `scope` claim is space-separated, so "a b" would grant two scopes.
//   - A port of 0 in listen/ops_listen is accepted (ephemeral; tests use it).
//     listen may be an IPv6 literal in brackets; ops_listen may not (the ops
//     port's HTTP library, Debian's civetweb, is built without IPv6).
//   - Relative file paths are resolved by LoadConfig against the directory of
//     the configuration file (as Prometheus and kubeconfig do); ParseConfig
//     keeps them as written.
//   - Duplicate keys in one mapping and multi-document files are errors.

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "service/policy.h"

namespace tokend::config {

// One entry of `signing_keys`. Crypto-free: the key file is only named here;
// keys/ reads it and checks that `alg` fits the key.
struct SigningKeyConfig {
  // PEM private key; required.
  std::string file;
  // Exactly one of ES256, ES384, EdDSA, RS256, PS256; required.
  std::string alg;
  // Empty: the RFC 7638 thumbprint of the public key.
  std::string kid;
};

struct Config {
  // API "host:port"; required.
  std::string listen;
  // Ops "host:port"; "" disables the ops port.
  std::string ops_listen = "0.0.0.0:9090";
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Extension: after SIGTERM, keep serving this long while reporting
  // NOT_SERVING and /readyz 503, so that load balancers and Kubernetes
  // endpoints stop sending new calls before the listener closes.
  absl::Duration shutdown_delay = absl::ZeroDuration();
  common::LogLevel log_level = common::LogLevel::kInfo;           // extension
  absl::Duration revocation_resync_interval = absl::Seconds(30);  // extension

  struct Tls {
    std::string cert_file;                               // required
    std::string key_file;                                // required
    std::string client_ca_file;                          // required
    absl::Duration reload_interval = absl::Seconds(10);  // extension
  } tls;

  struct Database {
    std::string dsn;  // required unless TOKEND_DATABASE_DSN is set (LoadConfig)
    int pool_size = 8;  // 1..1000
    bool migrate_on_start = false;
    absl::Duration connect_timeout = absl::Seconds(5);  // extension
  } database;

  std::string issuer;  // required, non-empty

  struct Tokens {
    absl::Duration access_ttl = absl::Minutes(15);
    absl::Duration refresh_idle_ttl = absl::Hours(720);
    absl::Duration refresh_absolute_ttl = absl::Hours(2160);
    absl::Duration leeway = absl::Seconds(5);
  } tokens;

  std::vector<SigningKeyConfig> signing_keys;  // at least one; the first signs
  std::vector<service::CallerPolicy> callers;  // may be empty (deny all)
};

// Parses and validates a configuration from YAML text. Pure: reads no file
// and no environment, so `database.dsn` is required here.
// Fails with INVALID_ARGUMENT and a one-line, lower-case message that starts
// with the key path, e.g. `callers[1].max_ttl: not a duration: "abc"` or
// `tokens.acess_ttl: unknown key`. Never throws. The DSN's value never
// appears in a message (it may hold a password).
absl::StatusOr<Config> ParseConfig(absl::string_view yaml_text);

// Reads the file at `path` (at most 1 MiB), parses it like ParseConfig, lets
// TOKEND_DATABASE_DSN (read through `getenv`) replace database.dsn when it is
// set and non-empty (then the file need not name a DSN), resolves relative
// file paths against the directory of `path`, and checks that every file the
// configuration names (tls.*, signing_keys[*].file) is a readable regular
// file.
// Errors: NOT_FOUND / PERMISSION_DENIED / INVALID_ARGUMENT for the config
// file itself ("config file \"/etc/tokend.yaml\": no such file or
// directory"); INVALID_ARGUMENT from parsing; FAILED_PRECONDITION naming the
// key for a named file that is missing or unreadable. One line each.
// `tokend migrate` uses only `database`, so it loads with kSkip: a migration
// Job can then run before the TLS and key Secrets exist.
enum class NamedFiles { kCheck, kSkip };
absl::StatusOr<Config> LoadConfig(
    const std::string& path,
    const std::function<const char*(const char*)>& getenv = ::getenv,
    NamedFiles named_files = NamedFiles::kCheck);

}  // namespace tokend::config

#endif  // TOKEND_SERVER_CONFIG_CONFIG_H_
