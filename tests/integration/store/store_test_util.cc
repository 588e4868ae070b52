#include "tests/integration/store/store_test_util.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/postgres/migrations.h"

namespace tokend::testing {

// One PostgreSQL cluster for the whole binary.
const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

PostgresCluster& Cluster() { return PostgresEnvironment::cluster(); }

std::string UniqueName(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", ++counter);
}

absl::StatusOr<TestDatabase> NewMigratedDatabase(absl::string_view prefix, int pool_size) {
  TestDatabase out;
  out.name = UniqueName(prefix);
  absl::StatusOr<std::string> dsn = Cluster().CreateDatabase(out.name);
  if (!dsn.ok()) return dsn.status();
  out.dsn = *dsn;
  store::postgres::DatabaseOptions options;
  options.dsn = out.dsn;
  options.pool_size = pool_size;
  auto db = store::postgres::Database::Open(options);
  if (!db.ok()) return db.status();
  out.db = *std::move(db);
  if (absl::Status s = store::postgres::Migrate(*out.db); !s.ok()) return s;
  return out;
}

std::string TokenHash(int n, int salt) {
  std::string h(32, '\0');
  for (int i = 0; i < 32; ++i) h[i] = static_cast<char>((n * 131 + salt * 31 + i * 7) & 0xff);
  h[0] = '\0';
  h[1] = static_cast<char>(0xff);
  h[2] = static_cast<char>(n & 0xff);
  h[3] = static_cast<char>((n >> 8) & 0xff);
  h[4] = static_cast<char>(salt & 0xff);
  return h;
}

absl::Time At(double seconds) { return absl::FromUnixSeconds(1800000000) + absl::Seconds(seconds); }

store::RefreshFamily MakeFamily(absl::string_view family_id, absl::string_view subject) {
  store::RefreshFamily f;
  f.family_id = std::string(family_id);
  f.client_id = "spiffe://example.org/login";
  f.subject = std::string(subject);
  f.audience = {"api://orders", "api://billing"};
  f.custom_claims_json = R"({"tenant":"acme"})";
  f.created_at = At(0);
  f.absolute_expires_at = At(90 * 86400);
  return f;
}

store::RefreshToken MakeToken(absl::string_view hash, absl::string_view family_id,
                              absl::Time issued_at) {
  store::RefreshToken t;
  t.token_hash = std::string(hash);
  t.family_id = std::string(family_id);
  t.scopes = {"orders:read", "orders:write"};
  t.issued_at = issued_at;
  t.expires_at = issued_at + absl::Hours(720);
  return t;
}

store::Revocation MakeRevocation(store::Revocation::Kind kind, absl::string_view key,
                                 absl::Time revoked_at, absl::Time expires_at) {
  store::Revocation r;
  r.kind = kind;
  r.key = std::string(key);
  r.revoked_at = revoked_at;
  r.expires_at = expires_at;
  return r;
}

void Collector::Add(const store::Revocation& r) {
  absl::MutexLock lock(&mu_);
  all_.push_back(r);
}

std::optional<store::Revocation> Collector::WaitFor(store::Revocation::Kind kind,
                                                    absl::string_view key, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  std::optional<store::Revocation> found;
  auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = all_.rbegin(); it != all_.rend(); ++it) {
      if (it->kind == kind && it->key == key) {
        found = *it;
        return true;
      }
    }
    return false;
  };
  mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
  return found;
}

size_t Collector::WaitForCount(store::Revocation::Kind kind, absl::string_view key, size_t n,
                               absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  size_t seen = 0;
  auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    seen = 0;
    for (const store::Revocation& r : all_) {
      if (r.kind == kind && r.key == key) ++seen;
    }
    return seen >= n;
  };
  mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
  return seen;
}

size_t Collector::count() const {
  absl::MutexLock lock(&mu_);
  return all_.size();
}

}  // namespace tokend::testing
