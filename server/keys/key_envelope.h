#ifndef TOKEND_SERVER_KEYS_KEY_ENVELOPE_H_
#define TOKEND_SERVER_KEYS_KEY_ENVELOPE_H_

// Envelope encryption of managed signing keys at rest. A private key is kept
// in the database only sealed (AES-256-GCM) under a key-encryption key (KEK)
// that lives outside it, in a file; the key's kid and alg are the associated
// data, so a sealed key moved to another row (or relabelled) does not open.
// Several KEKs may be configured so that one can be replaced online: the
// first seals, every one opens; each sealed key names its KEK by a short id
// derived from the KEK's bytes.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/openssl_ptr.h"
#include "crypto/signature_algorithm.h"

namespace tokend::keys {

// A key-encryption key: 32 secret bytes and their public id.
struct Kek {
  std::string id;  // KekId(bytes)
  std::string bytes;
};

// "kek-" and 8 hex digits of SHA-256("tokend kek id\n" || bytes): names the
// KEK in rows and messages without revealing anything usable about it.
std::string KekId(absl::string_view bytes);

// Reads a KEK file. A file of exactly 32 bytes is the key itself (raw);
// anything else must be standard base64 (RFC 4648 section 4, padding
// optional, surrounding whitespace ignored) of exactly 32 bytes, as
// `openssl rand -base64 32` writes. INVALID_ARGUMENT or NOT_FOUND naming
// `path` (never its contents).
absl::StatusOr<Kek> ReadKekFile(const std::string& path);

// A sealed private key as stored: the id of the KEK that sealed it, and
// nonce || ciphertext || tag.
struct SealedKey {
  std::string kek_id;
  std::string sealed;
};

// The configured KEKs. Immutable, thread-safe.
class KekSet {
 public:
  // `keks[0]` seals. INVALID_ARGUMENT when empty, a KEK is not 32 bytes, or
  // two KEKs are the same key.
  static absl::StatusOr<KekSet> New(std::vector<Kek> keks);

  const Kek& sealing() const { return keks_.front(); }
  const std::vector<Kek>& keks() const { return keks_; }

  // `private_key` as PKCS#8 DER, sealed under sealing() with kid and alg as
  // associated data. The DER never leaves this call unsealed.
  absl::StatusOr<SealedKey> Seal(absl::string_view kid, crypto::Algorithm alg,
                                 const EVP_PKEY& private_key) const;

  // The private key `sealed` holds for `kid` and `alg`. FAILED_PRECONDITION
  // when its KEK is not configured; DATA_LOSS when it does not open (a wrong
  // KEK under a reused id, an altered row, another kid or alg); INVALID_ARGUMENT
  // when what it holds is not a private key. Every message names the kid and
  // the KEK id.
  absl::StatusOr<crypto::EvpPkeyPtr> Open(absl::string_view kid, crypto::Algorithm alg,
                                          const SealedKey& sealed) const;

 private:
  explicit KekSet(std::vector<Kek> keks) : keks_(std::move(keks)) {}
  std::vector<Kek> keks_;
};

}  // namespace tokend::keys

#endif  // TOKEND_SERVER_KEYS_KEY_ENVELOPE_H_
