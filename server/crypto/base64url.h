#ifndef TOKEND_SERVER_CRYPTO_BASE64URL_H_
#define TOKEND_SERVER_CRYPTO_BASE64URL_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tokend::crypto {

// base64url without padding (RFC 4648 section 5), as JWS uses it.
std::string Base64UrlEncode(absl::string_view bytes);

// Strict decoding: only the canonical spelling is accepted. Returns false (and
// leaves *out unspecified) on padding, whitespace, any character outside the
// base64url alphabet, a length of 1 mod 4, or non-zero unused trailing bits,
// so that exactly one text decodes to a given byte string.
bool Base64UrlDecode(absl::string_view text, std::string* out);

}  // namespace tokend::crypto

#endif  // TOKEND_SERVER_CRYPTO_BASE64URL_H_
