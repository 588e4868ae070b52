#include "config/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace tokend::config {
namespace {

using service::CallerPolicy;
using service::Rpc;

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr absl::string_view kAlgorithms[] = {"ES256", "ES384", "EdDSA", "RS256",
                                             "PS256"};
constexpr absl::string_view kRootPath = "config";

// ---------------------------------------------------------------------------
// Messages

absl::Status Error(absl::string_view path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

// A value quoted for a message: escaped (no control characters can break the
// one-line rule) and shortened.
std::string Quote(absl::string_view value) {
  constexpr size_t kMax = 80;
  bool cut = value.size() > kMax;
  return absl::StrCat("\"", absl::CHexEscape(value.substr(0, kMax)),
                      cut ? "...\"" : "\"");
}

std::string Child(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Element(absl::string_view path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

absl::string_view KindOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing (null)";
}

absl::Status WrongType(absl::string_view path, absl::string_view expected,
                       const YAML::Node& node) {
  return Error(path,
               absl::StrCat("expected ", expected, ", got ", KindOf(node)));
}

// ---------------------------------------------------------------------------
// A mapping whose keys must come from a fixed set.

class Fields {
 public:
  // INVALID_ARGUMENT when `node` is not a mapping, a key is not a scalar, a
  // key is not in `allowed` ("<path>.<key>: unknown key") or is repeated.
  static absl::StatusOr<Fields> Read(
      const YAML::Node& node, std::string path,
      std::initializer_list<absl::string_view> allowed) {
    if (!node.IsMap()) {
      return WrongType(path.empty() ? kRootPath : path, "a mapping", node);
    }
    Fields fields;
    fields.path_ = std::move(path);
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar()) {
        return Error(fields.path_.empty() ? kRootPath : fields.path_,
                     "every key must be a plain string");
      }
      const std::string& key = it->first.Scalar();
      // Escaped: a quoted YAML key may hold a newline.
      std::string key_path = fields.PathOf(absl::CHexEscape(key));
      bool known = false;
      for (absl::string_view name : allowed) known = known || name == key;
      if (!known) return Error(key_path, "unknown key");
      if (!fields.values_.emplace(key, it->second).second) {
        return Error(key_path, "duplicate key");
      }
    }
    return fields;
  }

  // The value under `key`, or nullptr when the key is absent.
  const YAML::Node* Find(absl::string_view key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }

  std::string PathOf(absl::string_view key) const { return Child(path_, key); }

 private:
  std::string path_;
  absl::flat_hash_map<std::string, YAML::Node> values_;
};

// ---------------------------------------------------------------------------
// Scalars. Each Get* leaves *out unchanged when the key is absent.

absl::StatusOr<std::string> AsString(const YAML::Node& node,
                                     absl::string_view path) {
  if (!node.IsScalar()) return WrongType(path, "a string", node);
  return node.Scalar();
}

absl::Status GetString(const Fields& fields, absl::string_view key,
                       std::string* out) {
  const YAML::Node* node = fields.Find(key);
  if (node == nullptr) return absl::OkStatus();
  absl::StatusOr<std::string> value = AsString(*node, fields.PathOf(key));
  if (!value.ok()) return value.status();
  *out = *std::move(value);
  return absl::OkStatus();
}

absl::Status GetBool(const Fields& fields, absl::string_view key, bool* out) {
  const YAML::Node* node = fields.Find(key);
  if (node == nullptr) return absl::OkStatus();
  std::string path = fields.PathOf(key);
  if (!node->IsScalar()) return WrongType(path, "true or false", *node);
  const std::string& text = node->Scalar();
  // YAML 1.2 core schema spellings only; YAML 1.1's yes/no/on/off are
  // rejected so that a typo cannot silently flip a setting.
  if (text == "true" || text == "True" || text == "TRUE") {
    *out = true;
  } else if (text == "false" || text == "False" || text == "FALSE") {
    *out = false;
  } else {
    return Error(path, absl::StrCat("not a boolean: ", Quote(text),
                                    " (use true or false)"));
  }
  return absl::OkStatus();
}

absl::Status GetInt(const Fields& fields, absl::string_view key, int* out) {
  const YAML::Node* node = fields.Find(key);
  if (node == nullptr) return absl::OkStatus();
  std::string path = fields.PathOf(key);
  if (!node->IsScalar()) return WrongType(path, "an integer", *node);
  const std::string& text = node->Scalar();
  bool digits = !text.empty();
  for (size_t i = 0; i < text.size(); ++i) {
    digits =
        digits && (absl::ascii_isdigit(text[i]) || (i == 0 && text[i] == '-'));
  }
  int value = 0;
  if (!digits || !absl::SimpleAtoi(text, &value)) {
    return Error(path, absl::StrCat("not an integer: ", Quote(text)));
  }
  *out = value;
  return absl::OkStatus();
}

// Durations: absl::ParseDuration forms with a unit (300ms, 90s, 15m, 1h,
// 1h30m, 1.5h); never negative or infinite; a bare number only as "0".
absl::Status ParseDurationText(absl::string_view path, absl::string_view text,
                               absl::Duration* out) {
  if (text == "0") {
    *out = absl::ZeroDuration();
    return absl::OkStatus();
  }
  if (absl::StartsWith(text, "-")) {
    return Error(path, absl::StrCat("must not be negative: ", Quote(text)));
  }
  bool bare_number = !text.empty();
  for (char c : text)
    bare_number = bare_number && (absl::ascii_isdigit(c) || c == '.');
  if (bare_number) {
    return Error(path, absl::StrCat("not a duration: ", Quote(text),
                                    " (a unit is required: ms, s, m or h)"));
  }
  absl::Duration value;
  if (text.empty() || !absl::ascii_isdigit(text[0]) ||
      !absl::ParseDuration(text, &value) || value == absl::InfiniteDuration()) {
    return Error(path, absl::StrCat("not a duration: ", Quote(text)));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status GetDuration(const Fields& fields, absl::string_view key,
                         absl::Duration* out) {
  const YAML::Node* node = fields.Find(key);
  if (node == nullptr) return absl::OkStatus();
  std::string path = fields.PathOf(key);
  if (!node->IsScalar()) return WrongType(path, "a duration", *node);
  return ParseDurationText(path, node->Scalar(), out);
}

// A list of non-empty strings.
absl::Status GetStringList(const Fields& fields, absl::string_view key,
                           std::vector<std::string>* out) {
  const YAML::Node* node = fields.Find(key);
  if (node == nullptr) return absl::OkStatus();
  std::string path = fields.PathOf(key);
  if (!node->IsSequence()) return WrongType(path, "a list", *node);
  out->clear();
  for (size_t i = 0; i < node->size(); ++i) {
    std::string item_path = Element(path, i);
    absl::StatusOr<std::string> item = AsString((*node)[i], item_path);
    if (!item.ok()) return item.status();
    if (item->empty()) return Error(item_path, "must not be empty");
    out->push_back(*std::move(item));
  }
  return absl::OkStatus();
}

// Required keys: absent and empty are told apart in the message.
absl::Status Require(const Fields& fields, absl::string_view key,
                     const std::string& value) {
  if (!value.empty()) return absl::OkStatus();
  return Error(fields.PathOf(key), fields.Find(key) == nullptr
                                       ? "required key is missing"
                                       : "must not be empty");
}

// "host:port": host is an IPv4 literal, a [bracketed] IPv6 literal or a DNS
// name; port is 0..65535 (0: ephemeral). Returns an error message, or "".
std::string CheckHostPort(absl::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return "not host:port";
  absl::string_view host = text.substr(0, colon);
  absl::string_view port = text.substr(colon + 1);
  int port_number = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(port, &port_number) || port_number > 65535) {
    return "not host:port (port must be 0..65535)";
  }
  if (host.empty())
    return "not host:port (host is empty; use 0.0.0.0 for every address)";
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return "not host:port (bad [ipv6] address)";
    std::string inner(host.substr(1, host.size() - 2));
    in6_addr addr6;
    if (inet_pton(AF_INET6, inner.c_str(), &addr6) != 1) {
      return "not host:port (bad [ipv6] address)";
    }
    return "";
  }
  if (absl::StrContains(host, ':')) {
    return "not host:port (write ipv6 addresses in brackets, e.g. [::1]:9090)";
  }
  bool numeric = true;
  for (char c : host) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '.'))
      return "not host:port (bad host)";
    numeric = numeric && (absl::ascii_isdigit(c) || c == '.');
  }
  if (numeric) {
    in_addr addr4;
    if (inet_pton(AF_INET, std::string(host).c_str(), &addr4) != 1) {
      return "not host:port (bad ipv4 address)";
    }
  }
  return "";
}

