#ifndef TOKEND_SERVER_COMMON_UTF8_H_
#define TOKEND_SERVER_COMMON_UTF8_H_

#include "absl/strings/string_view.h"

namespace tokend::common {

// Whether `s` is well-formed UTF-8 as PostgreSQL's text type requires: no
// overlong forms, no UTF-16 surrogates, nothing past U+10FFFF. NUL passes
// (it is valid UTF-8); callers that store text reject it separately.
bool IsUtf8(absl::string_view s);

}  // namespace tokend::common

#endif  // TOKEND_SERVER_COMMON_UTF8_H_
