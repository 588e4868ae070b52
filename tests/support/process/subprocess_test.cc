#include "subprocess.h"

#include <signal.h>

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace tokend::testing {
namespace {

TEST(Subprocess, AServerThatOutlivesItsCrashedTestDoesNotHoldTheTestsOutputOpen) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CommandResult> probe = RunCommand({TOKEND_ORPHAN_PROBE}, {}, absl::Seconds(60));
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(probe.ok()) << probe.status();
  int orphan = 0;
  ASSERT_TRUE(absl::SimpleAtoi(absl::StripAsciiWhitespace(probe->stdout_text), &orphan))
      << probe->stdout_text;
  kill(orphan, SIGKILL);
  EXPECT_EQ(probe->exit_code, 3);
  // The orphan sleeps 30 s; holding the pipe, it would keep the reader here
  // (as it would keep ctest) waiting that long.
  EXPECT_LT(took, absl::Seconds(10));
}

TEST(Subprocess, AServersStderrIsCollected) {
  absl::StatusOr<std::unique_ptr<Subprocess>> child =
      Subprocess::Start({"sh", "-c", "echo ready >&2; echo to-stdout; exec sleep 30"}, {});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<std::string> line = (*child)->WaitForLine("ready", absl::Seconds(10));
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(*line, "ready");
  EXPECT_EQ((*child)->stderr_text().find("to-stdout"), std::string::npos);
}

}  // namespace
}  // namespace tokend::testing
