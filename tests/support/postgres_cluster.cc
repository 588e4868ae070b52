#include "tests/support/postgres_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace tokend::testing {
namespace {

constexpr absl::Duration kInitdbTimeout = absl::Seconds(120);
constexpr absl::Duration kPgCtlTimeout = absl::Seconds(60);
constexpr int kPgCtlWaitSeconds = 45;  // pg_ctl -t, below kPgCtlTimeout

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

std::string Tail(absl::string_view text, int lines) {
  std::vector<absl::string_view> all = absl::StrSplit(text, '\n');
  while (!all.empty() && all.back().empty()) all.pop_back();
  if (static_cast<int>(all.size()) > lines) all.erase(all.begin(), all.end() - lines);
  return absl::StrJoin(all, "\n");
}

bool IsRoot() { return geteuid() == 0; }

std::string RunuserPath() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "runuser";
}

// Runs `argv` in `cwd` (as the "postgres" user when `as_postgres` and this
// process is root), stdin from /dev/null, collecting stdout and stderr.
// Kills its process group after `timeout`: DEADLINE_EXCEEDED.
absl::StatusOr<ProcessResult> RunProcess(std::vector<std::string> argv, bool as_postgres,
                                         const std::string& cwd, absl::Duration timeout) {
  const std::string shown = absl::StrJoin(argv, " ");
  if (as_postgres && IsRoot()) {
    argv.insert(argv.begin(), {RunuserPath(), "-u", "postgres", "--"});
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
  }
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    if (devnull >= 0) close(devnull);
    return absl::InternalError(absl::StrCat("fork: ", strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    execv(args[0], args.data());
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  if (devnull >= 0) close(devnull);

  ProcessResult result;
  const absl::Time deadline = absl::Now() + timeout;
  bool timed_out = false;
  char buf[4096];
  for (;;) {
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    const ssize_t n = read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;  // EOF: the command (and anything holding its output) is done
    }
  }
  close(fds[0]);
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) break;
    if (timed_out || absl::Now() >= deadline) {
      timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat("timed out after ",
                                                    absl::FormatDuration(timeout), ": ", shown,
                                                    "\n", Tail(result.output, 20)));
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Runs a command that must exit 0.
absl::Status Check(const absl::StatusOr<ProcessResult>& r, absl::string_view what) {
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(what, " failed (exit ", r->exit_code, "):\n", Tail(r->output, 20)));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = strerror(errno);
    close(fd);
    return absl::InternalError(absl::StrCat("cannot find a free port: ", error));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

bool ValidDatabaseName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

PostgresCluster::~PostgresCluster() {
  if (running_) {
    auto r = RunProcess(
        {bindir_ + "/pg_ctl", "-D", data_dir_, "-m", "immediate", "-w", "-t", "20", "stop"}, true,
        dir_, absl::Seconds(30));
    if (!r.ok() || r->exit_code != 0) {
      std::fprintf(stderr, "PostgresCluster: could not stop the server in %s\n", dir_.c_str());
    }
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

absl::Status PostgresCluster::MakeDirectory() {
  if (!dir_.empty()) return absl::FailedPreconditionError("cluster already started");
  const char* env_bindir = std::getenv("TOKEND_PG_BINDIR");
  bindir_ = env_bindir != nullptr && *env_bindir != '\0' ? env_bindir : TOKEND_PG_BINDIR;
  for (const char* tool : {"initdb", "pg_ctl", "postgres", "psql", "pg_basebackup"}) {
    const std::string path = absl::StrCat(bindir_, "/", tool);
    if (access(path.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL binary not found: ", path, " (install postgresql or set TOKEND_PG_BINDIR)"));
    }
  }
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (IsRoot()) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "running as root: PostgreSQL refuses root and there is no 'postgres' "
          "user to run it as");
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }

  const char* tmp = std::getenv("TMPDIR");
  std::string templ =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/tokend-pg-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", templ, ": ", strerror(errno)));
  }
  dir_ = templ;
  if (chmod(dir_.c_str(), 0700) != 0 || (IsRoot() && chown(dir_.c_str(), uid, gid) != 0)) {
    return absl::InternalError(
        absl::StrCat("cannot give ", dir_, " to the server user: ", strerror(errno)));
  }
  data_dir_ = dir_ + "/data";
  log_file_ = dir_ + "/server.log";
  return absl::OkStatus();
}

absl::Status PostgresCluster::Start() {
  if (absl::Status s = MakeDirectory(); !s.ok()) return s;
  absl::Status s = Check(RunProcess({bindir_ + "/initdb", "-D", data_dir_, "-A", "trust", "-U",
                                     "postgres", "-E", "UTF8", "--locale=C", "--no-sync"},
                                    true, dir_, kInitdbTimeout),
                         "initdb");
  if (!s.ok()) return s;

  {
    std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
    conf << "\n# tokend tests\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "unix_socket_directories = '" << dir_
         << "'\n"
         // Speed over crash safety; see the class comment.
         << "fsync = off\n"
         << "full_page_writes = off\n"
         << "max_connections = 200\n"
         << "shared_buffers = 64MB\n"
         << "log_min_messages = warning\n";
    if (!conf) return absl::InternalError("cannot write postgresql.conf");
  }
  return StartOnFreePort();
}

absl::Status PostgresCluster::StartOnFreePort() {
  // The port is chosen free but may be taken before the server binds it.
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<int> port = FreeLoopbackPort();
    if (!port.ok()) return port.status();
    port_ = *port;
    {
      std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
      conf << "port = " << port_ << "\n";  // the last setting wins
    }
    absl::Status s = StartServer(kPgCtlTimeout);
    if (s.ok() || attempt == 2 || !absl::StrContains(LogTail(), "could not bind")) return s;
  }
}

