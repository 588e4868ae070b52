#ifndef TOKEND_SERVER_COMMON_SCOPE_H_
#define TOKEND_SERVER_COMMON_SCOPE_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace tokend::common {

// Longest scope accepted, in bytes.
inline constexpr size_t kMaxScopeBytes = 1024;

// Whether `scope` is one RFC 6749 (section 3.3) scope-token of at most
// kMaxScopeBytes: 1*( %x21 / %x23-5B / %x5D-7E ), printable ASCII without
// space, '"' or '\'. The one rule for scopes in requests and in the
// configuration, so that a caller is never granted a scope no request can name.
bool IsValidScope(absl::string_view scope);

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_SCOPE_H_
