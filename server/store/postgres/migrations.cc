#include "store/postgres/migrations.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/embedded_migrations.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {
namespace {

constexpr absl::Duration kVersionTimeout = absl::Seconds(30);
constexpr absl::Duration kMigrateTimeout = absl::Minutes(5);

}  // namespace

absl::StatusOr<int> CurrentSchemaVersion(Database& db) {
  int version = 0;
  absl::Status status = RunTransaction(
      db.pool(), "schema_version", absl::Now() + kVersionTimeout, [&](pqxx::work& txn) {
        if (!txn.exec_prepared1(sql::kMigrationsTableExists.name)[0].as<bool>()) {
          version = 0;
        } else {
          version = txn.exec_prepared1(sql::kCurrentSchemaVersion.name)[0].as<int>();
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return version;
}

absl::Status Migrate(Database& db) {
  const absl::Span<const Migration> migrations = EmbeddedMigrations();
  const absl::Time deadline = absl::Now() + kMigrateTimeout;
  for (;;) {
    bool done = false;
    absl::Status status = RunTransaction(db.pool(), "migrate", deadline, [&](pqxx::work& txn) {
      // Held until this transaction ends: concurrent migrators queue here
      // and then see the version this one recorded.
      txn.exec_prepared(sql::kMigrationLock.name, sql::kMigrationLockKey);
      txn.exec_prepared(sql::kCreateMigrationsTable.name);
      const int current = txn.exec_prepared1(sql::kCurrentSchemaVersion.name)[0].as<int>();
      if (current >= static_cast<int>(migrations.size())) {
        done = true;
        return absl::OkStatus();
      }
      const Migration& next = migrations[current];  // version current + 1
      txn.exec(next.sql);
      txn.exec_prepared(sql::kRecordMigration.name, next.version, next.name);
      common::Log(common::LogLevel::kInfo, "applying database migration",
                  {{"version", absl::StrCat(next.version)}, {"name", next.name}});
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    if (done) return absl::OkStatus();
  }
}

}  // namespace tokend::store::postgres
