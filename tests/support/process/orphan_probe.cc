// A test process that dies while a server it started still runs, as a test
// binary does when it crashes: it starts `sleep 30`, prints its pid, and
// exits without running any destructor.

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "subprocess.h"

int main() {
  auto child = tokend::testing::Subprocess::Start({"sleep", "30"}, {});
  if (!child.ok()) return 2;
  std::printf("%d\n", static_cast<int>((*child)->pid()));
  std::fflush(stdout);
  _exit(3);
}
