// ProcessFigures: this process's resident memory, start time and open file descriptors, read from
// Linux's /proc/self (and /proc/stat for the boot time), for the standard process_* metrics a
// Prometheus client library exports (docs/metrics.md). CPU time is not here: the node's stats
// take it from getrusage already. Each call reads the files anew (a few syscalls: fine for a
// scrape, not for a request path). Any thread.
#pragma once

#include <cstdint>
#include <optional>

namespace kv {

struct ProcessFigures {
  // Each is missing when its file could not be read or parsed (not Linux, /proc not mounted).
  std::optional<uint64_t> resident_bytes;
  std::optional<uint64_t> virtual_bytes;
  std::optional<double> start_time_seconds;  // since the Unix epoch
  std::optional<uint64_t> open_fds;
  std::optional<uint64_t> max_fds;  // the soft limit, RLIMIT_NOFILE
};

ProcessFigures ReadProcessFigures();

}  // namespace kv
