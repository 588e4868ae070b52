#include "service/key_file_watcher.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "crypto/hash.h"
#include "crypto/pem.h"
#include "keys/jwk.h"

namespace tokend::service {
namespace {

using common::Log;
using common::LogLevel;

// The contents of every file, hashed: what Check compares to notice a
// change. A file that cannot be read counts as its own state ("-"), so that
// its return is a change too.
std::string Fingerprint(const std::vector<KeyFile>& files) {
  std::string all;
  for (const KeyFile& file : files) {
    std::ifstream in(file.path, std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    std::string text = contents.str();
    absl::StrAppend(&all, crypto::Sha256(text), in ? "+" : "-");
    crypto::WipePem(text);  // it may hold a private key
  }
  return crypto::Sha256(all);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const keys::KeyRing>> LoadKeyFiles(
    const std::vector<KeyFile>& files) {
  std::vector<keys::Key> ring_keys;
  for (size_t i = 0; i < files.size(); ++i) {
    // Only the first key signs; the others may be public keys, kept to verify.
    absl::StatusOr<keys::Key> key =
        keys::LoadKeyFile(files[i].path, files[i].alg, files[i].kid, /*allow_public_only=*/i > 0);
    if (!key.ok()) return key.status();
    ring_keys.push_back(*std::move(key));
  }
  return keys::KeyRing::New(std::move(ring_keys));
}

absl::StatusOr<std::unique_ptr<KeyFileWatcher>> KeyFileWatcher::New(std::vector<KeyFile> files) {
  // Why the fingerprint first: a file replaced between the two reads is then
  // seen as changed by the next Check and loaded again. Taken after the
  // load, it would describe the new file while the ring holds the old key,
  // and no Check would ever load it (until the next change).
  std::string fingerprint = Fingerprint(files);
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = LoadKeyFiles(files);
  if (!ring.ok()) return ring.status();
  return std::unique_ptr<KeyFileWatcher>(
      new KeyFileWatcher(std::move(files), std::move(fingerprint), *std::move(ring)));
}

KeyFileWatcher::KeyFileWatcher(std::vector<KeyFile> files, std::string fingerprint,
                               std::shared_ptr<const keys::KeyRing> ring)
    : files_(std::move(files)), fingerprint_(std::move(fingerprint)), ring_(std::move(ring)) {}

KeyFileWatcher::~KeyFileWatcher() { Stop(); }

std::shared_ptr<const keys::KeyRing> KeyFileWatcher::ring() const {
  absl::MutexLock lock(&mu_);
  return ring_;
}

absl::StatusOr<bool> KeyFileWatcher::Check(const Install& install) {
  // Before the load, for the reason given in New.
  std::string fingerprint = Fingerprint(files_);
  if (fingerprint == fingerprint_) return false;
  absl::StatusOr<std::shared_ptr<const keys::KeyRing>> ring = LoadKeyFiles(files_);
  if (!ring.ok()) return ring.status();
  if (absl::Status s = install(*ring); !s.ok()) return s;
  fingerprint_ = std::move(fingerprint);
  absl::MutexLock lock(&mu_);
  ring_ = *std::move(ring);
  return true;
}

void KeyFileWatcher::Start(absl::Duration interval, Install install) {
  thread_ = std::thread([this, interval, install = std::move(install)] { Run(interval, install); });
}

void KeyFileWatcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void KeyFileWatcher::Run(absl::Duration interval, const Install& install) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval);
      if (stopping_) return;
    }
    absl::StatusOr<bool> reloaded = Check(install);
    if (!reloaded.ok()) {
      // Looked at again next time: a Secret update may be half-way.
      Log(LogLevel::kWarning, "signing key files changed but cannot be loaded; keeping the keys",
          {{"error", reloaded.status().message()}});
    } else if (*reloaded) {
      Log(LogLevel::kInfo, "signing key files reloaded", {{"primary_kid", ring()->primary().kid}});
    }
  }
}

}  // namespace tokend::service
