#include "proc_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace tokend::bench {

namespace {

// The fields of /proc/<pid>/stat from field 3 (state) on, as text. The
// command name (field 2) is in parentheses and may hold spaces, so fields
// are counted from the last ')'. nullopt when the process is gone.
std::optional<std::vector<std::string>> StatFieldsFrom3(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return std::nullopt;
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return std::nullopt;
  std::istringstream stream(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string field; stream >> field;) fields.push_back(std::move(field));
  return fields;
}

// Field n (1-based, n >= 3) of /proc/<pid>/stat as a number.
std::optional<long long> StatField(const std::vector<std::string>& from3, size_t n) {
  if (n < 3 || n - 3 >= from3.size()) return std::nullopt;
  return std::stoll(from3[n - 3]);
}

// utime + stime (fields 14 and 15), in seconds.
std::optional<double> CpuSeconds(const std::vector<std::string>& from3) {
  std::optional<long long> utime = StatField(from3, 14), stime = StatField(from3, 15);
  if (!utime.has_value() || !stime.has_value()) return std::nullopt;
  return static_cast<double>(*utime + *stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

std::optional<double> ProcessCpuSeconds(pid_t pid) {
  std::optional<std::vector<std::string>> fields = StatFieldsFrom3(pid);
  if (!fields.has_value()) return std::nullopt;
  return CpuSeconds(*fields);
}

std::optional<double> ProcessAndChildrenCpuSeconds(pid_t parent) {
  std::optional<double> total = ProcessCpuSeconds(parent);
  if (!total.has_value()) return std::nullopt;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::optional<std::vector<std::string>> fields =
        StatFieldsFrom3(static_cast<pid_t>(std::stol(name)));
    if (!fields.has_value() || StatField(*fields, 4) != parent) continue;  // field 4: ppid
    *total += CpuSeconds(*fields).value_or(0);
  }
  return total;
}

std::optional<Memory> ProcessMemory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return std::nullopt;
  Memory memory;
  bool found = false;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    int64_t kib = 0;
    fields >> name >> kib;
    if (name == "VmRSS:") {
      memory.rss_kib = kib;
      found = true;
    } else if (name == "VmHWM:") {
      memory.hwm_kib = kib;
    }
  }
  if (!found) return std::nullopt;
  return memory;
}

std::optional<double> MachineBusyCpuSeconds() {
  std::ifstream in("/proc/stat");
  std::string label;
  long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  if (!(in >> label >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      label != "cpu") {
    return std::nullopt;
  }
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace tokend::bench
