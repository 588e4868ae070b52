#ifndef TOKEND_TESTS_BENCH_PROC_STATS_H_
#define TOKEND_TESTS_BENCH_PROC_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace tokend::bench {

// CPU time (user + system, all threads) a process has used so far, in
// seconds, from /proc/<pid>/stat. nullopt when the process is gone.
std::optional<double> ProcessCpuSeconds(pid_t pid);

// CPU time of `parent` and of every process whose parent it is (for
// PostgreSQL: the postmaster, each client's backend, the WAL writer,
// checkpointer, autovacuum), in seconds. A child that exits between two
// readings takes its seconds with it. nullopt when `parent` is gone.
std::optional<double> ProcessAndChildrenCpuSeconds(pid_t parent);

// Resident set size now (VmRSS) and its peak so far (VmHWM), in KiB, from
// /proc/<pid>/status. nullopt when the process is gone.
struct Memory {
  int64_t rss_kib = 0;
  int64_t hwm_kib = 0;
};
std::optional<Memory> ProcessMemory(pid_t pid);

// CPU time the whole machine has spent busy (user, nice, system, irq,
// softirq, steal; all CPUs) since boot, in seconds, from /proc/stat: what
// the server, the load generator, PostgreSQL and anything else running used.
std::optional<double> MachineBusyCpuSeconds();

}  // namespace tokend::bench

#endif  // TOKEND_TESTS_BENCH_PROC_STATS_H_
