#include "store/postgres/refresh_token_store.h"

#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "store/postgres/codec.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/sql.h"

namespace tokend::store::postgres {
namespace {

constexpr size_t kTokenHashSize = 32;  // SHA-256

absl::Status CheckHash(absl::string_view name, absl::string_view hash) {
  if (hash.size() != kTokenHashSize) {
    return absl::InvalidArgumentError(std::string(name) + " must be 32 bytes");
  }
  return absl::OkStatus();
}

absl::Status CheckTexts(absl::string_view name,
                        const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    if (absl::Status s = CheckText(name, v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckToken(absl::string_view what, const RefreshToken& token) {
  absl::Status s =
      CheckHash(std::string(what) + ".token_hash", token.token_hash);
  if (s.ok()) s = CheckTexts(std::string(what) + ".scopes", token.scopes);
  if (s.ok()) s = CheckTime(std::string(what) + ".issued_at", token.issued_at);
  if (s.ok())
    s = CheckTime(std::string(what) + ".expires_at", token.expires_at);
  return s;
}

absl::Status CheckFamily(const RefreshFamily& family) {
  absl::Status s = CheckText("family.family_id", family.family_id);
  if (s.ok() && family.family_id.empty()) {
    s = absl::InvalidArgumentError("family.family_id is empty");
  }
  if (s.ok()) s = CheckText("family.client_id", family.client_id);
  if (s.ok()) s = CheckText("family.subject", family.subject);
  if (s.ok()) s = CheckTexts("family.audience", family.audience);
  if (s.ok())
    s = CheckText("family.custom_claims_json", family.custom_claims_json);
  if (s.ok()) s = CheckTime("family.created_at", family.created_at);
  if (s.ok())
    s = CheckTime("family.absolute_expires_at", family.absolute_expires_at);
  return s;
}

pqxx::binarystring Bytes(absl::string_view s) {
  return pqxx::binarystring(s.data(), s.size());
}

// Columns of sql::kFindToken, in order.
absl::StatusOr<RefreshTokenState> ReadState(const pqxx::row& row,
                                            absl::string_view token_hash) {
  RefreshTokenState state;
  state.token.token_hash = std::string(token_hash);
  state.token.family_id = row[0].as<std::string>();
  auto scopes = TextArrayField(row[1]);
  if (!scopes.ok()) return scopes.status();
  state.token.scopes = *std::move(scopes);
  auto issued = MicrosField(row[2]);
  if (!issued.ok()) return issued.status();
  state.token.issued_at = *issued;
  auto expires = MicrosField(row[3]);
  if (!expires.ok()) return expires.status();
  state.token.expires_at = *expires;
  if (!row[4].is_null()) {
    auto used = MicrosField(row[4]);
    if (!used.ok()) return used.status();
    state.used_at = *used;
  }
  state.family.family_id = state.token.family_id;
  state.family.client_id = row[5].as<std::string>();
  state.family.subject = row[6].as<std::string>();
  auto audience = TextArrayField(row[7]);
  if (!audience.ok()) return audience.status();
  state.family.audience = *std::move(audience);
  state.family.custom_claims_json = row[8].as<std::string>();
  auto created = MicrosField(row[9]);
  if (!created.ok()) return created.status();
  state.family.created_at = *created;
  auto absolute = MicrosField(row[10]);
  if (!absolute.ok()) return absolute.status();
  state.family.absolute_expires_at = *absolute;
  state.family_revoked = row[11].as<bool>();
  if (!row[12].is_null()) {
    auto subject_revoked = MicrosField(row[12]);
    if (!subject_revoked.ok()) return subject_revoked.status();
    state.subject_revoked_at = *subject_revoked;
  }
  return state;
}

}  // namespace

absl::Status PgRefreshTokenStore::CreateFamily(const RefreshFamily& family,
                                               const RefreshToken& first,
                                               absl::Time deadline) {
  if (absl::Status s = CheckFamily(family); !s.ok()) return s;
  if (absl::Status s = CheckToken("first", first); !s.ok()) return s;
  return RunTransaction(
      db_->pool(), "create_family", deadline, [&](pqxx::work& txn) {
        txn.exec_prepared(
            sql::kCreateFamily.name, family.family_id, family.client_id,
            family.subject, TextArrayLiteral(family.audience),
            family.custom_claims_json, FormatTimestamp(family.created_at),
            FormatTimestamp(family.absolute_expires_at),
            Bytes(first.token_hash), TextArrayLiteral(first.scopes),
            FormatTimestamp(first.issued_at),
            FormatTimestamp(first.expires_at));
        return absl::OkStatus();
      });
}

absl::StatusOr<std::optional<RefreshTokenState>> PgRefreshTokenStore::Find(
    absl::string_view token_hash, absl::Time deadline) {
  if (absl::Status s = CheckHash("token_hash", token_hash); !s.ok()) return s;
  std::optional<RefreshTokenState> found;
  absl::Status status =
      RunTransaction(db_->pool(), "find", deadline, [&](pqxx::work& txn) {
        const pqxx::result r =
            txn.exec_prepared(sql::kFindToken.name, Bytes(token_hash));
        if (r.empty()) return absl::OkStatus();
        auto state = ReadState(r[0], token_hash);
        if (!state.ok()) return state.status();
        found = *std::move(state);
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<RefreshTokenStore::RotateOutcome> PgRefreshTokenStore::Rotate(
    absl::string_view presented_hash, absl::Time used_at,
    const RefreshToken& successor, absl::Time deadline) {
  if (absl::Status s = CheckHash("presented_hash", presented_hash); !s.ok())
    return s;
  if (absl::Status s = CheckTime("used_at", used_at); !s.ok()) return s;
  if (absl::Status s = CheckToken("successor", successor); !s.ok()) return s;
  RotateOutcome outcome = RotateOutcome::kAlreadyUsed;
  absl::Status status =
      RunTransaction(db_->pool(), "rotate", deadline, [&](pqxx::work& txn) {
        const pqxx::result r = txn.exec_prepared(
            sql::kRotateToken.name, Bytes(presented_hash),
            FormatTimestamp(used_at), Bytes(successor.token_hash),
            TextArrayLiteral(successor.scopes),
            FormatTimestamp(successor.issued_at),
            FormatTimestamp(successor.expires_at));
        outcome =
            r.empty() ? RotateOutcome::kAlreadyUsed : RotateOutcome::kRotated;
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return outcome;
}

}  // namespace tokend::store::postgres
