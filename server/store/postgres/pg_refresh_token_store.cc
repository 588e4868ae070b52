#include "store/postgres/pg_refresh_token_store.h"

#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "store/postgres/batcher.h"
#include "store/postgres/codec.h"
#include "store/postgres/connection_pool.h"
#include "store/postgres/sql.h"
#include "store/record_checks.h"

namespace tokend::store::postgres {
namespace {

// Columns of sql::kFindTokens, in order.
absl::StatusOr<RefreshTokenState> ReadState(const pqxx::row& row, absl::string_view token_hash) {
  // The first field that cannot be read is the answer (INTERNAL).
  absl::Status status;
  auto read_time = [&](const pqxx::field& f, absl::Time& out) {
    absl::StatusOr<absl::Time> t = MicrosField(f);
    if (t.ok()) {
      out = *t;
    } else if (status.ok()) {
      status = t.status();
    }
  };
  auto read_texts = [&](const pqxx::field& f, std::vector<std::string>& out) {
    absl::StatusOr<std::vector<std::string>> texts = TextArrayField(f);
    if (texts.ok()) {
      out = *std::move(texts);
    } else if (status.ok()) {
      status = texts.status();
    }
  };
  RefreshTokenState state;
  state.token.token_hash = std::string(token_hash);
  state.token.family_id = row[0].as<std::string>();
  read_texts(row[1], state.token.scopes);
  read_time(row[2], state.token.issued_at);
  read_time(row[3], state.token.expires_at);
  if (!row[4].is_null()) read_time(row[4], state.used_at.emplace());
  state.family.family_id = state.token.family_id;
  state.family.client_id = row[5].as<std::string>();
  state.family.subject = row[6].as<std::string>();
  read_texts(row[7], state.family.audience);
  state.family.custom_claims_json = row[8].as<std::string>();
  read_time(row[9], state.family.created_at);
  read_time(row[10], state.family.absolute_expires_at);
  state.family_revoked = row[11].as<bool>();
  if (!row[12].is_null()) read_time(row[12], state.subject_revoked_at.emplace());
  if (!status.ok()) return status;
  return state;
}

// One caller's Find, CreateFamily or Rotate, waiting in a Batcher.
struct FindOp final : Batcher::Op {
  absl::string_view token_hash;
  std::optional<RefreshTokenState> found;
  absl::Status read;  // a row that could not be read (INTERNAL)
};
struct CreateFamilyOp final : Batcher::Op {
  const RefreshFamily* family = nullptr;
  const RefreshToken* first = nullptr;
};
struct RotateOp final : Batcher::Op {
  absl::string_view presented_hash;
  absl::Time used_at;
  const RefreshToken* successor = nullptr;
  RefreshTokenStore::RotateOutcome outcome = RefreshTokenStore::RotateOutcome::kAlreadyUsed;
};

// A bytea value as an element of a bytea[] literal ("\x" and hex; the
// array literal escapes the backslash).
std::string ByteaElement(absl::string_view bytes) {
  return absl::StrCat("\\x", absl::BytesToHexString(bytes));
}

void FindMany(pqxx::transaction_base& txn, absl::Span<Batcher::Op* const> ops) {
  std::vector<std::string> hashes;
  absl::flat_hash_map<absl::string_view, FindOp*> by_hash;
  for (Batcher::Op* op : ops) {
    auto& o = static_cast<FindOp&>(*op);
    o.found.reset();
    o.read = absl::OkStatus();
    hashes.push_back(ByteaElement(o.token_hash));
    by_hash[o.token_hash] = &o;
  }
  const pqxx::result r = txn.exec_prepared(sql::kFindTokens.name, TextArrayLiteral(hashes));
  for (const pqxx::row& row : r) {
    const std::string hash = pqxx::binarystring(row[13]).str();
    auto it = by_hash.find(hash);
    if (it == by_hash.end()) continue;
    auto state = ReadState(row, it->second->token_hash);
    if (state.ok()) {
      it->second->found = *std::move(state);
    } else {
      it->second->read = state.status();
    }
  }
}

void CreateFamilies(pqxx::transaction_base& txn, absl::Span<Batcher::Op* const> ops) {
  std::vector<std::string> ids, clients, subjects, audiences, claims, created, absolute, hashes,
      scopes, issued, expires;
  for (Batcher::Op* op : ops) {
    const auto& o = static_cast<const CreateFamilyOp&>(*op);
    ids.push_back(o.family->family_id);
    clients.push_back(o.family->client_id);
    subjects.push_back(o.family->subject);
    audiences.push_back(TextArrayLiteral(o.family->audience));
    claims.push_back(o.family->custom_claims_json);
    created.push_back(FormatTimestamp(o.family->created_at));
    absolute.push_back(FormatTimestamp(o.family->absolute_expires_at));
    hashes.push_back(ByteaElement(o.first->token_hash));
    scopes.push_back(TextArrayLiteral(o.first->scopes));
    issued.push_back(FormatTimestamp(o.first->issued_at));
    expires.push_back(FormatTimestamp(o.first->expires_at));
  }
  // One statement: every family with its first token, or (on any error,
  // such as a duplicate key) none of them.
  txn.exec_prepared(sql::kCreateFamilies.name, TextArrayLiteral(ids), TextArrayLiteral(clients),
                    TextArrayLiteral(subjects), TextArrayLiteral(audiences),
                    TextArrayLiteral(claims), TextArrayLiteral(created), TextArrayLiteral(absolute),
                    TextArrayLiteral(hashes), TextArrayLiteral(scopes), TextArrayLiteral(issued),
                    TextArrayLiteral(expires));
}

void RotateMany(pqxx::transaction_base& txn, absl::Span<Batcher::Op* const> ops) {
  std::vector<std::string> presented, used, successors, scopes, issued, expires;
  for (Batcher::Op* op : ops) {
    const auto& o = static_cast<const RotateOp&>(*op);
    presented.push_back(ByteaElement(o.presented_hash));
    used.push_back(FormatTimestamp(o.used_at));
    successors.push_back(ByteaElement(o.successor->token_hash));
    scopes.push_back(TextArrayLiteral(o.successor->scopes));
    issued.push_back(FormatTimestamp(o.successor->issued_at));
    expires.push_back(FormatTimestamp(o.successor->expires_at));
  }
  const pqxx::result r = txn.exec_prepared(sql::kRotateTokens.name, TextArrayLiteral(presented),
                                           TextArrayLiteral(used), TextArrayLiteral(successors),
                                           TextArrayLiteral(scopes), TextArrayLiteral(issued),
                                           TextArrayLiteral(expires));
  absl::flat_hash_set<std::string> rotated;
  for (const pqxx::row& row : r) rotated.insert(pqxx::binarystring(row[0]).str());
  for (Batcher::Op* op : ops) {
    auto& o = static_cast<RotateOp&>(*op);
    o.outcome = rotated.contains(o.presented_hash) ? RefreshTokenStore::RotateOutcome::kRotated
                                                   : RefreshTokenStore::RotateOutcome::kAlreadyUsed;
  }
}

}  // namespace

PgRefreshTokenStore::PgRefreshTokenStore(Database* db)
    : find_(std::make_unique<Batcher>(&db->pool(), "find_tokens", FindMany, Batcher::Options{})),
      create_family_(std::make_unique<Batcher>(&db->pool(), "create_families", CreateFamilies,
                                               Batcher::Options{})),
      rotate_(std::make_unique<Batcher>(&db->pool(), "rotate_tokens", RotateMany,
                                        Batcher::Options{})) {}

PgRefreshTokenStore::~PgRefreshTokenStore() = default;

absl::Status PgRefreshTokenStore::CreateFamily(const RefreshFamily& family,
                                               const RefreshToken& first, absl::Time deadline) {
  if (absl::Status s = CheckNewFamily(family, first); !s.ok()) return s;
  CreateFamilyOp op;
  op.key = family.family_id;
  op.deadline = deadline;
  op.family = &family;
  op.first = &first;
  return create_family_->Run(op);
}

absl::StatusOr<std::optional<RefreshTokenState>> PgRefreshTokenStore::Find(
    absl::string_view token_hash, absl::Time deadline) {
  if (absl::Status s = CheckTokenHash("token_hash", token_hash); !s.ok()) return s;
  // Concurrent reads share one statement (see batcher.h); one read commits
  // nothing, so only its round trips are saved.
  FindOp op;
  op.key = std::string(token_hash);
  op.deadline = deadline;
  op.token_hash = token_hash;
  if (absl::Status s = find_->Run(op); !s.ok()) return s;
  if (!op.read.ok()) return op.read;
  return std::move(op.found);
}

absl::StatusOr<RefreshTokenStore::RotateOutcome> PgRefreshTokenStore::Rotate(
    absl::string_view presented_hash, absl::Time used_at, const RefreshToken& successor,
    absl::Time deadline) {
  if (absl::Status s = CheckRotation(presented_hash, used_at, successor); !s.ok()) return s;
  RotateOp op;
  // Two redemptions of one token never share a batch (one statement cannot
  // update a row twice); in two concurrent batches the row lock orders them
  // exactly as it orders two calls alone: the later finds the token used.
  op.key = std::string(presented_hash);
  op.deadline = deadline;
  op.presented_hash = presented_hash;
  op.used_at = used_at;
  op.successor = &successor;
  if (absl::Status s = rotate_->Run(op); !s.ok()) return s;
  return op.outcome;
}

}  // namespace tokend::store::postgres
