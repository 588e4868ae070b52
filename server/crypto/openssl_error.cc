#include "crypto/openssl_error.h"

#include <openssl/err.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace tokend::crypto {

absl::Status OpenSslError(absl::string_view call, absl::StatusCode code) {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  std::string message = absl::StrCat(call, " failed");
  if (first != 0) {
    const char* reason = ERR_reason_error_string(first);
    if (reason != nullptr) {
      absl::StrAppend(&message, ": ", reason);
    } else {
      char buffer[256];
      ERR_error_string_n(first, buffer, sizeof(buffer));
      absl::StrAppend(&message, ": ", buffer);
    }
  }
  return absl::Status(code, message);
}

void ClearOpenSslErrors() { ERR_clear_error(); }

}  // namespace tokend::crypto
