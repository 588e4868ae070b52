#ifndef TOKEND_SERVER_CRYPTO_THREAD_CONTEXTS_H_
#define TOKEND_SERVER_CRYPTO_THREAD_CONTEXTS_H_

// Internal to crypto/: OpenSSL contexts initialised once per thread and key,
// and digests fetched once per process, so that a signature or verification
// costs its hash and its math only. In OpenSSL 3 every *_init call looks the
// algorithm up in the provider store and builds a new provider context; for
// ES256 that is about 10% of a signature (see BENCHMARKS.md).
//
// A cached context holds a reference to its key, so a key stays allocated
// while some thread's cache holds it (at most kMaxEntries per thread, least
// recently used evicted first); the key's address is therefore never reused
// for another key while cached.

#include <openssl/evp.h>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace tokend::crypto::internal {

// What a context was initialised for: one per algorithm and operation.
// Callers pick distinct values (for example, 2 * algorithm + verify).
using ContextUse = int;

inline constexpr int kMaxThreadContexts = 16;

// The calling thread's EVP_PKEY_CTX for (key, use). The first time, a fresh
// context for `key` is made and passed to `init` (which sets the operation,
// padding and so on, and returns false on failure). nullptr when making or
// initialising it fails (nothing is cached). The context belongs to this
// thread's cache: use it before calling here again, and call
// ForgetThreadContext after an operation on it failed.
EVP_PKEY_CTX* ThreadPkeyContext(const EVP_PKEY& key, ContextUse use,
                                absl::FunctionRef<bool(EVP_PKEY_CTX*)> init);

// The same for an EVP_MD_CTX (for one-shot algorithms such as Ed25519, whose
// hash is part of the signature): `init` runs EVP_DigestSignInit_ex or
// EVP_DigestVerifyInit_ex on a fresh context.
EVP_MD_CTX* ThreadDigestContext(const EVP_PKEY& key, ContextUse use,
                                absl::FunctionRef<bool(EVP_MD_CTX*)> init);

// Drops this thread's context for (key, use), if any.
void ForgetThreadContext(const EVP_PKEY& key, ContextUse use);

// The digest named `name` ("SHA256", "SHA384"), fetched from the default
// provider once per process; nullptr for any other name or if the fetch
// failed. Fetched digests are immutable and safe to share between threads.
const EVP_MD* FetchedDigest(const char* name);

// A digest on the stack, for the sign and verify paths.
struct Digest {
  unsigned char bytes[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
};

// Hashes `data` with `md` into `out`; false (OpenSSL's error left queued)
// when `md` is null or hashing fails.
inline bool DigestInto(const EVP_MD* md, absl::string_view data, Digest& out) {
  return md != nullptr &&
         EVP_Digest(data.data(), data.size(), out.bytes, &out.size, md, nullptr) == 1;
}

}  // namespace tokend::crypto::internal

#endif  // TOKEND_SERVER_CRYPTO_THREAD_CONTEXTS_H_
