// The readers of a signature-verified access-token payload and of custom
// claims (jwt/payload.h, jwt/jwt.h CanonicalCustomClaims). Properties: never
// crash or throw; the fast reader never accepts what the general one refuses
// and reads the same claims when both accept; the general reader refuses only
// with UNAUTHENTICATED; canonical custom claims, and the custom claims of a
// decoded payload, are canonical (again).

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "fuzz/claims_equal.h"
#include "fuzz/fuzz_support.h"
#include "jwt/jwt.h"
#include "jwt/payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tokend::fuzz::Fail;
  const absl::string_view payload = tokend::fuzz::AsText(data, size);

  absl::StatusOr<tokend::jwt::Claims> general = tokend::jwt::internal::ParsePayload(payload);
  if (!general.ok() && general.status().code() != absl::StatusCode::kUnauthenticated) {
    Fail(absl::StrCat("payload refused with an unexpected code: ", general.status().ToString()));
  }
  tokend::jwt::Claims simple;
  if (tokend::jwt::internal::ParseSimplePayload(payload, &simple)) {
    if (!general.ok()) {
      Fail(absl::StrCat("the fast reader accepts what the general one refuses: ",
                        general.status().ToString()));
    }
    if (!tokend::fuzz::ClaimsEqual(simple, *general)) Fail("the two readers read other claims");
  }
  if (general.ok() && !general->custom_claims_json.empty()) {
    absl::StatusOr<std::string> custom =
        tokend::jwt::CanonicalCustomClaims(general->custom_claims_json);
    if (!custom.ok() || *custom != general->custom_claims_json) {
      Fail("decoded custom claims are not in canonical form");
    }
  }

  absl::StatusOr<std::string> canonical = tokend::jwt::CanonicalCustomClaims(payload);
  if (canonical.ok()) {
    absl::StatusOr<std::string> again = tokend::jwt::CanonicalCustomClaims(*canonical);
    if (!again.ok() || *again != *canonical) Fail("canonical custom claims are not canonical");
  } else if (canonical.status().code() != absl::StatusCode::kInvalidArgument) {
    Fail(absl::StrCat("custom claims refused with an unexpected code: ",
                      canonical.status().ToString()));
  }
  return 0;
}
