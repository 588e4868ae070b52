#ifndef TOKEND_TESTS_SUPPORT_PROCESS_SUBPROCESS_H_
#define TOKEND_TESTS_SUPPORT_PROCESS_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tokend::testing {

// What a finished command printed and how it ended.
struct CommandResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `argv` with `env` added to this process's environment, waits at most
// `timeout` (then kills it: DEADLINE_EXCEEDED).
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         absl::Duration timeout);

// A child process whose stderr is collected line by line, for servers.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  // Kills the process (SIGKILL) if it still runs.
  ~Subprocess();

  // Waits until a stderr line contains `needle`; returns that line.
  // DEADLINE_EXCEEDED after `timeout`; FAILED_PRECONDITION if the process exits first.
  absl::StatusOr<std::string> WaitForLine(absl::string_view needle, absl::Duration timeout);

  // Sends `signal`.
  void Signal(int signal);
  // Waits for exit; returns the exit code (-1 when killed by a signal).
  // DEADLINE_EXCEEDED after `timeout` (the process keeps running).
  absl::StatusOr<int> Wait(absl::Duration timeout);
  bool running();

  // Everything written to stderr so far.
  std::string stderr_text() const;
  pid_t pid() const { return pid_; }

 private:
  Subprocess() = default;
  void ReadStderr(int fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  mutable absl::Mutex mu_;
  std::string stderr_ ABSL_GUARDED_BY(mu_);
  bool stderr_closed_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<std::thread> reader_;
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_PROCESS_SUBPROCESS_H_
