#include "store/postgres/database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {
namespace {

// libpq ignores connect_timeout values below 2 seconds (it uses 2).
constexpr int64_t kMinConnectTimeoutSeconds = 2;

bool IsUri(absl::string_view dsn) {
  return absl::StartsWith(dsn, "postgresql://") || absl::StartsWith(dsn, "postgres://");
}

// How many servers the DSN lists, after libpq's own checks of the options
// that list them, which it makes only when it connects, and then reports
// like an unreachable server. Made here so that a DSN that can never work is
// a configuration error.
absl::StatusOr<size_t> CountServers(const absl::flat_hash_map<std::string, std::string>& given) {
  auto list = [&](const char* keyword) -> std::vector<std::string> {
    auto it = given.find(keyword);
    if (it == given.end()) return {};
    return absl::StrSplit(it->second, ',');
  };
  const std::vector<std::string> hosts = list("host");
  const std::vector<std::string> hostaddrs = list("hostaddr");
  const std::vector<std::string> ports = list("port");
  if (!hosts.empty() && !hostaddrs.empty() && hosts.size() != hostaddrs.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "database.dsn names ", hosts.size(), " hosts but ", hostaddrs.size(), " hostaddr values"));
  }
  const size_t servers = std::max<size_t>({hosts.size(), hostaddrs.size(), 1});
  if (ports.size() > 1 && ports.size() != servers) {
    return absl::InvalidArgumentError(
        absl::StrCat("database.dsn names ", ports.size(), " ports for ", servers, " hosts"));
  }
  for (const std::string& port : ports) {
    int number = 0;
    if (!port.empty() && (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535)) {
      return absl::InvalidArgumentError("database.dsn has a port that is not 1..65535");
    }
  }
  if (auto it = given.find("target_session_attrs"); it != given.end()) {
    static constexpr absl::string_view kKnown[] = {"any",     "read-write", "read-only",
                                                   "primary", "standby",    "prefer-standby"};
    if (std::find(std::begin(kKnown), std::end(kKnown), it->second) == std::end(kKnown)) {
      return absl::InvalidArgumentError(
          "database.dsn: target_session_attrs must be any, read-write, read-only, primary, "
          "standby or prefer-standby");
    }
  }
  return servers;
}

}  // namespace

absl::StatusOr<std::string> EffectiveDsn(const DatabaseOptions& options) {
  if (options.dsn.empty()) return absl::InvalidArgumentError("database.dsn is empty");
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.connect_timeout == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("database connect_timeout must be positive");
  }
  // Parse with libpq itself so that both DSN forms are understood exactly as
  // it will. Its error text may quote the DSN (and a password): dropped.
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.dsn.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (parsed == nullptr) return absl::InvalidArgumentError("database.dsn is malformed");
  absl::flat_hash_map<std::string, std::string> given;
  for (PQconninfoOption* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val != nullptr && o->val[0] != '\0') given.emplace(o->keyword, o->val);
  }
  PQconninfoFree(parsed);
  absl::StatusOr<size_t> servers = CountServers(given);
  if (!servers.ok()) return servers.status();

  const int64_t seconds =
      std::max(kMinConnectTimeoutSeconds,
               absl::ToInt64Seconds(absl::Ceil(options.connect_timeout, absl::Seconds(1))));
  // Defaults for what the DSN leaves unset. Keepalives and tcp_user_timeout
  // make a vanished database host (not just a stopped server) fail calls in
  // seconds rather than after the kernel's retransmission timeout of ~15
  // minutes; application_name shows tokend in pg_stat_activity. Of several
  // servers only a writable one will do (every session of tokend writes or
  // LISTENs, which a standby refuses): without read-write, libpq would keep
  // a session on the first server that answers, a standby included.
  std::vector<std::pair<const char*, std::string>> defaults = {
      {"connect_timeout", absl::StrCat(seconds)},
      {"keepalives_idle", "10"},
      {"keepalives_interval", "5"},
      {"keepalives_count", "3"},
      {"tcp_user_timeout", "15000"},
      {"application_name", options.application_name},
  };
  if (*servers > 1) defaults.emplace_back("target_session_attrs", "read-write");
  std::string dsn = options.dsn;
  bool uri_has_query = dsn.find('?') != std::string::npos;
  for (const auto& [keyword, value] : defaults) {
    if (given.contains(keyword)) continue;
    if (IsUri(dsn)) {
      absl::StrAppend(&dsn, uri_has_query ? "&" : "?", keyword, "=", value);
      uri_has_query = true;
    } else {
      absl::StrAppend(&dsn, " ", keyword, "=", value);
    }
  }
  return dsn;
}

Database::Database(std::unique_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

Database::~Database() = default;

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  if (options.pool_size < 1 || options.pool_size > 1000) {
    return absl::InvalidArgumentError("database.pool_size must be between 1 and 1000");
  }
  absl::StatusOr<std::string> dsn = EffectiveDsn(options);
  if (!dsn.ok()) return dsn.status();
  auto pool = std::make_unique<ConnectionPool>(*std::move(dsn), options.pool_size);
  if (absl::Status warm = pool->Warm(); !warm.ok()) return warm;
  return std::unique_ptr<Database>(new Database(std::move(pool)));
}

absl::Status Database::Ping(absl::Time deadline) {
  return RunTransaction(*pool_, "ping", deadline, [](pqxx::work& txn) {
    txn.exec_prepared(sql::kPing.name);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::string> Database::SharedSecret(absl::string_view name, absl::Time deadline) {
  std::optional<std::string> value;
  absl::Status status = RunTransaction(*pool_, "read_secret", deadline, [&](pqxx::work& txn) {
    const pqxx::result r = txn.exec_prepared(sql::kReadSharedSecret.name, std::string(name));
    if (!r.empty()) value = pqxx::binarystring(r[0][0]).str();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!value.has_value()) {
    return absl::NotFoundError(absl::StrCat("no shared secret \"", name, "\" in the database"));
  }
  return *std::move(value);
}

Database::PoolStats Database::stats() const {
  const ConnectionPool::Stats s = pool_->stats();
  return PoolStats{s.size, s.in_use, s.waiting, s.open};
}

}  // namespace tokend::store::postgres