absl::Status PostgresCluster::StartStandbyOf(const PostgresCluster& primary,
                                             absl::string_view application_name) {
  if (!primary.running()) return absl::FailedPreconditionError("the primary is not running");
  if (absl::Status s = MakeDirectory(); !s.ok()) return s;
  // initdb's pg_hba.conf lets 127.0.0.1 replicate (trust), and wal_level
  // "replica" and max_wal_senders are PostgreSQL's defaults.
  absl::Status s =
      Check(RunProcess({bindir_ + "/pg_basebackup", "-d",
                        absl::StrCat("host=127.0.0.1 port=", primary.port(), " user=postgres"),
                        "-D", data_dir_, "-R", "-X", "stream", "-c", "fast", "--no-sync"},
                       true, dir_, kInitdbTimeout),
            "pg_basebackup");
  if (!s.ok()) return s;
  {
    // The primary's settings came with the copy. postgresql.auto.conf is read
    // last and its last setting wins (over the primary_conninfo -R wrote
    // there too): the standby's own socket, and the name of its WAL receiver
    // that synchronous_standby_names refers to.
    std::ofstream conf(data_dir_ + "/postgresql.auto.conf", std::ios::app);
    conf << "\n# tokend tests: standby\n"
         << "unix_socket_directories = '" << dir_ << "'\n"
         << "synchronous_standby_names = ''\n"
         << "primary_conninfo = 'host=127.0.0.1 port=" << primary.port()
         << " user=postgres application_name=" << application_name << "'\n";
    if (!conf) return absl::InternalError("cannot write postgresql.auto.conf");
  }
  return StartOnFreePort();
}

absl::Status PostgresCluster::RequireSynchronousStandby(absl::string_view application_name,
                                                        absl::Duration timeout) {
  for (absl::string_view sql :
       {absl::StrCat("ALTER SYSTEM SET synchronous_standby_names = '\"", application_name, "\"'"),
        std::string("ALTER SYSTEM SET synchronous_commit = on"),
        std::string("SELECT pg_reload_conf()")}) {
    absl::StatusOr<std::string> out = Psql("postgres", sql);
    if (!out.ok()) return out.status();
  }
  const absl::Time give_up = absl::Now() + timeout;
  std::string state;
  while (true) {
    absl::StatusOr<std::string> out =
        Psql("postgres", absl::StrCat("SELECT sync_state FROM pg_stat_replication WHERE "
                                      "application_name = '",
                                      application_name, "'"));
    if (!out.ok()) return out.status();
    state = *out;
    if (state == "sync") return absl::OkStatus();
    if (absl::Now() >= give_up) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("standby ", application_name, " not synchronous after ",
                   absl::FormatDuration(timeout), " (sync_state \"", state, "\")\n", LogTail()));
}

absl::Status PostgresCluster::Promote() {
  if (!running_) return absl::FailedPreconditionError("cluster not running");
  absl::Status s = Check(RunProcess({bindir_ + "/pg_ctl", "-D", data_dir_, "-w", "-t",
                                     absl::StrCat(kPgCtlWaitSeconds), "promote"},
                                    true, dir_, kPgCtlTimeout),
                         "pg_ctl promote");
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\nserver log:\n", LogTail()));
  }
  return absl::OkStatus();
}

absl::Status PostgresCluster::StartServer(absl::Duration timeout) {
  absl::Status s = Check(RunProcess({bindir_ + "/pg_ctl", "-D", data_dir_, "-l", log_file_, "-w",
                                     "-t", absl::StrCat(kPgCtlWaitSeconds), "start"},
                                    true, dir_, timeout),
                         "pg_ctl start");
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat(s.message(), "\nserver log:\n", LogTail()));
  }
  running_ = true;
  return absl::OkStatus();
}

absl::Status PostgresCluster::StopWithMode(const char* mode) {
  if (!running_) return absl::FailedPreconditionError("cluster not running");
  absl::Status s = Check(RunProcess({bindir_ + "/pg_ctl", "-D", data_dir_, "-m", mode, "-w", "-t",
                                     absl::StrCat(kPgCtlWaitSeconds), "stop"},
                                    true, dir_, kPgCtlTimeout),
                         "pg_ctl stop");
  if (s.ok()) running_ = false;
  return s;
}

absl::Status PostgresCluster::Stop() { return StopWithMode("fast"); }