absl::Status CheckListen(absl::string_view path, const std::string& value) {
  std::string problem = CheckHostPort(value);
  if (problem.empty()) return absl::OkStatus();
  return Error(path, absl::StrCat(problem, ": ", Quote(value)));
}

// ---------------------------------------------------------------------------
// Sections

absl::Status ParseTls(const YAML::Node& node, Config::Tls* tls) {
  absl::StatusOr<Fields> fields = Fields::Read(
      node, "tls",
      {"cert_file", "key_file", "client_ca_file", "reload_interval"});
  if (!fields.ok()) return fields.status();
  for (auto [key, out] : {std::pair<absl::string_view, std::string*>{
                              "cert_file", &tls->cert_file},
                          {"key_file", &tls->key_file},
                          {"client_ca_file", &tls->client_ca_file}}) {
    if (absl::Status s = GetString(*fields, key, out); !s.ok()) return s;
    if (absl::Status s = Require(*fields, key, *out); !s.ok()) return s;
  }
  if (absl::Status s =
          GetDuration(*fields, "reload_interval", &tls->reload_interval);
      !s.ok()) {
    return s;
  }
  if (tls->reload_interval <= absl::ZeroDuration()) {
    return Error("tls.reload_interval", "must be positive");
  }
  return absl::OkStatus();
}

