#ifndef TOKEND_SERVER_COMMON_HOST_PORT_H_
#define TOKEND_SERVER_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tokend::common {

// A listening address as operators write it.
struct HostPort {
  std::string host;   // an IPv4 literal, an IPv6 literal (without brackets) or a DNS name
  int port = 0;       // 0..65535; 0 lets the system pick
  bool ipv6 = false;  // written as a bracketed IPv6 literal
};

// Splits and checks "host:port": host an IPv4 literal, an IPv6 literal in
// brackets ("[::1]:9090") or a DNS name (letters, digits, '-' and '.'), port
// 0..65535. INVALID_ARGUMENT whose message says what is wrong without
// repeating the text ("port must be 0..65535", "bad [ipv6] address", ...),
// so that each caller can name its own key.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_HOST_PORT_H_
