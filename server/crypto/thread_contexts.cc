#include "crypto/thread_contexts.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "crypto/openssl_ptr.h"

namespace tokend::crypto::internal {
namespace {

struct Entry {
  const EVP_PKEY* key = nullptr;
  ContextUse use = 0;
  EvpPkeyCtxPtr pkey_ctx;
  EvpMdCtxPtr md_ctx;
  uint64_t last_used = 0;
};

struct ThreadCache {
  std::vector<Entry> entries;
  uint64_t clock = 0;

  Entry* Find(const EVP_PKEY& key, ContextUse use) {
    for (Entry& e : entries) {
      if (e.key == &key && e.use == use) {
        e.last_used = ++clock;
        return &e;
      }
    }
    return nullptr;
  }

  // A slot for a new entry: a fresh one, or the least recently used.
  Entry& Slot(const EVP_PKEY& key, ContextUse use) {
    if (entries.size() < static_cast<size_t>(kMaxThreadContexts)) {
      entries.emplace_back();
    } else {
      Entry* oldest = &entries.front();
      for (Entry& e : entries) {
        if (e.last_used < oldest->last_used) oldest = &e;
      }
      std::swap(*oldest, entries.back());
      entries.back() = Entry();  // frees the old contexts (and their key references)
    }
    Entry& e = entries.back();
    e.key = &key;
    e.use = use;
    e.last_used = ++clock;
    return e;
  }

  void Forget(const EVP_PKEY& key, ContextUse use) {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].key == &key && entries[i].use == use) {
        std::swap(entries[i], entries.back());
        entries.pop_back();
        return;
      }
    }
  }
};

ThreadCache& Cache() {
  thread_local ThreadCache cache;
  return cache;
}

}  // namespace

EVP_PKEY_CTX* ThreadPkeyContext(const EVP_PKEY& key, ContextUse use,
                                absl::FunctionRef<bool(EVP_PKEY_CTX*)> init) {
  ThreadCache& cache = Cache();
  if (Entry* e = cache.Find(key, use); e != nullptr && e->pkey_ctx != nullptr) {
    return e->pkey_ctx.get();
  }
  // const_cast: OpenSSL takes EVP_PKEY* but only up-references the key into
  // the new context; the shared key is not modified.
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, const_cast<EVP_PKEY*>(&key), nullptr));
  if (ctx == nullptr || !init(ctx.get())) return nullptr;
  cache.Forget(key, use);
  Entry& e = cache.Slot(key, use);
  e.pkey_ctx = std::move(ctx);
  return e.pkey_ctx.get();
}

EVP_MD_CTX* ThreadDigestContext(const EVP_PKEY& key, ContextUse use,
                                absl::FunctionRef<bool(EVP_MD_CTX*)> init) {
  ThreadCache& cache = Cache();
  if (Entry* e = cache.Find(key, use); e != nullptr && e->md_ctx != nullptr) {
    return e->md_ctx.get();
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || !init(ctx.get())) return nullptr;
  cache.Forget(key, use);
  Entry& e = cache.Slot(key, use);
  e.md_ctx = std::move(ctx);
  return e.md_ctx.get();
}

void ForgetThreadContext(const EVP_PKEY& key, ContextUse use) { Cache().Forget(key, use); }

const EVP_MD* FetchedDigest(const char* name) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const kSha384 = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  if (std::strcmp(name, "SHA256") == 0) return kSha256;
  if (std::strcmp(name, "SHA384") == 0) return kSha384;
  return nullptr;
}

}  // namespace tokend::crypto::internal