// `dsn_override`: when set, replaces database.dsn, which then is not required.
absl::Status ParseDatabase(const YAML::Node& node,
                           const std::optional<std::string>& dsn_override,
                           Config::Database* db) {
  absl::StatusOr<Fields> fields =
      Fields::Read(node, "database",
                   {"dsn", "pool_size", "migrate_on_start", "connect_timeout"});
  if (!fields.ok()) return fields.status();
  if (absl::Status s = GetString(*fields, "dsn", &db->dsn); !s.ok()) return s;
  if (dsn_override.has_value()) db->dsn = *dsn_override;
  if (absl::Status s = Require(*fields, "dsn", db->dsn); !s.ok()) return s;
  if (absl::Status s = GetInt(*fields, "pool_size", &db->pool_size); !s.ok())
    return s;
  if (db->pool_size < 1 || db->pool_size > 1000) {
    return Error("database.pool_size",
                 absl::StrCat("must be 1..1000, got ", db->pool_size));
  }
  if (absl::Status s =
          GetBool(*fields, "migrate_on_start", &db->migrate_on_start);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          GetDuration(*fields, "connect_timeout", &db->connect_timeout);
      !s.ok()) {
    return s;
  }
  if (db->connect_timeout <= absl::ZeroDuration()) {
    return Error("database.connect_timeout", "must be positive");
  }
  return absl::OkStatus();
}

absl::Status ParseTokens(const YAML::Node& node, Config::Tokens* tokens) {
  absl::StatusOr<Fields> fields = Fields::Read(
      node, "tokens",
      {"access_ttl", "refresh_idle_ttl", "refresh_absolute_ttl", "leeway"});
  if (!fields.ok()) return fields.status();
  for (auto [key, out] :
       {std::pair<absl::string_view, absl::Duration*>{"access_ttl",
                                                      &tokens->access_ttl},
        {"refresh_idle_ttl", &tokens->refresh_idle_ttl},
        {"refresh_absolute_ttl", &tokens->refresh_absolute_ttl},
        {"leeway", &tokens->leeway}}) {
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
    return Error(
        "tokens.refresh_absolute_ttl",
        absl::StrCat("must be at least tokens.refresh_idle_ttl (",
                     absl::FormatDuration(tokens.refresh_idle_ttl), ")"));
  }
  // Leeway widens every token's validity window: keep it to clock skew.
  if (tokens.leeway > absl::Minutes(5)) {
    return Error("tokens.leeway", "must be at most 5m");
  }
  return absl::OkStatus();
}

