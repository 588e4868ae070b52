#ifndef TOKEND_TESTS_INTEGRATION_STORE_STORE_TEST_UTIL_H_
#define TOKEND_TESTS_INTEGRATION_STORE_STORE_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/postgres/database.h"
#include "store/records.h"
#include "tests/support/postgres_cluster.h"

namespace tokend::testing {

// The binary's shared cluster (see store_test_util.cc).
PostgresCluster& Cluster();

// A fresh database on the shared cluster, migrated to kSchemaVersion.
struct TestDatabase {
  std::string name;
  std::string dsn;
  std::unique_ptr<store::postgres::Database> db;
};
absl::StatusOr<TestDatabase> NewMigratedDatabase(absl::string_view prefix, int pool_size = 8);
// A unique database name starting with `prefix`.
std::string UniqueName(absl::string_view prefix);

// A 32-byte token hash made from `n` and `salt`, with bytes 0x00 and 0xff in
// it so that binary handling is exercised.
std::string TokenHash(int n, int salt = 0);

// A fixed point in time (2027-01-15T08:00:00Z) plus `seconds`.
absl::Time At(double seconds);

store::RefreshFamily MakeFamily(absl::string_view family_id, absl::string_view subject);
store::RefreshToken MakeToken(absl::string_view hash, absl::string_view family_id,
                              absl::Time issued_at);
store::Revocation MakeRevocation(store::Revocation::Kind kind, absl::string_view key,
                                 absl::Time revoked_at, absl::Time expires_at);

// Collects delivered revocations across threads.
class Collector {
 public:
  void Add(const store::Revocation& r);
  // Waits until a revocation of `kind`/`key` arrived; the latest one.
  std::optional<store::Revocation> WaitFor(store::Revocation::Kind kind, absl::string_view key,
                                           absl::Duration timeout);
  // How many revocations of `kind`/`key` arrived, once at least `n` did or
  // `timeout` passed.
  size_t WaitForCount(store::Revocation::Kind kind, absl::string_view key, size_t n,
                      absl::Duration timeout);
  size_t count() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<store::Revocation> all_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_INTEGRATION_STORE_STORE_TEST_UTIL_H_
