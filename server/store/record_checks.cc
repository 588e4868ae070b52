#include "store/record_checks.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace tokend::store {
namespace {

constexpr size_t kTokenHashSize = 32;  // SHA-256

absl::Status CheckTexts(absl::string_view name, const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    if (absl::Status s = CheckText(name, v); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// `token`'s fields, named "<what>.token_hash", ...
absl::Status CheckToken(absl::string_view what, const RefreshToken& token) {
  absl::Status s = CheckTokenHash(absl::StrCat(what, ".token_hash"), token.token_hash);
  if (s.ok()) s = CheckTexts(absl::StrCat(what, ".scopes"), token.scopes);
  if (s.ok()) s = CheckTime(absl::StrCat(what, ".issued_at"), token.issued_at);
  if (s.ok()) s = CheckTime(absl::StrCat(what, ".expires_at"), token.expires_at);
  return s;
}

}  // namespace

absl::Status CheckTokenHash(absl::string_view name, absl::string_view hash) {
  if (hash.size() != kTokenHashSize) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be 32 bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view name, absl::string_view value) {
  if (value.find('\0') != absl::string_view::npos || !common::IsUtf8(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be UTF-8 text without NUL characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckTime(absl::string_view name, absl::Time t) {
  if (t == absl::InfiniteFuture() || t == absl::InfinitePast()) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be a finite time"));
  }
  return absl::OkStatus();
}

absl::Status CheckNewFamily(const RefreshFamily& family, const RefreshToken& first) {
  absl::Status s = CheckText("family.family_id", family.family_id);
  if (s.ok() && family.family_id.empty()) {
    s = absl::InvalidArgumentError("family.family_id is empty");
  }
  if (s.ok()) s = CheckText("family.client_id", family.client_id);
  if (s.ok()) s = CheckText("family.subject", family.subject);
  if (s.ok()) s = CheckTexts("family.audience", family.audience);
  if (s.ok()) s = CheckText("family.custom_claims_json", family.custom_claims_json);
  if (s.ok()) s = CheckTime("family.created_at", family.created_at);
  if (s.ok()) s = CheckTime("family.absolute_expires_at", family.absolute_expires_at);
  if (s.ok()) s = CheckToken("first", first);
  return s;
}

absl::Status CheckRotation(absl::string_view presented_hash, absl::Time used_at,
                           const RefreshToken& successor) {
  absl::Status s = CheckTokenHash("presented_hash", presented_hash);
  if (s.ok()) s = CheckTime("used_at", used_at);
  if (s.ok()) s = CheckToken("successor", successor);
  return s;
}

absl::Status CheckRevocation(const Revocation& revocation) {
  if (!IsRevocationKind(static_cast<int>(revocation.kind))) {
    return absl::InvalidArgumentError("revocation.kind is unknown");
  }
  if (revocation.key.empty()) return absl::InvalidArgumentError("revocation.key is empty");
  absl::Status s = CheckText("revocation.key", revocation.key);
  if (s.ok()) s = CheckTime("revocation.revoked_at", revocation.revoked_at);
  if (s.ok()) s = CheckTime("revocation.expires_at", revocation.expires_at);
  return s;
}

bool IsRevocationKind(int kind) {
  return kind == static_cast<int>(Revocation::Kind::kToken) ||
         kind == static_cast<int>(Revocation::Kind::kFamily) ||
         kind == static_cast<int>(Revocation::Kind::kSubject);
}

}  // namespace tokend::store
