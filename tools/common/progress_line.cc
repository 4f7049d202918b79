#include "tools/common/progress_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kv::tools {

size_t TerminalColumns() {
  if (const char* env = std::getenv("COLUMNS"); env != nullptr && *env != '\0') {
    size_t columns = 0;
    const char* end = env + std::strlen(env);
    auto [ptr, ec] = std::from_chars(env, end, columns);
    if (ec == std::errc() && ptr == end && columns > 0) return columns;
  }
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

ProgressLine::ProgressLine() : enabled_(isatty(STDERR_FILENO) == 1) {}

std::string ProgressLine::Fit(const std::vector<std::string>& fields, size_t columns) {
  const size_t width = columns > 1 ? columns - 1 : 1;
  std::string line;
  for (const std::string& field : fields) {
    const size_t needed = line.empty() ? field.size() : line.size() + 2 + field.size();
    if (needed > width) {
      if (line.empty()) line = field.substr(0, width);
      break;
    }
    if (!line.empty()) line += "  ";
    line += field;
  }
  return line;
}

std::string ProgressLine::Bar(uint64_t done, uint64_t total, size_t width) {
  if (width < 3) width = 3;
  const uint64_t inside = width - 2;
  const uint64_t filled = total == 0 ? inside : std::min(done, total) * inside / total;
  std::string bar;
  bar.reserve(width);
  bar.push_back('[');
  bar.append(filled, '#');
  bar.append(inside - filled, '-');
  bar.push_back(']');
  return bar;
}

void ProgressLine::Draw(const std::vector<std::string>& fields) {
  if (!enabled_) return;
  const std::string line = Fit(fields, TerminalColumns());
  std::fprintf(stderr, "\r%s\x1b[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::Clear() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace kv::tools