absl::Status PostgresCluster::StopImmediately() { return StopWithMode("immediate"); }

namespace {

// The parent pid and state letter of a process, from /proc/<pid>/stat;
// false when it is gone.
bool ReadProcStat(pid_t pid, pid_t* ppid, char* state) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  if (!std::getline(in, line)) return false;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 1));
  long parent = 0;
  rest >> *state >> parent;
  *ppid = static_cast<pid_t>(parent);
  return static_cast<bool>(rest);
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    pid_t ppid = 0;
    char state = 0;
    if (ReadProcStat(pid, &ppid, &state) && ppid == parent) children.push_back(pid);
  }
  return children;
}

// Gone, or a zombie nobody reaps (it holds no memory, no socket, no lock).
bool Ended(pid_t pid) {
  pid_t ppid = 0;
  char state = 0;
  return !ReadProcStat(pid, &ppid, &state) || state == 'Z' || state == 'X';
}

}  // namespace

absl::Status PostgresCluster::Kill() {
  if (!running_) return absl::FailedPreconditionError("cluster not running");
  std::ifstream pid_file(data_dir_ + "/postmaster.pid");
  std::string first;
  pid_t postmaster = 0;
  if (!std::getline(pid_file, first) || !absl::SimpleAtoi(first, &postmaster) || postmaster <= 0) {
    return absl::InternalError(absl::StrCat("cannot read the postmaster's pid in ", data_dir_));
  }
  // Stopped first, so that it starts no backend between the listing of its
  // children and its own end.
  ::kill(postmaster, SIGSTOP);
  std::vector<pid_t> all = ChildrenOf(postmaster);
  for (pid_t child : all) ::kill(child, SIGKILL);
  ::kill(postmaster, SIGKILL);
  all.push_back(postmaster);
  running_ = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  for (pid_t pid : all) {
    while (!Ended(pid)) {
      if (absl::Now() > deadline) {
        return absl::InternalError(absl::StrCat("postgres process ", pid, " outlived SIGKILL"));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }
  // A zombie keeps its pid, which would make the lock files look held.
  std::error_code ec;
  std::filesystem::remove(data_dir_ + "/postmaster.pid", ec);
  std::filesystem::remove(absl::StrCat(dir_, "/.s.PGSQL.", port_, ".lock"), ec);
  return absl::OkStatus();
}

absl::Status PostgresCluster::StartAgain() {
  if (dir_.empty()) return absl::FailedPreconditionError("cluster never started");
  if (running_) return absl::FailedPreconditionError("cluster already running");
  return StartServer(kPgCtlTimeout);
}

absl::Status PostgresCluster::Restart() {
  absl::Status s = Stop();
  if (!s.ok()) return s;
  return StartAgain();
}

std::string PostgresCluster::Dsn(absl::string_view dbname) const {
  return absl::StrCat("host=127.0.0.1 port=", port_, " user=postgres dbname=", dbname);
}

absl::StatusOr<std::string> PostgresCluster::CreateDatabase(absl::string_view name) {
  if (!ValidDatabaseName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("bad database name: ", name));
  }
  absl::StatusOr<std::string> out = Psql("postgres", absl::StrCat("CREATE DATABASE ", name));
  if (!out.ok()) return out.status();
  return Dsn(name);
}

absl::StatusOr<std::string> PostgresCluster::Psql(absl::string_view dbname, absl::string_view sql,
                                                  absl::Duration timeout,
                                                  absl::string_view application_name) {
  if (!running_) return absl::FailedPreconditionError("cluster not running");
  absl::StatusOr<ProcessResult> r = RunProcess(
      {bindir_ + "/psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d",
       absl::StrCat(Dsn(dbname), " application_name=", application_name), "-c", std::string(sql)},
      false, dir_, timeout);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("psql failed (exit ", r->exit_code, "): ", Tail(r->output, 10)));
  }
  std::string out = std::move(r->output);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string PostgresCluster::LogTail(int lines) const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return Tail(ss.str(), lines);
}

namespace {
PostgresCluster* g_cluster = nullptr;
}  // namespace

void PostgresEnvironment::SetUp() {
  g_cluster = new PostgresCluster;
  const absl::Time start = absl::Now();
  absl::Status s = g_cluster->Start();
  if (!s.ok()) {
    GTEST_FAIL() << "cannot start the test PostgreSQL cluster: " << s;
  }
  std::fprintf(stderr, "[postgres] cluster at 127.0.0.1:%d in %s, started in %s\n",
               g_cluster->port(), g_cluster->directory().c_str(),
               absl::FormatDuration(absl::Now() - start).c_str());
}

void PostgresEnvironment::TearDown() {
  delete g_cluster;
  g_cluster = nullptr;
}

PostgresCluster& PostgresEnvironment::cluster() {
  if (g_cluster == nullptr) {
    std::fprintf(stderr, "PostgresEnvironment::cluster(): no PostgresEnvironment was set up\n");
    std::abort();
  }
  return *g_cluster;
}

}  // namespace tokend::testing
