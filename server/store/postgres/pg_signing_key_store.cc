#include "store/postgres/pg_signing_key_store.h"

#include <pqxx/pqxx>
#include <string>

#include "absl/strings/escaping.h"
#include "store/postgres/codec.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {
namespace {

absl::StatusOr<std::vector<SigningKeyRecord>> ReadAll(pqxx::transaction_base& txn) {
  std::vector<SigningKeyRecord> rows;
  for (const pqxx::row& row : txn.exec_prepared(sql::kListSigningKeys.name)) {
    SigningKeyRecord r;
    r.kid = row[0].as<std::string>();
    r.alg = row[1].as<std::string>();
    r.kek_id = row[2].as<std::string>();
    r.sealed_key = absl::HexStringToBytes(row[3].as<std::string>());
    absl::Time* const times[] = {&r.publish_from, &r.signs_from, &r.signs_until, &r.delete_after};
    for (int i = 0; i < 4; ++i) {
      absl::StatusOr<absl::Time> t = MicrosField(row[4 + i]);
      if (!t.ok()) return t.status();
      *times[i] = *t;
    }
    if (!row[8].is_null()) {
      absl::StatusOr<absl::Time> t = MicrosField(row[8]);
      if (!t.ok()) return t.status();
      r.revoked_at = *t;
    }
    absl::StatusOr<absl::Time> created = MicrosField(row[9]);
    if (!created.ok()) return created.status();
    r.created_at = *created;
    r.imported = row[10].as<bool>();
    rows.push_back(std::move(r));
  }
  return rows;
}

void Write(pqxx::transaction_base& txn, const char* statement, const SigningKeyRecord& r) {
  txn.exec_prepared(statement, r.kid, r.alg, r.kek_id, absl::BytesToHexString(r.sealed_key),
                    FormatTimestamp(r.publish_from), FormatTimestamp(r.signs_from),
                    FormatTimestamp(r.signs_until), FormatTimestamp(r.delete_after),
                    r.revoked_at.has_value() ? FormatTimestamp(*r.revoked_at) : std::string(),
                    r.imported ? "true" : "false");
}

}  // namespace

absl::StatusOr<std::vector<SigningKeyRecord>> PgSigningKeyStore::List(absl::Time deadline) {
  std::vector<SigningKeyRecord> rows;
  absl::Status status =
      RunTransaction(db_->pool(), "list_signing_keys", deadline, [&](pqxx::work& txn) {
        absl::StatusOr<std::vector<SigningKeyRecord>> read = ReadAll(txn);
        if (!read.ok()) return read.status();
        rows = *std::move(read);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return rows;
}

absl::Status PgSigningKeyStore::Change(
    absl::FunctionRef<absl::StatusOr<SigningKeyChanges>(const std::vector<SigningKeyRecord>&)>
        decide,
    absl::Time deadline) {
  return RunTransaction(db_->pool(), "change_signing_keys", deadline, [&](pqxx::work& txn) {
    // Held until commit: the next changer reads the rows this one wrote.
    txn.exec_prepared(sql::kSigningKeyLock.name, sql::kSigningKeyLockKey);
    absl::StatusOr<std::vector<SigningKeyRecord>> rows = ReadAll(txn);
    if (!rows.ok()) return rows.status();
    absl::StatusOr<SigningKeyChanges> changes = decide(*rows);
    if (!changes.ok()) return changes.status();
    if (changes->empty()) return absl::OkStatus();
    for (const std::string& kid : changes->remove) {
      txn.exec_prepared(sql::kDeleteSigningKey.name, kid);
    }
    for (const SigningKeyRecord& r : changes->update) Write(txn, sql::kUpdateSigningKey.name, r);
    for (const SigningKeyRecord& r : changes->insert) Write(txn, sql::kInsertSigningKey.name, r);
    txn.exec_prepared(sql::kNotifySigningKeys.name);
    return absl::OkStatus();
  });
}

}  // namespace tokend::store::postgres
