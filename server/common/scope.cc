#include "common/scope.h"

namespace tokend::common {

bool IsValidScope(absl::string_view scope) {
  if (scope.empty() || scope.size() > kMaxScopeBytes) return false;
  for (char c : scope) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == '"' || u == '\\' || u > 0x7e) return false;
  }
  return true;
}

}  // namespace tokend::common
