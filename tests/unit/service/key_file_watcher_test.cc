#include "service/key_file_watcher.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "crypto/key_codec.h"
#include "gtest/gtest.h"
#include "keys/jwk.h"
#include "unit/crypto/test_keys.h"

namespace tokend::service {
namespace {

using crypto::Algorithm;

// A fresh directory for one test's key files.
std::string FreshDir() {
  static std::atomic<int> n{0};
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/key_file_watcher_", ::getpid(), "_", ++n);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Replaces `path` with `contents` the way a Secret update does: a new file
// renamed over the old one.
void Install(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << contents;
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

// `key` as an unencrypted PKCS#8 PEM ("PRIVATE KEY").
std::string PrivateKeyPem(const EVP_PKEY& key) {
  absl::StatusOr<std::string> der = crypto::PrivateKeyToDer(key);
  EXPECT_TRUE(der.ok()) << der.status();
  const std::string b64 = absl::Base64Escape(*der);
  std::string pem = "-----BEGIN PRIVATE KEY-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) absl::StrAppend(&pem, b64.substr(i, 64), "\n");
  return pem + "-----END PRIVATE KEY-----\n";
}

// A fresh key of `alg` and its kid (the RFC 7638 thumbprint).
struct FreshKey {
  crypto::EvpPkeyPtr pkey;
  std::string kid;
};
FreshKey NewKey(Algorithm alg = Algorithm::kES256) {
  FreshKey k{.pkey = testing::GenerateKey(alg)};
  absl::StatusOr<std::string> kid = keys::JwkThumbprint(*k.pkey, alg);
  EXPECT_TRUE(kid.ok()) << kid.status();
  k.kid = *kid;
  return k;
}

// Counts the rings handed over, keeps the last, and answers `answer`.
struct Installer {
  absl::Status answer;
  int calls = 0;
  std::shared_ptr<const keys::KeyRing> last;

  KeyFileWatcher::Install Fn() {
    return [this](std::shared_ptr<const keys::KeyRing> ring) {
      ++calls;
      if (answer.ok()) last = std::move(ring);
      return answer;
    };
  }
};

class KeyFileWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir();
    primary_path_ = dir_ + "/primary.pem";
    verify_path_ = dir_ + "/verify.pem";
    Install(primary_path_, PrivateKeyPem(*primary_.pkey));
    // The second entry only verifies: its public key is enough.
    Install(verify_path_, testing::PublicKeyPem(*verify_.pkey));
  }

  std::vector<KeyFile> Files() const {
    return {KeyFile{.path = primary_path_, .alg = Algorithm::kES256},
            KeyFile{.path = verify_path_, .alg = Algorithm::kEdDSA}};
  }

  std::unique_ptr<KeyFileWatcher> NewWatcher() {
    absl::StatusOr<std::unique_ptr<KeyFileWatcher>> watcher = KeyFileWatcher::New(Files());
    EXPECT_TRUE(watcher.ok()) << watcher.status();
    return watcher.ok() ? *std::move(watcher) : nullptr;
  }

  std::string dir_, primary_path_, verify_path_;
  FreshKey primary_ = NewKey(Algorithm::kES256);
  FreshKey verify_ = NewKey(Algorithm::kEdDSA);
};

TEST_F(KeyFileWatcherTest, LoadsTheFilesWithTheFirstSigningAndTheOthersVerifying) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  const std::shared_ptr<const keys::KeyRing> ring = watcher->ring();
  ASSERT_EQ(ring->keys().size(), 2u);
  EXPECT_EQ(ring->primary().kid, primary_.kid);
  ASSERT_NE(ring->Find(verify_.kid), nullptr);
  EXPECT_EQ(ring->Find(verify_.kid)->alg, Algorithm::kEdDSA);
}

TEST_F(KeyFileWatcherTest, AFileThatCannotBeLoadedAtFirstIsAnErrorNamingIt) {
  Install(primary_path_, "not a key\n");
  absl::StatusOr<std::unique_ptr<KeyFileWatcher>> watcher = KeyFileWatcher::New(Files());
  ASSERT_FALSE(watcher.ok());
  EXPECT_EQ(watcher.status().code(), absl::StatusCode::kInvalidArgument) << watcher.status();
  EXPECT_TRUE(absl::StrContains(watcher.status().message(), primary_path_)) << watcher.status();
}

TEST_F(KeyFileWatcherTest, UnchangedFilesAreNotLoadedAgain) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  const std::shared_ptr<const keys::KeyRing> first = watcher->ring();
  Installer installer;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
    ASSERT_TRUE(reloaded.ok()) << reloaded.status();
    EXPECT_FALSE(*reloaded);
  }
  // The same bytes written again are no change either.
  Install(primary_path_, PrivateKeyPem(*primary_.pkey));
  absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(*reloaded);
  EXPECT_EQ(installer.calls, 0);
  EXPECT_EQ(watcher->ring(), first);
}

