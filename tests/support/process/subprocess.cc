#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace tokend::testing {
namespace {

std::vector<std::string> MergedEnvironment(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) merged[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : env) merged[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : merged) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Spawns argv with stdout going to `stdout_fd` (-1: /dev/null) and stderr to
// `stderr_fd`.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::map<std::string, std::string>& env, int stdout_fd,
                            int stderr_fd) {
  std::vector<std::string> args = argv;
  std::vector<std::string> envs = MergedEnvironment(env);
  std::vector<char*> arg_ptrs = Pointers(args);
  std::vector<char*> env_ptrs = Pointers(envs);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // Never the test's own stdout: a server that outlives a crashed test would
  // hold ctest's pipe open, and ctest would wait for it until its timeout.
  if (stdout_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  // The child starts with no blocked signals, whatever the test's threads block.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, arg_ptrs[0], &actions, &attr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("posix_spawn ", argv[0], ": ", std::strerror(rc)));
  }
  return pid;
}

int ExitCodeOf(int status, int* signal) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status) && signal != nullptr) *signal = WTERMSIG(status);
  return -1;
}

void ReadAll(int fd, std::string* out) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      out->append(buf, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

}  // namespace

absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                         const std::map<std::string, std::string>& env,
                                         absl::Duration timeout) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError("pipe failed");
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, env, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (!pid.ok()) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return pid.status();
  }
  CommandResult result;
  std::thread out_reader([&] { ReadAll(out_pipe[0], &result.stdout_text); });
  std::thread err_reader([&] { ReadAll(err_pipe[0], &result.stderr_text); });
  const absl::Time give_up = absl::Now() + timeout;
  int status = 0;
  bool timed_out = false;
  while (waitpid(*pid, &status, WNOHANG) == 0) {
    if (absl::Now() > give_up) {
      kill(*pid, SIGKILL);
      waitpid(*pid, &status, 0);
      timed_out = true;
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  out_reader.join();
  err_reader.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  if (timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " did not finish in time; stderr: ", result.stderr_text));
  }
  result.exit_code = ExitCodeOf(status, &result.signal);
  return result;
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  absl::StatusOr<pid_t> pid = Spawn(argv, env, -1, err_pipe[1]);
  close(err_pipe[1]);
  if (!pid.ok()) {
    close(err_pipe[0]);
    return pid.status();
  }
  std::unique_ptr<Subprocess> process(new Subprocess());
  process->pid_ = *pid;
  int fd = err_pipe[0];
  Subprocess* raw = process.get();
  process->reader_ = std::make_unique<std::thread>([raw, fd] { raw->ReadStderr(fd); });
  return process;
}

void Subprocess::ReadStderr(int fd) {
  char buf[4096];
  while (true) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    absl::MutexLock lock(&mu_);
    stderr_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  stderr_closed_ = true;
}

Subprocess::~Subprocess() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (reader_ != nullptr) reader_->join();
}

absl::StatusOr<std::string> Subprocess::WaitForLine(absl::string_view needle,
                                                    absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      size_t at = stderr_.find(needle.data(), 0, needle.size());
      if (at != std::string::npos) {
        size_t begin = stderr_.rfind('\n', at);
        begin = begin == std::string::npos ? 0 : begin + 1;
        size_t end = stderr_.find('\n', at);
        if (end != std::string::npos) return stderr_.substr(begin, end - begin);
      }
      if (stderr_closed_) {
        return absl::FailedPreconditionError(
            absl::StrCat("process exited before \"", needle, "\"; stderr:\n", stderr_));
      }
    }
    if (absl::Now() > give_up) {
      return absl::DeadlineExceededError(
          absl::StrCat("no \"", needle, "\" in time; stderr:\n", stderr_text()));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void Subprocess::Signal(int signal) {
  if (!reaped_) kill(pid_, signal);
}

absl::StatusOr<int> Subprocess::Wait(absl::Duration timeout) {
  if (reaped_) return exit_code_;
  const absl::Time give_up = absl::Now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (absl::Now() > give_up) return absl::DeadlineExceededError("process still running");
    absl::SleepFor(absl::Milliseconds(10));
  }
  reaped_ = true;
  exit_code_ = ExitCodeOf(status, nullptr);
  return exit_code_;
}

bool Subprocess::running() {
  if (reaped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    exit_code_ = ExitCodeOf(status, nullptr);
    return false;
  }
  return true;
}

std::string Subprocess::stderr_text() const {
  absl::MutexLock lock(&mu_);
  return stderr_;
}

}  // namespace tokend::testing
