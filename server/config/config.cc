#include "config/config.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/host_port.h"
#include "common/scope.h"
#include "config/yaml_reader.h"
#include "crypto/signature_algorithm.h"

namespace tokend::config {
namespace {

// ---------------------------------------------------------------------------
// Listen addresses

absl::Status CheckListen(absl::string_view path, const std::string& value) {
  absl::StatusOr<common::HostPort> parsed = common::ParseHostPort(value);
  if (parsed.ok()) return absl::OkStatus();
  std::string problem = "not host:port";
  if (parsed.status().message() != problem) {
    absl::StrAppend(&problem, " (", parsed.status().message(), ")");
  }
  return Error(path, absl::StrCat(problem, ": ", Quote(value)));
}

// ---------------------------------------------------------------------------
// Sections. Absent keys keep Config's defaults.

// The tls keys that bound a connection's life. The bounds keep each within
// what gRPC takes (int milliseconds) and away from values that only break
// things: a connection younger than a second, a handshake given no time, or
// one given longer than gRPC's own default (2m).
absl::Status ParseConnectionLimits(const Mapping& fields, Config::Tls* tls) {
  struct Limit {
    absl::string_view key;
    absl::Duration* value;
    absl::Duration min, max;
    absl::string_view range;
  };
  for (const Limit& limit : {
           Limit{"max_connection_age", &tls->max_connection_age, absl::Seconds(1), absl::Hours(24),
                 "1s to 24h"},
           Limit{"max_connection_age_grace", &tls->max_connection_age_grace, absl::ZeroDuration(),
                 absl::Hours(1), "0 to 1h"},
           Limit{"handshake_timeout", &tls->handshake_timeout, absl::Milliseconds(100),
                 absl::Minutes(2), "100ms to 2m"},
       }) {
    if (absl::Status s = GetDuration(fields, limit.key, limit.value); !s.ok()) return s;
    if (*limit.value < limit.min || *limit.value > limit.max) {
      return Error(fields.PathOf(limit.key), absl::StrCat("must be ", limit.range));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseTls(const YAML::Node& node, Config::Tls* tls) {
  absl::StatusOr<Mapping> fields =
      Mapping::Read(node, "tls",
                    {"cert_file", "key_file", "client_ca_file", "reload_interval",
                     "max_connection_age", "max_connection_age_grace", "handshake_timeout"});
  if (!fields.ok()) return fields.status();
  for (auto [key, out] : {std::pair<absl::string_view, std::string*>{"cert_file", &tls->cert_file},
                          {"key_file", &tls->key_file},
                          {"client_ca_file", &tls->client_ca_file}}) {
    if (absl::Status s = GetString(*fields, key, out); !s.ok()) return s;
    if (absl::Status s = Require(*fields, key, *out); !s.ok()) return s;
  }
  if (absl::Status s = GetDuration(*fields, "reload_interval", &tls->reload_interval); !s.ok()) {
    return s;
  }
  if (tls->reload_interval <= absl::ZeroDuration()) {
    return Error("tls.reload_interval", "must be positive");
  }
  return ParseConnectionLimits(*fields, tls);
}

// `dsn_override`: when set, replaces database.dsn, which then is not required.
absl::Status ParseDatabase(const YAML::Node& node, const std::optional<std::string>& dsn_override,
                           Config::Database* db) {
  absl::StatusOr<Mapping> fields =
      Mapping::Read(node, "database", {"dsn", "pool_size", "migrate_on_start", "connect_timeout"});
  if (!fields.ok()) return fields.status();
  if (absl::Status s = GetString(*fields, "dsn", &db->dsn); !s.ok()) return s;
  if (dsn_override.has_value()) db->dsn = *dsn_override;
  if (absl::Status s = Require(*fields, "dsn", db->dsn); !s.ok()) return s;
  if (absl::Status s = GetInt(*fields, "pool_size", &db->pool_size); !s.ok()) return s;
  if (db->pool_size < 1 || db->pool_size > 1000) {
    return Error("database.pool_size", absl::StrCat("must be 1..1000, got ", db->pool_size));
  }
  if (absl::Status s = GetBool(*fields, "migrate_on_start", &db->migrate_on_start); !s.ok()) {
    return s;
  }
  if (absl::Status s = GetDuration(*fields, "connect_timeout", &db->connect_timeout); !s.ok()) {
    return s;
  }
  if (db->connect_timeout <= absl::ZeroDuration()) {
    return Error("database.connect_timeout", "must be positive");
  }
  return absl::OkStatus();
}

absl::Status ParseTokens(const YAML::Node& node, Config::Tokens* tokens) {
  absl::StatusOr<Mapping> fields = Mapping::Read(
      node, "tokens",
      {"access_ttl", "refresh_idle_ttl", "refresh_absolute_ttl", "leeway", "refresh_retry_window"});
  if (!fields.ok()) return fields.status();
  for (auto [key, out] :
       {std::pair<absl::string_view, absl::Duration*>{"access_ttl", &tokens->access_ttl},
        {"refresh_idle_ttl", &tokens->refresh_idle_ttl},
        {"refresh_absolute_ttl", &tokens->refresh_absolute_ttl},
        {"leeway", &tokens->leeway},
        {"refresh_retry_window", &tokens->refresh_retry_window}}) {
    if (absl::Status s = GetDuration(*fields, key, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckTokens(const Config::Tokens& tokens) {
  if (tokens.access_ttl <= absl::ZeroDuration()) {
    return Error("tokens.access_ttl", "must be positive");
  }
  if (tokens.refresh_idle_ttl <= absl::ZeroDuration()) {
    return Error("tokens.refresh_idle_ttl", "must be positive");
  }
  if (tokens.refresh_absolute_ttl < tokens.refresh_idle_ttl) {
    return Error("tokens.refresh_absolute_ttl",
                 absl::StrCat("must be at least tokens.refresh_idle_ttl (",
                              absl::FormatDuration(tokens.refresh_idle_ttl), ")"));
  }
  // Leeway widens every token's validity window: keep it to clock skew.
  if (tokens.leeway > absl::Minutes(5)) {
    return Error("tokens.leeway", "must be at most 5m");
  }
  // A repeat within the window is not reuse: keep it to what a retry needs.
  if (tokens.refresh_retry_window > absl::Minutes(10)) {
    return Error("tokens.refresh_retry_window", "must be at most 10m");
  }
  return absl::OkStatus();
}

// "ES256, ES384, ...": crypto's names, so that the list has one home.
std::string AlgorithmNames() {
  std::vector<absl::string_view> names;
  for (crypto::Algorithm alg : crypto::kAllAlgorithms) names.push_back(crypto::AlgorithmName(alg));
  return absl::StrJoin(names, ", ");
}

absl::Status ParseSigningKeys(const YAML::Node& node, std::vector<SigningKeyConfig>* keys) {
  constexpr absl::string_view kPath = "signing_keys";
  if (!node.IsSequence()) return WrongType(kPath, "a list", node);
  absl::flat_hash_map<std::string, size_t> kids;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = Element(kPath, i);
    absl::StatusOr<Mapping> fields = Mapping::Read(node[i], path, {"file", "alg", "kid"});
    if (!fields.ok()) return fields.status();
    SigningKeyConfig key;
    if (absl::Status s = GetString(*fields, "file", &key.file); !s.ok()) return s;
    if (absl::Status s = Require(*fields, "file", key.file); !s.ok()) return s;
    if (absl::Status s = GetString(*fields, "alg", &key.alg); !s.ok()) return s;
    if (absl::Status s = Require(*fields, "alg", key.alg); !s.ok()) return s;
    if (!crypto::AlgorithmFromName(key.alg).has_value()) {
      return Error(fields->PathOf("alg"),
                   absl::StrCat("unsupported algorithm ", Quote(key.alg), " (expected one of ",
                                AlgorithmNames(), ")"));
    }
    if (fields->Find("kid") != nullptr) {
      if (absl::Status s = GetString(*fields, "kid", &key.kid); !s.ok()) return s;
      std::string kid_path = fields->PathOf("kid");
      if (key.kid.empty()) return Error(kid_path, "must not be empty (omit it for the thumbprint)");
      for (char c : key.kid) {
        // The kid goes into JOSE headers, JWKs and log lines: visible ASCII
        // only.
        if (c < 0x21 || c > 0x7e) return Error(kid_path, "must be visible ascii characters");
      }
      auto [it, inserted] = kids.emplace(key.kid, i);
      if (!inserted) {
        return Error(kid_path, absl::StrCat("duplicate kid ", Quote(key.kid), " (also ",
                                            Element(kPath, it->second), ")"));
      }
    }
    keys->push_back(std::move(key));
  }
  return absl::OkStatus();
}

// The JWK Set's Cache-Control max-age on the ops port: a verifier may use a
// fetched set this long, so a new key must be published at least this long
// (plus leeway) before it signs.
constexpr absl::Duration kJwksMaxAge = absl::Seconds(300);

absl::Status ParseKeys(const YAML::Node& node, Config::Keys* keys) {
  constexpr absl::string_view kPath = "keys";
  absl::StatusOr<Mapping> fields =
      Mapping::Read(node, std::string(kPath),
                    {"managed", "alg", "rotate_every", "publish_ahead", "kek_files",
                     "allow_short_publish_ahead", "file_reload_interval"});
  if (!fields.ok()) return fields.status();
  if (absl::Status s = GetBool(*fields, "managed", &keys->managed); !s.ok()) return s;
  if (!keys->managed) {
    for (absl::string_view key :
         {"alg", "rotate_every", "publish_ahead", "kek_files", "allow_short_publish_ahead"}) {
      if (fields->Find(key) != nullptr) {
        return Error(fields->PathOf(key), "only with keys.managed: true");
      }
    }
  } else if (fields->Find("file_reload_interval") != nullptr) {
    return Error(fields->PathOf("file_reload_interval"), "only for signing_keys files");
  }
  if (absl::Status s = GetString(*fields, "alg", &keys->alg); !s.ok()) return s;
  if (!crypto::AlgorithmFromName(keys->alg).has_value()) {
    return Error(fields->PathOf("alg"), absl::StrCat("unsupported algorithm ", Quote(keys->alg),
                                                     " (expected one of ", AlgorithmNames(), ")"));
  }
  for (auto [key, out] :
       {std::pair<absl::string_view, absl::Duration*>{"rotate_every", &keys->rotate_every},
        {"publish_ahead", &keys->publish_ahead},
        {"file_reload_interval", &keys->file_reload_interval}}) {
    if (absl::Status s = GetDuration(*fields, key, out); !s.ok()) return s;
    if (*out <= absl::ZeroDuration()) return Error(fields->PathOf(key), "must be positive");
  }
  if (absl::Status s = GetStringList(*fields, "kek_files", &keys->kek_files); !s.ok()) return s;
  if (absl::Status s =
          GetBool(*fields, "allow_short_publish_ahead", &keys->allow_short_publish_ahead);
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

// The rules between keys, tokens and callers, once all are read.
absl::Status CheckManagedKeys(Config& config) {
  Config::Keys& keys = config.keys;
  absl::Duration longest = config.tokens.access_ttl;
  for (const CallerOptions& caller : config.callers) longest = std::max(longest, caller.max_ttl);
  keys.retain_after = longest + config.tokens.leeway;
  if (!keys.managed) return absl::OkStatus();
  if (keys.kek_files.empty()) {
    return Error("keys.kek_files", "at least one key-encryption key file is required");
  }
  const absl::Duration minimum = kJwksMaxAge + config.tokens.leeway;
  if (!keys.allow_short_publish_ahead && keys.publish_ahead < minimum) {
    return Error("keys.publish_ahead",
                 absl::StrCat("must be at least ", absl::FormatDuration(minimum),
                              " (the JWK Set's max-age of 300s plus tokens.leeway), so that "
                              "verifiers see a key before it signs"));
  }
  if (keys.rotate_every <= keys.publish_ahead) {
    return Error("keys.rotate_every", "must be longer than keys.publish_ahead");
  }
  // The previous key must be gone before the one after next is published.
  if (keys.retain_after + keys.publish_ahead > 2 * keys.rotate_every) {
    return Error("keys.rotate_every",
                 absl::StrCat("must be at least half of the longest access-token lifetime plus "
                              "leeway plus keys.publish_ahead (",
                              absl::FormatDuration((keys.retain_after + keys.publish_ahead) / 2),
                              "), so that at most three keys are published"));
  }
  return absl::OkStatus();
}

// Callers: defaults that depend on tokens.access_ttl are applied by the
// caller of this function (`max_ttl_set`).
absl::Status ParseCallers(const YAML::Node& node, std::vector<CallerOptions>* callers,
                          std::vector<bool>* max_ttl_set) {
  constexpr absl::string_view kPath = "callers";
  if (!node.IsSequence()) return WrongType(kPath, "a list", node);
  absl::flat_hash_map<std::string, size_t> ids;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = Element(kPath, i);
    absl::StatusOr<Mapping> fields =
        Mapping::Read(node[i], path,
                      {"id", "rpcs", "issue_for_others", "audiences", "scopes", "max_ttl",
                       "introspect_own_audiences_only"});
    if (!fields.ok()) return fields.status();
    CallerOptions caller;
    if (absl::Status s = GetString(*fields, "id", &caller.id); !s.ok()) return s;
    if (absl::Status s = Require(*fields, "id", caller.id); !s.ok()) return s;
    auto [it, inserted] = ids.emplace(caller.id, i);
    if (!inserted) {
      return Error(fields->PathOf("id"), absl::StrCat("duplicate caller ", Quote(caller.id),
                                                      " (also ", Element(kPath, it->second), ")"));
    }

    if (fields->Find("rpcs") == nullptr) {
      // The API contract: "a caller may revoke or introspect any token unless
      // the policy says otherwise"; GetJwks is public data anyway.
      caller.rpcs = {common::Rpc::kIntrospect, common::Rpc::kRevoke, common::Rpc::kGetJwks};
    } else {
      std::vector<std::string> names;
      if (absl::Status s = GetStringList(*fields, "rpcs", &names); !s.ok()) return s;
      for (size_t j = 0; j < names.size(); ++j) {
        std::optional<common::Rpc> rpc = common::RpcFromName(names[j]);
        if (!rpc.has_value()) {
          return Error(Element(fields->PathOf("rpcs"), j),
                       absl::StrCat("unknown rpc ", Quote(names[j]), " (expected one of ",
                                    absl::StrJoin(common::kAllRpcs, ", ",
                                                  [](std::string* out, common::Rpc rpc) {
                                                    absl::StrAppend(out, common::RpcName(rpc));
                                                  }),
                                    ")"));
        }
        caller.rpcs.insert(*rpc);
      }
    }

    if (absl::Status s = GetBool(*fields, "issue_for_others", &caller.issue_for_others); !s.ok()) {
      return s;
    }
    std::vector<std::string> audiences;
    if (absl::Status s = GetStringList(*fields, "audiences", &audiences); !s.ok()) return s;
    caller.audiences.insert(audiences.begin(), audiences.end());
    std::vector<std::string> scopes;
    if (absl::Status s = GetStringList(*fields, "scopes", &scopes); !s.ok()) return s;
    for (size_t j = 0; j < scopes.size(); ++j) {
      if (!common::IsValidScope(scopes[j])) {
        return Error(Element(fields->PathOf("scopes"), j),
                     absl::StrCat("not a valid scope: ", Quote(scopes[j]),
                                  " (no spaces, quotes or backslashes)"));
      }
    }
    caller.scopes.insert(scopes.begin(), scopes.end());

    if (absl::Status s = GetBool(*fields, "introspect_own_audiences_only",
                                 &caller.introspect_own_audiences_only);
        !s.ok()) {
      return s;
    }
    bool has_max_ttl = fields->Find("max_ttl") != nullptr;
    if (absl::Status s = GetDuration(*fields, "max_ttl", &caller.max_ttl); !s.ok()) return s;
    if (has_max_ttl && caller.max_ttl <= absl::ZeroDuration()) {
      return Error(fields->PathOf("max_ttl"), "must be positive");
    }
    callers->push_back(std::move(caller));
    max_ttl_set->push_back(has_max_ttl);
  }
  return absl::OkStatus();
}

absl::Status ParseLimits(const YAML::Node& node, Config::Limits* limits) {
  absl::StatusOr<Mapping> fields =
      Mapping::Read(node, "limits",
                    {"max_in_flight_per_caller", "max_concurrent_streams",
                     "subject_revocations_per_minute", "introspect_cache_bytes"});
  if (!fields.ok()) return fields.status();
  struct IntKey {
    absl::string_view key;
    int* out;
    int min;
  };
  for (const IntKey& k :
       {IntKey{"max_in_flight_per_caller", &limits->max_in_flight_per_caller, 1},
        IntKey{"max_concurrent_streams", &limits->max_concurrent_streams, 1},
        IntKey{"subject_revocations_per_minute", &limits->subject_revocations_per_minute, 0},
        IntKey{"introspect_cache_bytes", &limits->introspect_cache_bytes, 0}}) {
    if (absl::Status s = GetInt(*fields, k.key, k.out); !s.ok()) return s;
    if (*k.out < k.min) {
      return Error(fields->PathOf(k.key), absl::StrCat("must be at least ", k.min));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseWatch(const YAML::Node& node, Config::Watch* watch) {
  absl::StatusOr<Mapping> fields =
      Mapping::Read(node, "watch",
                    {"heartbeat_interval", "history_events", "max_pending_events", "max_watchers"});
  if (!fields.ok()) return fields.status();
  if (absl::Status s = GetDuration(*fields, "heartbeat_interval", &watch->heartbeat_interval);
      !s.ok()) {
    return s;
  }
  if (watch->heartbeat_interval < absl::Milliseconds(10) ||
      watch->heartbeat_interval > absl::Hours(1)) {
    return Error(fields->PathOf("heartbeat_interval"), "must be between 10ms and 1h");
  }
  for (const auto& [key, out] :
       {std::pair<absl::string_view, int*>{"history_events", &watch->history_events},
        {"max_pending_events", &watch->max_pending_events},
        {"max_watchers", &watch->max_watchers}}) {
    if (absl::Status s = GetInt(*fields, key, out); !s.ok()) return s;
    if (*out < 1) return Error(fields->PathOf(key), "must be at least 1");
  }
  // Why: a watcher cut for falling behind must be able to resume with only
  // what it missed, so the history must reach back at least that far.
  if (watch->max_pending_events > watch->history_events) {
    return Error(fields->PathOf("max_pending_events"), "must be at most watch.history_events");
  }
  return absl::OkStatus();
}

absl::Status ParseLogLevel(const Mapping& fields, common::LogLevel* level) {
  std::string text;
  if (fields.Find("log_level") == nullptr) return absl::OkStatus();
  if (absl::Status s = GetString(fields, "log_level", &text); !s.ok()) return s;
  if (text == "debug") {
    *level = common::LogLevel::kDebug;
  } else if (text == "info") {
    *level = common::LogLevel::kInfo;
  } else if (text == "warn") {
    *level = common::LogLevel::kWarning;
  } else if (text == "error") {
    *level = common::LogLevel::kError;
  } else {
    return Error("log_level", absl::StrCat("unknown level ", Quote(text),
                                           " (expected debug, info, warn or error)"));
  }
  return absl::OkStatus();
}

// Absent sections are parsed as empty mappings so that their required keys
// are reported ("tls.cert_file: required key is missing").
const YAML::Node& SectionOrEmpty(const Mapping& fields, absl::string_view key,
                                 const YAML::Node& empty_map) {
  const YAML::Node* node = fields.Find(key);
  return node == nullptr ? empty_map : *node;
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml_text,
                                   const std::optional<std::string>& dsn_override) {
  absl::StatusOr<YAML::Node> document = ReadDocument(yaml_text);
  if (!document.ok()) return document.status();

  // yaml-cpp's accessors throw on misuse; nothing below should, but no
  // exception may leave this module.
  try {
    absl::StatusOr<Mapping> top = Mapping::Read(
        *document, "",
        {"listen", "ops_listen", "shutdown_grace", "shutdown_delay", "log_level", "reflection",
         "revocation_resync_interval", "revocation_max_staleness", "tls", "database", "issuer",
         "tokens", "keys", "signing_keys", "callers", "limits", "watch"});
    if (!top.ok()) return top.status();
    Config config;
    const YAML::Node empty_map(YAML::NodeType::Map);

    if (absl::Status s = GetString(*top, "listen", &config.listen); !s.ok()) return s;
    if (absl::Status s = Require(*top, "listen", config.listen); !s.ok()) return s;
    if (absl::Status s = CheckListen("listen", config.listen); !s.ok()) return s;

    if (absl::Status s = GetString(*top, "ops_listen", &config.ops_listen); !s.ok()) return s;
    if (!config.ops_listen.empty()) {
      if (absl::Status s = CheckListen("ops_listen", config.ops_listen); !s.ok()) return s;
      // Port 0 picks a free port for each, so the same text cannot collide.
      if (config.ops_listen == config.listen && !absl::EndsWith(config.listen, ":0")) {
        return Error("ops_listen", "must differ from listen");
      }
    }

    if (absl::Status s = GetDuration(*top, "shutdown_grace", &config.shutdown_grace); !s.ok()) {
      return s;
    }
    if (absl::Status s = GetDuration(*top, "shutdown_delay", &config.shutdown_delay); !s.ok()) {
      return s;
    }
    if (absl::Status s = ParseLogLevel(*top, &config.log_level); !s.ok()) return s;
    if (absl::Status s = GetBool(*top, "reflection", &config.reflection); !s.ok()) return s;
    if (absl::Status s =
            GetDuration(*top, "revocation_resync_interval", &config.revocation_resync_interval);
        !s.ok()) {
      return s;
    }
    if (config.revocation_resync_interval <= absl::ZeroDuration()) {
      return Error("revocation_resync_interval", "must be positive");
    }
    if (absl::Status s =
            GetDuration(*top, "revocation_max_staleness", &config.revocation_max_staleness);
        !s.ok()) {
      return s;
    }
    // The view is refreshed at least every second (see revocation_sync.h):
    // a smaller bound would fail healthy replicas.
    if (config.revocation_max_staleness < absl::Seconds(3)) {
      return Error("revocation_max_staleness", "must be at least 3s");
    }

    if (absl::Status s = ParseTls(SectionOrEmpty(*top, "tls", empty_map), &config.tls); !s.ok()) {
      return s;
    }
    if (absl::Status s = ParseDatabase(SectionOrEmpty(*top, "database", empty_map), dsn_override,
                                       &config.database);
        !s.ok()) {
      return s;
    }

    if (absl::Status s = GetString(*top, "issuer", &config.issuer); !s.ok()) return s;
    if (absl::Status s = Require(*top, "issuer", config.issuer); !s.ok()) return s;

    if (absl::Status s = ParseTokens(SectionOrEmpty(*top, "tokens", empty_map), &config.tokens);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckTokens(config.tokens); !s.ok()) return s;

    if (absl::Status s = ParseLimits(SectionOrEmpty(*top, "limits", empty_map), &config.limits);
        !s.ok()) {
      return s;
    }

    if (absl::Status s = ParseWatch(SectionOrEmpty(*top, "watch", empty_map), &config.watch);
        !s.ok()) {
      return s;
    }

    if (absl::Status s = ParseKeys(SectionOrEmpty(*top, "keys", empty_map), &config.keys);
        !s.ok()) {
      return s;
    }
    const YAML::Node* keys = top->Find("signing_keys");
    if (config.keys.managed) {
      if (keys != nullptr) {
        return Error("signing_keys", "not with keys.managed: true (managed keys replace them)");
      }
    } else {
      if (keys == nullptr) {
        return Error("signing_keys", "required key is missing (or set keys.managed: true)");
      }
      if (absl::Status s = ParseSigningKeys(*keys, &config.signing_keys); !s.ok()) return s;
      if (config.signing_keys.empty()) {
        return Error("signing_keys", "at least one key is required");
      }
    }

    if (const YAML::Node* callers = top->Find("callers"); callers != nullptr) {
      std::vector<bool> max_ttl_set;
      if (absl::Status s = ParseCallers(*callers, &config.callers, &max_ttl_set); !s.ok()) {
        return s;
      }
      for (size_t i = 0; i < config.callers.size(); ++i) {
        if (!max_ttl_set[i]) config.callers[i].max_ttl = config.tokens.access_ttl;
      }
    }
    if (absl::Status s = CheckManagedKeys(config); !s.ok()) return s;
    return config;
  } catch (const std::exception& e) {
    return Error(kRootPath, absl::StrCat("yaml error: ", e.what()));
  }
}

std::vector<NamedFile> FilesNamedBy(Config& config) {
  std::vector<NamedFile> files = {{"tls.cert_file", &config.tls.cert_file},
                                  {"tls.key_file", &config.tls.key_file},
                                  {"tls.client_ca_file", &config.tls.client_ca_file}};
  for (size_t i = 0; i < config.keys.kek_files.size(); ++i) {
    files.push_back({Element("keys.kek_files", i), &config.keys.kek_files[i]});
  }
  for (size_t i = 0; i < config.signing_keys.size(); ++i) {
    files.push_back({Element("signing_keys", i) + ".file", &config.signing_keys[i].file});
  }
  return files;
}

}  // namespace tokend::config
