// The strict JSON parser every JWS header, payload and custom claim goes
// through (json/strict_json.h). Properties: never crashes or throws; what it
// accepts nlohmann also accepts, and its compact form parses strictly again
// to an equal value.

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "fuzz/fuzz_support.h"
#include "json/strict_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text = tokend::fuzz::AsText(data, size);
  nlohmann::json value;
  const absl::Status status = tokend::json::ParseStrictJson(text, &value);
  if (!status.ok()) {
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      tokend::fuzz::Fail(absl::StrCat("unexpected code: ", status.ToString()));
    }
    return 0;
  }
  if (!nlohmann::json::accept(text.begin(), text.end())) {
    tokend::fuzz::Fail("accepted a document nlohmann refuses");
  }
  std::string compact;
  try {
    compact = value.dump();
  } catch (const std::exception& e) {
    tokend::fuzz::Fail(absl::StrCat("accepted a value that cannot be written: ", e.what()));
  }
  nlohmann::json again;
  if (const absl::Status reparsed = tokend::json::ParseStrictJson(compact, &again);
      !reparsed.ok()) {
    tokend::fuzz::Fail(absl::StrCat("its own compact form is refused: ", reparsed.ToString()));
  }
  if (again != value) tokend::fuzz::Fail("its compact form reads as another value");
  return 0;
}
