#include "common/host_port.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

namespace tokend::common {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return absl::InvalidArgumentError("not host:port");
  const absl::string_view host = text.substr(0, colon);
  const absl::string_view port = text.substr(colon + 1);
  HostPort out;
  bool digits = !port.empty() && port.size() <= 5;
  for (char c : port) digits = digits && absl::ascii_isdigit(c);
  if (!digits || !absl::SimpleAtoi(port, &out.port) || out.port > 65535) {
    return absl::InvalidArgumentError("port must be 0..65535");
  }
  if (host.empty()) {
    return absl::InvalidArgumentError("host is empty; use 0.0.0.0 or [::] for every address");
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return absl::InvalidArgumentError("bad [ipv6] address");
    }
    out.host = std::string(host.substr(1, host.size() - 2));
    in6_addr addr6;
    if (inet_pton(AF_INET6, out.host.c_str(), &addr6) != 1) {
      return absl::InvalidArgumentError("bad [ipv6] address");
    }
    out.ipv6 = true;
    return out;
  }
  if (absl::StrContains(host, ':')) {
    return absl::InvalidArgumentError("write ipv6 addresses in brackets, e.g. [::1]:9090");
  }
  bool numeric = true;
  for (char c : host) {
    if (!(absl::ascii_isalnum(c) || c == '-' || c == '.')) {
      return absl::InvalidArgumentError("bad host");
    }
    numeric = numeric && (absl::ascii_isdigit(c) || c == '.');
  }
  out.host = std::string(host);
  in_addr addr4;
  if (numeric && inet_pton(AF_INET, out.host.c_str(), &addr4) != 1) {
    return absl::InvalidArgumentError("bad ipv4 address");
  }
  return out;
}

}  // namespace tokend::common