absl::Status ParseSigningKeys(const YAML::Node& node,
                              std::vector<SigningKeyConfig>* keys) {
  constexpr absl::string_view kPath = "signing_keys";
  if (!node.IsSequence()) return WrongType(kPath, "a list", node);
  absl::flat_hash_map<std::string, size_t> kids;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = Element(kPath, i);
    absl::StatusOr<Fields> fields =
        Fields::Read(node[i], path, {"file", "alg", "kid"});
    if (!fields.ok()) return fields.status();
    SigningKeyConfig key;
    if (absl::Status s = GetString(*fields, "file", &key.file); !s.ok())
      return s;
    if (absl::Status s = Require(*fields, "file", key.file); !s.ok()) return s;
    if (absl::Status s = GetString(*fields, "alg", &key.alg); !s.ok()) return s;
    if (absl::Status s = Require(*fields, "alg", key.alg); !s.ok()) return s;
    bool known = false;
    for (absl::string_view alg : kAlgorithms) known = known || alg == key.alg;
    if (!known) {
      return Error(fields->PathOf("alg"),
                   absl::StrCat("unsupported algorithm ", Quote(key.alg),
                                " (expected one of ",
                                absl::StrJoin(kAlgorithms, ", "), ")"));
    }
    if (fields->Find("kid") != nullptr) {
      if (absl::Status s = GetString(*fields, "kid", &key.kid); !s.ok())
        return s;
      std::string kid_path = fields->PathOf("kid");
      if (key.kid.empty())
        return Error(kid_path,
                     "must not be empty (omit it for the thumbprint)");
      for (char c : key.kid) {
        // The kid goes into JOSE headers, JWKs and log lines: visible ASCII
        // only.
        if (c < 0x21 || c > 0x7e)
          return Error(kid_path, "must be visible ascii characters");
      }
      auto [it, inserted] = kids.emplace(key.kid, i);
      if (!inserted) {
        return Error(kid_path,
                     absl::StrCat("duplicate kid ", Quote(key.kid), " (also ",
                                  Element(kPath, it->second), ")"));
      }
    }
    keys->push_back(std::move(key));
  }
  return absl::OkStatus();
}

// Callers: defaults that depend on tokens.access_ttl are applied by the
// caller of this function (`max_ttl_set`).
absl::Status ParseCallers(const YAML::Node& node,
                          std::vector<CallerPolicy>* callers,
                          std::vector<bool>* max_ttl_set) {
  constexpr absl::string_view kPath = "callers";
  if (!node.IsSequence()) return WrongType(kPath, "a list", node);
  absl::flat_hash_map<std::string, size_t> ids;
  for (size_t i = 0; i < node.size(); ++i) {
    std::string path = Element(kPath, i);
    absl::StatusOr<Fields> fields = Fields::Read(
        node[i], path,
        {"id", "rpcs", "issue_for_others", "audiences", "scopes", "max_ttl"});
    if (!fields.ok()) return fields.status();
    CallerPolicy caller;
    if (absl::Status s = GetString(*fields, "id", &caller.id); !s.ok())
      return s;
    if (absl::Status s = Require(*fields, "id", caller.id); !s.ok()) return s;
    auto [it, inserted] = ids.emplace(caller.id, i);
    if (!inserted) {
      return Error(fields->PathOf("id"),
                   absl::StrCat("duplicate caller ", Quote(caller.id),
                                " (also ", Element(kPath, it->second), ")"));
    }

    if (fields->Find("rpcs") == nullptr) {
      // The API contract: "a caller may revoke or introspect any token unless
      // the policy says otherwise"; GetJwks is public data anyway.
      caller.rpcs = {Rpc::kIntrospect, Rpc::kRevoke, Rpc::kGetJwks};
    } else {
      std::vector<std::string> names;
      if (absl::Status s = GetStringList(*fields, "rpcs", &names); !s.ok())
        return s;
      for (size_t j = 0; j < names.size(); ++j) {
        std::optional<Rpc> rpc = service::RpcFromName(names[j]);
        if (!rpc.has_value()) {
          return Error(
              Element(fields->PathOf("rpcs"), j),
              absl::StrCat(
                  "unknown rpc ", Quote(names[j]),
                  " (expected one of Issue, Refresh, Introspect, Revoke, "
                  "GetJwks)"));
        }
        caller.rpcs.insert(*rpc);
      }
    }

    if (absl::Status s =
            GetBool(*fields, "issue_for_others", &caller.issue_for_others);
        !s.ok()) {
      return s;
    }
    std::vector<std::string> audiences;
    if (absl::Status s = GetStringList(*fields, "audiences", &audiences);
        !s.ok())
      return s;
    caller.audiences.insert(audiences.begin(), audiences.end());
    std::vector<std::string> scopes;
    if (absl::Status s = GetStringList(*fields, "scopes", &scopes); !s.ok())
      return s;
    for (size_t j = 0; j < scopes.size(); ++j) {
      for (char c : scopes[j]) {
        // The JWT scope claim is space-separated: "a b" would grant two scopes.
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '"' ||
            c == '\\') {
          return Error(Element(fields->PathOf("scopes"), j),
                       absl::StrCat("not a valid scope: ", Quote(scopes[j]),
                                    " (no spaces, quotes or backslashes)"));
        }
      }
    }
    caller.scopes.insert(scopes.begin(), scopes.end());

    bool has_max_ttl = fields->Find("max_ttl") != nullptr;
    if (absl::Status s = GetDuration(*fields, "max_ttl", &caller.max_ttl);
        !s.ok())
      return s;
    if (has_max_ttl && caller.max_ttl <= absl::ZeroDuration()) {
      return Error(fields->PathOf("max_ttl"), "must be positive");
    }
    callers->push_back(std::move(caller));
    max_ttl_set->push_back(has_max_ttl);
  }
  return absl::OkStatus();
}

