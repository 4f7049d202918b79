// ProgressLine: one line of progress on stderr (kvbench, kvrepair, kvring leave and cleanup),
// redrawn in place ('\r', then erase to the end of the line) and cut to the terminal's width,
// so it never wraps: a wrapped line cannot be redrawn, each redraw would leave the last one's
// head behind. The width is $COLUMNS when set, else the terminal's (ioctl TIOCGWINSZ), else 80,
// asked at every draw so a resized terminal is followed. When stderr is not a terminal the line
// is disabled and every call is a no-op, so logs and pipes stay clean.
// Threads: one thread at a time (kvbench draws from its own thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace kv::tools {

// $COLUMNS when it is a positive number, else stderr's terminal width, else 80.
size_t TerminalColumns();

class ProgressLine {
 public:
  ProgressLine();  // enabled when stderr is a terminal
  explicit ProgressLine(bool enabled) : enabled_(enabled) {}
  ~ProgressLine() { Clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  bool enabled() const { return enabled_; }

  // Draws the fields two spaces apart, as many as fit (see Fit).
  void Draw(const std::vector<std::string>& fields);
  // Erases the line, if one is drawn.
  void Clear();

  // The text of a line of at most columns - 1 characters (the last column is left free: some
  // terminals wrap as soon as it is written): the fields two spaces apart, dropping fields from
  // the end while it is too wide; the first field is cut when even it alone is.
  static std::string Fit(const std::vector<std::string>& fields, size_t columns);
  // "[######------]", `width` characters in all; full when total is 0.
  static std::string Bar(uint64_t done, uint64_t total, size_t width);

 private:
  const bool enabled_;
  bool drawn_ = false;
};

}  // namespace kv::tools
