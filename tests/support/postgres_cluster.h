#ifndef TOKEND_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
#define TOKEND_TESTS_SUPPORT_POSTGRES_CLUSTER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tokend::testing {

// A private PostgreSQL cluster for tests: initdb in a fresh directory under
// $TMPDIR (default /tmp), trust authentication for the superuser "postgres",
// listening on 127.0.0.1 at a free port and on a unix socket in that
// directory. The binaries come from TOKEND_PG_BINDIR (environment, else the
// build's default, /usr/lib/postgresql/<newest>/bin).
//
// initdb and postgres refuse to run as root: when this process is root they
// run as the system user "postgres" (through runuser), and the directory is
// given to that user; otherwise they run as the current user.
//
// For speed fsync is off. A clean stop (Stop, Restart: pg_ctl stop -m fast)
// still writes every committed transaction to the data files through the OS
// page cache, so restart durability can be tested; only an OS crash or power
// loss could lose data, which tests do not simulate.
//
// Every wait has a timeout; failures carry the command and the tail of its
// output or of the server log. Not thread-safe: drive it from one thread.
class PostgresCluster {
 public:
  PostgresCluster() = default;
  // Stops the server (immediate) if it runs and deletes the directory.
  ~PostgresCluster();

  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // initdb, configure, start. FAILED_PRECONDITION when already started.
  absl::Status Start();
  // pg_ctl stop -m fast: connections are closed, committed data is kept.
  absl::Status Stop();
  // Starts the stopped server again: same data directory, same port.
  absl::Status StartAgain();
  // SIGKILL of the postmaster and of every process it started, as an OOM
  // killer or a crash would end them; waits (at most 10 s) until they are
  // gone. Committed data survives in the OS page cache; StartAgain recovers
  // it (crash recovery). FAILED_PRECONDITION when not running; INTERNAL when
  // the postmaster's pid cannot be read or a process outlives the wait.
  absl::Status Kill();
  // Stop() then StartAgain().
  absl::Status Restart();

  // Streaming replication, for failover tests. Makes this (not yet started)
  // cluster a hot standby of `primary`, which must run: pg_basebackup -R
  // into a fresh directory, then started on a free port. Its WAL receiver
  // connects as `application_name` (the name the primary's
  // synchronous_standby_names gives). Its own synchronous_standby_names is
  // empty, so that once promoted it commits without a standby of its own.
  // FAILED_PRECONDITION when this cluster was started already.
  absl::Status StartStandbyOf(const PostgresCluster& primary, absl::string_view application_name);
  // On a primary: from now on every commit waits until the standby called
  // `application_name` has flushed it (synchronous_standby_names names it,
  // synchronous_commit = on). Returns once pg_stat_replication shows that
  // standby as sync; DEADLINE_EXCEEDED when it does not within `timeout`.
  absl::Status RequireSynchronousStandby(absl::string_view application_name,
                                         absl::Duration timeout = absl::Seconds(30));
  // On a standby: pg_ctl promote, waiting until it accepts writes.
  absl::Status Promote();
  // pg_ctl stop -m immediate: every backend exits at once, without a
  // checkpoint, as in a crash of the server (not of the machine: see fsync
  // above). For a primary that is never started again.
  absl::Status StopImmediately();

  // Creates database `name` (letters, digits, '_') and returns its DSN.
  absl::StatusOr<std::string> CreateDatabase(absl::string_view name);
  // A libpq key=value DSN for database `dbname` over TCP as "postgres".
  std::string Dsn(absl::string_view dbname) const;

  // Runs `sql` with psql (-X -tA -v ON_ERROR_STOP=1) in `dbname` and returns
  // what it printed (rows as "a|b" lines). `application_name` lets a test
  // find the session in pg_stat_activity.
  absl::StatusOr<std::string> Psql(absl::string_view dbname, absl::string_view sql,
                                   absl::Duration timeout = absl::Seconds(60),
                                   absl::string_view application_name = "tokend_test");

  bool running() const { return running_; }
  int port() const { return port_; }
  const std::string& directory() const { return dir_; }
  // The last lines of the server log, for failure messages.
  std::string LogTail(int lines = 30) const;

 private:
  // Checks the binaries and creates dir_ for the server user.
  absl::Status MakeDirectory();
  // Appends `port = <free port>` to postgresql.conf and starts the server;
  // again with another port when the chosen one was taken meanwhile.
  absl::Status StartOnFreePort();
  absl::Status StartServer(absl::Duration timeout);
  absl::Status StopWithMode(const char* mode);

  std::string bindir_;
  std::string dir_;       // temp dir: data/, server.log, the unix socket
  std::string data_dir_;  // dir_ + "/data"
  std::string log_file_;  // dir_ + "/server.log"
  int port_ = 0;
  bool running_ = false;
};

// A gtest Environment that starts one PostgresCluster for the whole test
// binary and stops it at the end. Register it at namespace scope in one
// source file of the test binary:
//   const auto* const kPostgres =
//       ::testing::AddGlobalTestEnvironment(new
//       tokend::testing::PostgresEnvironment);
// and reach the cluster with PostgresEnvironment::cluster(). When the cluster
// cannot start, SetUp fails and gtest skips every test.
class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
  // The running cluster; aborts when no environment was set up.
  static PostgresCluster& cluster();
};

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