absl::Status ParseLogLevel(const Fields& fields, common::LogLevel* level) {
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
    return Error("log_level",
                 absl::StrCat("unknown level ", Quote(text),
                              " (expected debug, info, warn or error)"));
  }
  return absl::OkStatus();
}

// Absent sections are parsed as empty mappings so that their required keys
// are reported ("tls.cert_file: required key is missing").
const YAML::Node& SectionOrEmpty(const Fields& fields, absl::string_view key,
                                 const YAML::Node& empty_map) {
  const YAML::Node* node = fields.Find(key);
  return node == nullptr ? empty_map : *node;
}

absl::StatusOr<Config> Parse(absl::string_view yaml_text,
                             const std::optional<std::string>& dsn_override) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    // yaml-cpp counts lines and columns from 0.
    return Error(kRootPath,
                 absl::StrCat("yaml syntax error at line ", e.mark.line + 1,
                              ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return Error(kRootPath, absl::StrCat("yaml error: ", e.what()));
  }
  if (documents.empty() || documents[0].IsNull())
    return Error(kRootPath, "the file is empty");
  if (documents.size() > 1)
    return Error(kRootPath, "more than one yaml document");

  // yaml-cpp's accessors throw on misuse; nothing below should, but no
  // exception may leave this module.
  try {
    absl::StatusOr<Fields> top =
        Fields::Read(documents[0], "",
                     {"listen", "ops_listen", "shutdown_grace", "shutdown_delay", "log_level",
                      "revocation_resync_interval", "tls", "database", "issuer",
                      "tokens", "signing_keys", "callers"});
    if (!top.ok()) return top.status();
    Config config;
    const YAML::Node empty_map(YAML::NodeType::Map);

    if (absl::Status s = GetString(*top, "listen", &config.listen); !s.ok())
      return s;
    if (absl::Status s = Require(*top, "listen", config.listen); !s.ok())
      return s;
    if (absl::Status s = CheckListen("listen", config.listen); !s.ok())
      return s;

    if (absl::Status s = GetString(*top, "ops_listen", &config.ops_listen);
        !s.ok())
      return s;
    if (!config.ops_listen.empty()) {
      if (absl::Status s = CheckListen("ops_listen", config.ops_listen);
          !s.ok())
        return s;
      // The ops server's HTTP library (Debian's civetweb) has no IPv6.
      if (config.ops_listen.front() == '[') {
        return Error("ops_listen",
                     absl::StrCat("ipv6 is not supported on the ops port: ",
                                  Quote(config.ops_listen)));
      }
      // Port 0 picks a free port for each, so the same text cannot collide.
      if (config.ops_listen == config.listen && !absl::EndsWith(config.listen, ":0")) {
        return Error("ops_listen", "must differ from listen");
      }
    }

    if (absl::Status s =
            GetDuration(*top, "shutdown_grace", &config.shutdown_grace);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            GetDuration(*top, "shutdown_delay", &config.shutdown_delay);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = ParseLogLevel(*top, &config.log_level); !s.ok())
      return s;
    if (absl::Status s = GetDuration(*top, "revocation_resync_interval",
                                     &config.revocation_resync_interval);
        !s.ok()) {
      return s;
    }
    if (config.revocation_resync_interval <= absl::ZeroDuration()) {
      return Error("revocation_resync_interval", "must be positive");
    }

    if (absl::Status s =
            ParseTls(SectionOrEmpty(*top, "tls", empty_map), &config.tls);
        !s.ok()) {
      return s;
    }
    if (absl::Status s =
            ParseDatabase(SectionOrEmpty(*top, "database", empty_map),
                          dsn_override, &config.database);
        !s.ok()) {
      return s;
    }

    if (absl::Status s = GetString(*top, "issuer", &config.issuer); !s.ok())
      return s;
    if (absl::Status s = Require(*top, "issuer", config.issuer); !s.ok())
      return s;

    if (absl::Status s = ParseTokens(SectionOrEmpty(*top, "tokens", empty_map),
                                     &config.tokens);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckTokens(config.tokens); !s.ok()) return s;

    const YAML::Node* keys = top->Find("signing_keys");
    if (keys == nullptr)
      return Error("signing_keys", "required key is missing");
    if (absl::Status s = ParseSigningKeys(*keys, &config.signing_keys); !s.ok())
      return s;
    if (config.signing_keys.empty())
      return Error("signing_keys", "at least one key is required");

    if (const YAML::Node* callers = top->Find("callers"); callers != nullptr) {
      std::vector<bool> max_ttl_set;
      if (absl::Status s =
              ParseCallers(*callers, &config.callers, &max_ttl_set);
          !s.ok()) {
        return s;
      }
      for (size_t i = 0; i < config.callers.size(); ++i) {
        if (!max_ttl_set[i])
          config.callers[i].max_ttl = config.tokens.access_ttl;
      }
    }
    return config;
  } catch (const std::exception& e) {
    return Error(kRootPath, absl::StrCat("yaml error: ", e.what()));
  }
}

