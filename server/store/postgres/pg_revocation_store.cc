#include "store/postgres/pg_revocation_store.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "store/postgres/batcher.h"
#include "store/postgres/codec.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/sql.h"
#include "store/record_checks.h"

namespace tokend::store::postgres {
namespace {

constexpr absl::Duration kMaintenanceTimeout = absl::Minutes(5);
constexpr int kPurgeBatch = 1000;

// One caller's Revoke, waiting in a Batcher.
struct RevokeOp final : Batcher::Op {
  const Revocation* revocation = nullptr;
};

void RevokeMany(pqxx::transaction_base& txn, absl::Span<Batcher::Op* const> ops) {
  std::vector<std::string> kinds, keys, revoked, expires;
  // Equal keys arrive next to each other (the batcher sorts by key) and
  // become one row with the later times, as the upsert would merge them:
  // one statement cannot upsert a row twice.
  for (size_t i = 0; i < ops.size();) {
    const Revocation& first = *static_cast<const RevokeOp&>(*ops[i]).revocation;
    absl::Time revoked_at = first.revoked_at;
    absl::Time expires_at = first.expires_at;
    size_t j = i + 1;
    for (; j < ops.size() && ops[j]->key == ops[i]->key; ++j) {
      const Revocation& repeat = *static_cast<const RevokeOp&>(*ops[j]).revocation;
      revoked_at = std::max(revoked_at, repeat.revoked_at);
      expires_at = std::max(expires_at, repeat.expires_at);
    }
    kinds.push_back(absl::StrCat(static_cast<int>(first.kind)));
    keys.push_back(first.key);
    revoked.push_back(FormatTimestamp(revoked_at));
    expires.push_back(FormatTimestamp(expires_at));
    i = j;
  }
  txn.exec_prepared(sql::kRevokeMany.name, TextArrayLiteral(kinds), TextArrayLiteral(keys),
                    TextArrayLiteral(revoked), TextArrayLiteral(expires));
}

}  // namespace

PgRevocationStore::PgRevocationStore(Database* db)
    : db_(db),
      revoke_(std::make_unique<Batcher>(&db->pool(), "revoke_many", RevokeMany,
                                        Batcher::Options{.coalesce_equal_keys = true})) {}

PgRevocationStore::~PgRevocationStore() = default;

absl::Status PgRevocationStore::Revoke(const Revocation& revocation, absl::Time deadline) {
  if (absl::Status s = CheckRevocation(revocation); !s.ok()) return s;
  RevokeOp op;
  // Equal keys are coalesced into one row of their batch (RevokeMany).
  op.key = absl::StrCat(static_cast<int>(revocation.kind), " ", revocation.key);
  op.deadline = deadline;
  op.revocation = &revocation;
  return revoke_->Run(op);
}

absl::StatusOr<absl::Time> PgRevocationStore::ForEachRecordedAfter(
    absl::Time recorded_after, absl::Time now, const std::function<void(const Revocation&)>& visit,
    absl::Time deadline) {
  absl::Time watermark;
  absl::Status status =
      RunTransaction(db_->pool(), "read_revocations", deadline, [&](pqxx::work& txn) {
        auto start = MicrosField(txn.exec_prepared1(sql::kTransactionTime.name)[0]);
        if (!start.ok()) return start.status();
        watermark = *start;
        txn.exec_prepared(sql::kDeclareRevocations.name, FormatTimestamp(recorded_after),
                          FormatTimestamp(now));
        Revocation rev;
        for (;;) {
          const pqxx::result batch = txn.exec_prepared(sql::kFetchRevocations.name);
          if (batch.empty()) break;
          for (const pqxx::row& row : batch) {
            int kind = 0;
            if (!absl::SimpleAtoi(absl::string_view(row[0].c_str(), row[0].size()), &kind) ||
                !IsRevocationKind(kind)) {
              return absl::InternalError("unexpected revocation kind in database");
            }
            rev.kind = static_cast<Revocation::Kind>(kind);
            rev.key.assign(row[1].c_str(), row[1].size());
            auto revoked = MicrosField(row[2]);
            if (!revoked.ok()) return revoked.status();
            auto expires = MicrosField(row[3]);
            if (!expires.ok()) return expires.status();
            rev.revoked_at = *revoked;
            rev.expires_at = *expires;
            visit(rev);
          }
        }
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return watermark;
}

absl::Status PgRevocationStore::ForEachUnexpired(
    absl::Time now, const std::function<void(const Revocation&)>& visit) {
  if (absl::Status s = CheckTime("now", now); !s.ok()) return s;
  return ForEachRecordedAfter(absl::InfinitePast(), now, visit, absl::Now() + kMaintenanceTimeout)
      .status();
}

absl::StatusOr<int64_t> PgRevocationStore::PurgeExpired(absl::Time now) {
  if (absl::Status s = CheckTime("now", now); !s.ok()) return s;
  const absl::Time deadline = absl::Now() + kMaintenanceTimeout;
  const std::string cutoff = FormatTimestamp(now);
  int64_t total = 0;
  for (;;) {
    int64_t deleted = 0;
    absl::Status status =
        RunTransaction(db_->pool(), "purge_revocations", deadline, [&](pqxx::work& txn) {
          deleted = static_cast<int64_t>(
              txn.exec_prepared(sql::kPurgeRevocations.name, cutoff, kPurgeBatch).affected_rows());
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    total += deleted;
    if (deleted < kPurgeBatch) break;
  }
  for (;;) {
    int64_t families = 0;
    int64_t tokens = 0;
    absl::Status status =
        RunTransaction(db_->pool(), "purge_families", deadline, [&](pqxx::work& txn) {
          const pqxx::row row = txn.exec_prepared1(sql::kPurgeFamilies.name, cutoff, kPurgeBatch);
          families = row[0].as<int64_t>();
          tokens = row[1].as<int64_t>();
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    total += families + tokens;
    if (families < kPurgeBatch) break;
  }
  return total;
}

}  // namespace tokend::store::postgres
