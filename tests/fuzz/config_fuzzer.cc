// The YAML configuration loader, from the file on (config/load_config.h):
// the same call `tokend serve` makes, without checking the files the
// configuration names (a fuzz input names none that exist). Properties: never
// crashes or throws; a refusal is INVALID_ARGUMENT with one printable line.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "config/load_config.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using tokend::fuzz::Fail;
  const std::string path = tokend::fuzz::FileHolding(tokend::fuzz::AsText(data, size));
  absl::StatusOr<tokend::config::Config> config = tokend::config::LoadConfig(
      path, [](const char*) -> const char* { return nullptr; }, tokend::config::NamedFiles::kSkip);
  if (config.ok()) {
    for (const tokend::config::NamedFile& file : tokend::config::FilesNamedBy(*config)) {
      if (file.path == nullptr || file.path->empty()) Fail("a named file without a path");
    }
    return 0;
  }
  if (config.status().code() != absl::StatusCode::kInvalidArgument) {
    Fail(absl::StrCat("refused with an unexpected code: ", config.status().ToString()));
  }
  for (const char c : config.status().message()) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      Fail(absl::StrCat("a message that is not one printable line: ", config.status().ToString()));
    }
  }
  return 0;
}
