#include "libkv/observability/process_figures.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace kv {

namespace {

std::optional<std::string> ReadSmallFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

std::optional<uint64_t> ParseU64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// /proc/stat's btime: the boot time, seconds since the epoch.
std::optional<uint64_t> BootTime() {
  std::optional<std::string> stat = ReadSmallFile("/proc/stat");
  if (!stat) return std::nullopt;
  std::istringstream lines(*stat);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("btime ")) return ParseU64(std::string_view(line).substr(6));
  return std::nullopt;
}

std::optional<uint64_t> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  uint64_t n = 0;
  while (const dirent* e = readdir(dir))
    if (e->d_name[0] != '.') ++n;
  closedir(dir);
  return n > 0 ? n - 1 : 0;  // not the one opendir holds
}

}  // namespace

ProcessFigures ReadProcessFigures() {
  ProcessFigures out;
  // /proc/self/stat (proc(5)): "pid (comm) state ppid ...". The name may hold spaces and
  // parentheses, so fields count from the last ')': state is field 3, starttime 22 (clock ticks
  // since boot), vsize 23 (bytes), rss 24 (pages).
  if (std::optional<std::string> stat = ReadSmallFile("/proc/self/stat")) {
    const size_t close = stat->rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(stat->substr(close + 1));
      std::vector<std::string> fields{std::istream_iterator<std::string>(rest),
                                      std::istream_iterator<std::string>()};
      auto field = [&](size_t n) -> std::optional<uint64_t> {  // n as proc(5) numbers it
        if (n - 3 >= fields.size()) return std::nullopt;
        return ParseU64(fields[n - 3]);
      };
      const long page = sysconf(_SC_PAGESIZE);
      const long ticks = sysconf(_SC_CLK_TCK);
      if (std::optional<uint64_t> rss = field(24); rss && page > 0)
        out.resident_bytes = *rss * static_cast<uint64_t>(page);
      out.virtual_bytes = field(23);
      std::optional<uint64_t> boot = BootTime();
      if (std::optional<uint64_t> start = field(22); start && boot && ticks > 0)
        out.start_time_seconds =
            static_cast<double>(*boot) + static_cast<double>(*start) / static_cast<double>(ticks);
    }
  }
  out.open_fds = OpenFds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    out.max_fds = limit.rlim_cur;
  return out;
}

}  // namespace kv
