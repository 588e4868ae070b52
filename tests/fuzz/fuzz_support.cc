#include "fuzz/fuzz_support.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/signature_algorithm.h"
#include "keys/jwk.h"

namespace tokend::fuzz {
namespace {

keys::Key LoadOrDie(const char* file, crypto::Algorithm alg, const char* kid) {
  const std::string path = absl::StrCat(TOKEND_FUZZ_KEYS_DIR, "/", file);
  absl::StatusOr<keys::Key> key = keys::LoadKeyFile(path, alg, kid, /*allow_public_only=*/false);
  if (!key.ok()) Fail(absl::StrCat("cannot load ", path, ": ", key.status().ToString()));
  return *std::move(key);
}

}  // namespace

const keys::KeyRing& KeyRing() {
  static const std::shared_ptr<const keys::KeyRing> ring = [] {
    std::vector<keys::Key> keys = {
        LoadOrDie("es256.pem", crypto::Algorithm::kES256, "es256"),
        LoadOrDie("es384.pem", crypto::Algorithm::kES384, "es384"),
        LoadOrDie("ed25519.pem", crypto::Algorithm::kEdDSA, "eddsa"),
        LoadOrDie("rsa2048.pem", crypto::Algorithm::kRS256, "rs256"),
        LoadOrDie("rsa2048.pem", crypto::Algorithm::kPS256, "ps256"),
    };
    absl::StatusOr<std::shared_ptr<const keys::KeyRing>> made = keys::KeyRing::New(std::move(keys));
    if (!made.ok()) Fail(absl::StrCat("key ring: ", made.status().ToString()));
    return *std::move(made);
  }();
  return *ring;
}

std::string FileHolding(absl::string_view contents) {
  static const int fd = memfd_create("tokend-fuzz-input", 0);
  if (fd < 0) Fail("memfd_create failed");
  if (ftruncate(fd, 0) != 0) Fail("ftruncate failed");
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = pwrite(fd, contents.data() + written, contents.size() - written,
                             static_cast<off_t>(written));
    if (n <= 0) Fail("pwrite failed");
    written += static_cast<size_t>(n);
  }
  return absl::StrCat("/proc/self/fd/", fd);
}

void Fail(absl::string_view what) {
  std::fprintf(stderr, "fuzz property broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace tokend::fuzz
