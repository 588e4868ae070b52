// The payload of a revocation NOTIFY, as the revocation feed reads it and
// hands it to the replica's revocation set
// (store/postgres/revocation_notification.h, service/revocation_set.h).
// Properties: never crashes; a parsed revocation has a known kind and a
// non-empty key, and once added to a set it is in effect.

#include "absl/time/time.h"
#include "fuzz/fuzz_support.h"
#include "service/revocation_set.h"
#include "store/postgres/revocation_notification.h"
#include "store/record_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tokend::store::Revocation;
  std::optional<Revocation> r =
      tokend::store::postgres::ParseRevocationNotification(tokend::fuzz::AsText(data, size));
  if (!r.has_value()) return 0;
  if (!tokend::store::IsRevocationKind(static_cast<int>(r->kind)) || r->key.empty()) {
    tokend::fuzz::Fail("parsed a revocation of no known kind or without a key");
  }

  tokend::service::RevocationSet set;
  set.Add(*r);
  switch (r->kind) {
    case Revocation::Kind::kToken:
      if (!set.IsAccessTokenRevoked(r->key, "", "", absl::UnixEpoch())) {
        tokend::fuzz::Fail("a token revocation is not in effect");
      }
      break;
    case Revocation::Kind::kFamily:
      if (!set.IsFamilyRevoked(r->key)) tokend::fuzz::Fail("a family revocation is not in effect");
      break;
    case Revocation::Kind::kSubject:
      if (set.SubjectRevokedAt(r->key) == std::nullopt) {
        tokend::fuzz::Fail("a subject revocation is not in effect");
      }
      break;
  }
  set.ForgetExpired(r->expires_at);
  if (set.size() != 0) tokend::fuzz::Fail("an expired revocation is kept");
  return 0;
}
