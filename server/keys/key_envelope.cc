#include "keys/key_envelope.h"

#include <fstream>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/key_codec.h"
#include "crypto/pem.h"

namespace tokend::keys {
namespace {

// Larger than any base64 spelling of 32 bytes with whitespace around it.
constexpr size_t kMaxKekFileBytes = 1024;

// The associated data of a sealed key: a version, the alg and the kid. The
// alg name never holds a newline, so the kid is what follows the second one.
std::string AssociatedData(absl::string_view kid, crypto::Algorithm alg) {
  return absl::StrCat("tokend signing key v1\n", crypto::AlgorithmName(alg), "\n", kid);
}

bool IsStandardBase64(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string KekId(absl::string_view bytes) {
  const std::string digest = crypto::Sha256(absl::StrCat("tokend kek id\n", bytes));
  return absl::StrCat("kek-", absl::BytesToHexString(digest.substr(0, 4)));
}

absl::StatusOr<Kek> ReadKekFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("kek file \"", path, "\": cannot be read"));
  std::string contents;
  contents.resize(kMaxKekFileBytes + 1);
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  contents.resize(static_cast<size_t>(in.gcount()));
  Kek kek;
  if (contents.size() == crypto::kAes256KeyBytes) {
    kek.bytes = std::move(contents);
  } else {
    const absl::string_view text = absl::StripAsciiWhitespace(contents);
    std::string decoded;
    if (contents.size() > kMaxKekFileBytes || !IsStandardBase64(text) ||
        !absl::Base64Unescape(text, &decoded) || decoded.size() != crypto::kAes256KeyBytes) {
      crypto::WipePem(contents);
      crypto::WipePem(decoded);
      return absl::InvalidArgumentError(absl::StrCat(
          "kek file \"", path,
          "\": must hold 32 random bytes, raw or in base64 (openssl rand -base64 32)"));
    }
    crypto::WipePem(contents);
    kek.bytes = std::move(decoded);
  }
  kek.id = KekId(kek.bytes);
  return kek;
}

absl::StatusOr<KekSet> KekSet::New(std::vector<Kek> keks) {
  if (keks.empty()) return absl::InvalidArgumentError("kek: at least one is required");
  for (size_t i = 0; i < keks.size(); ++i) {
    if (keks[i].bytes.size() != crypto::kAes256KeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("kek ", i, ": must be 32 bytes"));
    }
    keks[i].id = KekId(keks[i].bytes);
    for (size_t j = 0; j < i; ++j) {
      if (keks[j].id == keks[i].id) {
        return absl::InvalidArgumentError(
            absl::StrCat("kek \"", keks[i].id, "\": configured twice"));
      }
    }
  }
  return KekSet(std::move(keks));
}

absl::StatusOr<SealedKey> KekSet::Seal(absl::string_view kid, crypto::Algorithm alg,
                                       const EVP_PKEY& private_key) const {
  absl::StatusOr<std::string> der = crypto::PrivateKeyToDer(private_key);
  if (!der.ok()) return der.status();
  absl::StatusOr<std::string> sealed =
      crypto::Aes256GcmSeal(sealing().bytes, *der, AssociatedData(kid, alg));
  crypto::WipePem(*der);
  if (!sealed.ok()) return sealed.status();
  return SealedKey{.kek_id = sealing().id, .sealed = *std::move(sealed)};
}

absl::StatusOr<crypto::EvpPkeyPtr> KekSet::Open(absl::string_view kid, crypto::Algorithm alg,
                                                const SealedKey& sealed) const {
  const Kek* kek = nullptr;
  for (const Kek& k : keks_) {
    if (k.id == sealed.kek_id) kek = &k;
  }
  if (kek == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("key \"", kid, "\": sealed under kek \"",
                                                      sealed.kek_id,
                                                      "\", which is not among keys.kek_files"));
  }
  absl::StatusOr<std::string> der =
      crypto::Aes256GcmOpen(kek->bytes, sealed.sealed, AssociatedData(kid, alg));
  if (!der.ok()) {
    return absl::Status(der.status().code(),
                        absl::StrCat("key \"", kid, "\" (", crypto::AlgorithmName(alg), ", kek \"",
                                     kek->id, "\"): cannot be decrypted: ", der.status().message(),
                                     " (a different key-encryption key under the same id, or "
                                     "an altered row)"));
  }
  absl::StatusOr<crypto::EvpPkeyPtr> key = crypto::PrivateKeyFromDer(*der);
  crypto::WipePem(*der);
  if (!key.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("key \"", kid, "\": ", key.status().message()));
  }
  return key;
}

}  // namespace tokend::keys
