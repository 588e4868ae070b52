#ifndef TOKEND_SERVER_SERVICE_KEY_FILE_WATCHER_H_
#define TOKEND_SERVER_SERVICE_KEY_FILE_WATCHER_H_

// Signing keys from PEM files (the configuration's `signing_keys`), looked at
// again while tokend runs, so that replacing the files (a Kubernetes Secret
// update swaps them) changes the keys without a restart. Managed keys
// (managed_keys.h) are the other source of key rings; a process has one or
// the other.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "crypto/signature_algorithm.h"
#include "keys/key_ring.h"

namespace tokend::service {

// One entry of the list: a PEM key file, its algorithm and its kid (empty:
// the key's RFC 7638 thumbprint).
struct KeyFile {
  std::string path;
  crypto::Algorithm alg = crypto::Algorithm::kES256;
  std::string kid;
};

// The ring of `files` as they are now: the first key signs (it needs its
// private key), the others only verify (they may be public keys). The error
// of the first file that cannot be loaded (keys::LoadKeyFile's, naming the
// file), or KeyRing::New's.
absl::StatusOr<std::shared_ptr<const keys::KeyRing>> LoadKeyFiles(
    const std::vector<KeyFile>& files);

class KeyFileWatcher {
 public:
  // Hands a newly loaded ring to its user (the token service); an error
  // refuses it, and the files count as not loaded yet.
  using Install = std::function<absl::Status(std::shared_ptr<const keys::KeyRing>)>;

  // Loads the files (LoadKeyFiles' errors) and remembers their contents, as
  // read before the keys were: a file replaced while it is being loaded,
  // even long before Start, is loaded again by the next Check.
  static absl::StatusOr<std::unique_ptr<KeyFileWatcher>> New(std::vector<KeyFile> files);
  ~KeyFileWatcher();  // Stop()s.
  KeyFileWatcher(const KeyFileWatcher&) = delete;
  KeyFileWatcher& operator=(const KeyFileWatcher&) = delete;

  // The ring of the files in force: New's, then each Check's that installed
  // one. Thread-safe.
  std::shared_ptr<const keys::KeyRing> ring() const;

  // Looks at the files once. When their contents differ from those of the
  // ring in force, loads them and hands the ring to `install`: true when it
  // took it, false when nothing changed. When the files cannot be loaded (a
  // half-written file, a key that does not fit its alg) or `install`
  // refuses the ring, that error, and the ring in force stays: the next
  // Check tries again. Not to be called concurrently with itself (Start's
  // thread calls it).
  absl::StatusOr<bool> Check(const Install& install);

  // Check()s every `interval` on a thread of its own, logging each reload
  // and each failure, until Stop(). Call at most once.
  void Start(absl::Duration interval, Install install);
  // Ends the thread (waits for a Check under way). Idempotent.
  void Stop();

 private:
  KeyFileWatcher(std::vector<KeyFile> files, std::string fingerprint,
                 std::shared_ptr<const keys::KeyRing> ring);
  void Run(absl::Duration interval, const Install& install);

  const std::vector<KeyFile> files_;
  std::string fingerprint_;  // of the files in force; Check only

  mutable absl::Mutex mu_;
  std::shared_ptr<const keys::KeyRing> ring_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tokend::service

#endif  // TOKEND_SERVER_SERVICE_KEY_FILE_WATCHER_H_
