#ifndef TOKEND_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define TOKEND_TESTS_FUZZ_FUZZ_SUPPORT_H_

// What several fuzz targets share: the fixed key ring, a file that holds the
// input (for loaders that take a path), and the way a target reports a
// broken property.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "keys/key_ring.h"

namespace tokend::fuzz {

// The ring of the committed test keys under tests/fuzz/keys, loaded as
// tokend loads its key files (keys::LoadKeyFile), one key per algorithm:
// kid "es256" (the primary), "es384", "eddsa", "rs256" and "ps256" (the last
// two share one RSA-2048 key). Made once; aborts if a key does not load.
const keys::KeyRing& KeyRing();

// A path that reads back exactly `contents` (a memfd, rewritten on each
// call), for code that takes a file name. Not thread-safe; aborts on failure.
std::string FileHolding(absl::string_view contents);

// The fuzz input as text.
inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Reports a broken property of the code under test on stderr and aborts, so
// that libFuzzer saves the input as a crash.
[[noreturn]] void Fail(absl::string_view what);

}  // namespace tokend::fuzz

#endif  // TOKEND_TESTS_FUZZ_FUZZ_SUPPORT_H_
