#include "crypto/random.h"

#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace tokend::crypto {
namespace {

TEST(RandomBytes, ReturnsExactlyTheBytesAskedFor) {
  for (size_t n : {0u, 1u, 16u, 32u, 1000u}) {
    absl::StatusOr<std::string> bytes = RandomBytes(n);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    EXPECT_EQ(bytes->size(), n);
  }
}

TEST(RandomBytes, DiffersBetweenCalls) {
  absl::StatusOr<std::string> a = RandomBytes(32);
  absl::StatusOr<std::string> b = RandomBytes(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);  // a collision has probability 2^-256
}

TEST(RandomBytes, NeverRepeatsAValueAcrossManyBufferRefills) {
  absl::flat_hash_set<std::string> seen;
  for (int i = 0; i < 20000; ++i) {  // 320 KB: many of the per-thread blocks
    absl::StatusOr<std::string> id = RandomBytes(i % 2 == 0 ? 16 : 48);
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_TRUE(seen.insert(*id).second) << "repeated after " << i << " draws";
  }
}

TEST(RandomBytes, ConcurrentThreadsDrawDistinctValues) {
  absl::Mutex mu;
  absl::flat_hash_set<std::string> seen;
  int repeats = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        absl::StatusOr<std::string> id = RandomBytes(16);
        absl::MutexLock lock(&mu);
        if (!id.ok() || !seen.insert(*id).second) ++repeats;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(repeats, 0);
  EXPECT_EQ(seen.size(), 8000u);
}

TEST(RandomBytes, AForkedChildDrawsOtherBytesThanItsParent) {
  // Draw once so that this thread holds buffered bytes, then fork: the child
  // must not hand out the bytes the parent hands out next.
  ASSERT_TRUE(RandomBytes(16).ok());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    absl::StatusOr<std::string> bytes = RandomBytes(32);
    const bool ok = bytes.ok() && write(fds[1], bytes->data(), 32) == 32;
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  absl::StatusOr<std::string> parent = RandomBytes(32);
  std::string from_child(32, '\0');
  ssize_t got = 0;
  while (got < 32) {
    const ssize_t n = read(fds[0], from_child.data() + got, 32 - got);
    if (n <= 0) break;
    got += n;
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, 32);
  ASSERT_TRUE(parent.ok());
  EXPECT_NE(*parent, from_child);
}

}  // namespace
}  // namespace tokend::crypto