TEST_F(KeyFileWatcherTest, AChangedFileReloadsTheRingOnce) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  const FreshKey next = NewKey();
  Install(primary_path_, PrivateKeyPem(*next.pkey));
  Installer installer;
  absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE(*reloaded);
  ASSERT_EQ(installer.calls, 1);
  EXPECT_EQ(installer.last->primary().kid, next.kid);
  EXPECT_EQ(installer.last->Find(primary_.kid), nullptr) << "the old key left with its file";
  EXPECT_NE(installer.last->Find(verify_.kid), nullptr);
  EXPECT_EQ(watcher->ring(), installer.last);

  reloaded = watcher->Check(installer.Fn());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(*reloaded) << "loaded once";
  EXPECT_EQ(installer.calls, 1);
}

TEST_F(KeyFileWatcherTest, ABrokenFileKeepsTheRingAndReportsTheErrorUntilItIsFixed) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  const std::shared_ptr<const keys::KeyRing> first = watcher->ring();
  Installer installer;
  // Half a PEM, as a Secret update half-way might leave it.
  Install(primary_path_, PrivateKeyPem(*NewKey().pkey).substr(0, 80));
  for (int i = 0; i < 2; ++i) {
    absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
    ASSERT_FALSE(reloaded.ok()) << "look " << i;
    EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kInvalidArgument) << reloaded.status();
    EXPECT_TRUE(absl::StrContains(reloaded.status().message(), primary_path_)) << reloaded.status();
  }
  // A key that does not fit its alg (an RSA key where ES256 is configured).
  Install(primary_path_, PrivateKeyPem(*NewKey(Algorithm::kRS256).pkey));
  EXPECT_FALSE(watcher->Check(installer.Fn()).ok());
  // A file gone.
  ASSERT_EQ(std::remove(verify_path_.c_str()), 0);
  Install(primary_path_, PrivateKeyPem(*primary_.pkey));
  EXPECT_FALSE(watcher->Check(installer.Fn()).ok());
  EXPECT_EQ(installer.calls, 0);
  EXPECT_EQ(watcher->ring(), first);

  // Fixed: the next look loads it.
  const FreshKey next = NewKey();
  Install(verify_path_, testing::PublicKeyPem(*verify_.pkey));
  Install(primary_path_, PrivateKeyPem(*next.pkey));
  absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE(*reloaded);
  EXPECT_EQ(watcher->ring()->primary().kid, next.kid);
}

// Back to the very files in force after a broken state: nothing to load,
// the ring in force is theirs.
TEST_F(KeyFileWatcherTest, FilesRestoredAfterABrokenStateAreNoChange) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  Installer installer;
  Install(primary_path_, "broken\n");
  EXPECT_FALSE(watcher->Check(installer.Fn()).ok());
  Install(primary_path_, PrivateKeyPem(*primary_.pkey));
  absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_FALSE(*reloaded);
  EXPECT_EQ(watcher->ring()->primary().kid, primary_.kid);
}

TEST_F(KeyFileWatcherTest, ARingTheServiceRefusesIsOfferedAgainAtTheNextLook) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  const std::shared_ptr<const keys::KeyRing> first = watcher->ring();
  const FreshKey next = NewKey();
  Install(primary_path_, PrivateKeyPem(*next.pkey));
  Installer installer{.answer = absl::FailedPreconditionError("refused")};
  absl::StatusOr<bool> reloaded = watcher->Check(installer.Fn());
  EXPECT_EQ(reloaded.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(watcher->ring(), first);
  installer.answer = absl::OkStatus();
  reloaded = watcher->Check(installer.Fn());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_TRUE(*reloaded);
  EXPECT_EQ(installer.calls, 2);
  EXPECT_EQ(watcher->ring()->primary().kid, next.kid);
}

// Start looks every interval on its own thread; after Stop it no longer
// does.
TEST_F(KeyFileWatcherTest, StartLooksEveryIntervalUntilStopped) {
  std::unique_ptr<KeyFileWatcher> watcher = NewWatcher();
  ASSERT_NE(watcher, nullptr);
  absl::Mutex mu;
  std::vector<std::string> installed;  // primary kids, in order
  watcher->Start(absl::Milliseconds(10), [&](std::shared_ptr<const keys::KeyRing> ring) {
    absl::MutexLock lock(&mu);
    installed.push_back(ring->primary().kid);
    return absl::OkStatus();
  });
  const FreshKey next = NewKey();
  Install(primary_path_, PrivateKeyPem(*next.pkey));
  {
    absl::MutexLock lock(&mu);
    auto one = [&] { return !installed.empty(); };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&one), absl::Seconds(5)));
  }
  watcher->Stop();
  Install(primary_path_, PrivateKeyPem(*NewKey().pkey));
  absl::SleepFor(absl::Milliseconds(100));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(installed, std::vector<std::string>{next.kid});
}

}  // namespace
}  // namespace tokend::service