// ---------------------------------------------------------------------------
// Files

std::string ErrnoText(int error) {
  return absl::AsciiStrToLower(
      std::error_code(error, std::generic_category()).message());
}

absl::Status ErrnoStatus(int error, absl::string_view message) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

// Reads a whole regular file of at most `max_bytes`. Messages start with
// `what` (for example `config file "/etc/tokend.yaml"`).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_bytes,
                                          absl::string_view what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return ErrnoStatus(error, absl::StrCat(what, ": ", ErrnoText(error)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": not a regular file"));
  }
  std::string data;
  char buffer[16384];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat(what, ": ", ErrnoText(error)));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": larger than ", max_bytes / 1024, " KiB"));
    }
  }
  ::close(fd);
  return data;
}

// OK if `path` is a regular file this process can open for reading.
absl::Status CheckReadable(absl::string_view key_path,
                           const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return absl::FailedPreconditionError(absl::StrCat(
        key_path, ": cannot read ", Quote(path), ": ", ErrnoText(error)));
  }
  struct stat st;
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) {
    return absl::FailedPreconditionError(
        absl::StrCat(key_path, ": ", Quote(path), " is not a regular file"));
  }
  return absl::OkStatus();
}

// `directory` is empty or ends with '/'.
void ResolveAgainst(const std::string& directory, std::string* path) {
  if (directory.empty() || path->empty() || (*path)[0] == '/') return;
  *path = absl::StrCat(directory, *path);
}

}  // namespace

absl::StatusOr<Config> ParseConfig(absl::string_view yaml_text) {
  return Parse(yaml_text, std::nullopt);
}

absl::StatusOr<Config> LoadConfig(
    const std::string& path,
    const std::function<const char*(const char*)>& getenv,
    NamedFiles named_files) {
  absl::StatusOr<std::string> text = ReadSmallFile(
      path, kMaxConfigBytes, absl::StrCat("config file ", Quote(path)));
  if (!text.ok()) return text.status();

  std::optional<std::string> dsn_override;
  if (getenv) {
    const char* env = getenv("TOKEND_DATABASE_DSN");
    if (env != nullptr && env[0] != '\0') dsn_override = env;
  }
  absl::StatusOr<Config> config = Parse(*text, dsn_override);
  if (!config.ok()) return config.status();

  // The directory of the config file, with its trailing slash ("" for a
  // bare file name: relative paths then stay relative to the working
  // directory).
  size_t slash = path.rfind('/');
  std::string directory =
      slash == std::string::npos ? "" : path.substr(0, slash + 1);
  ResolveAgainst(directory, &config->tls.cert_file);
  ResolveAgainst(directory, &config->tls.key_file);
  ResolveAgainst(directory, &config->tls.client_ca_file);
  for (SigningKeyConfig& key : config->signing_keys)
    ResolveAgainst(directory, &key.file);

  if (named_files == NamedFiles::kSkip) return config;
  std::vector<std::pair<std::string, const std::string*>> files = {
      {"tls.cert_file", &config->tls.cert_file},
      {"tls.key_file", &config->tls.key_file},
      {"tls.client_ca_file", &config->tls.client_ca_file}};
  for (size_t i = 0; i < config->signing_keys.size(); ++i) {
    files.emplace_back(absl::StrCat("signing_keys[", i, "].file"),
                       &config->signing_keys[i].file);
  }
  for (const auto& [key_path, file] : files) {
    if (absl::Status s = CheckReadable(key_path, *file); !s.ok()) return s;
  }
  return config;
}

}  // namespace tokend::config
