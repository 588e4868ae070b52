// base64url as JWS segments are read and written (crypto/base64url.h).
// Properties: decoding never crashes; whatever decodes re-encodes to the very
// same text (one spelling per byte string); any bytes survive a round trip.

#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/base64url.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tokend::crypto::Base64UrlDecode;
  using tokend::crypto::Base64UrlEncode;
  const absl::string_view input = tokend::fuzz::AsText(data, size);

  std::string decoded;
  if (Base64UrlDecode(input, &decoded) && Base64UrlEncode(decoded) != input) {
    tokend::fuzz::Fail("a second spelling of the same bytes decodes");
  }

  const std::string encoded = Base64UrlEncode(input);
  std::string back;
  if (!Base64UrlDecode(encoded, &back) || back != input) {
    tokend::fuzz::Fail(absl::StrCat("encoding does not decode back: ", encoded));
  }
  return 0;
}
