// The progress line the tools share (tools/common/progress_line.h): fitted to the terminal.
#include <doctest/doctest.h>

#include <cstdlib>

#include "tools/common/progress_line.h"

namespace kv::tools {
namespace {

TEST_CASE("progress line: fields that do not fit are dropped from the end, never wrapped") {
  const std::vector<std::string> fields = {"[####------]", "3/32 ranges", "1234 keys compared",
                                           "5 repaired"};
  CHECK(ProgressLine::Fit(fields, 200) ==
        "[####------]  3/32 ranges  1234 keys compared  5 repaired");
  // The last column stays free: 57 characters need 58 columns.
  CHECK(ProgressLine::Fit(fields, 58) ==
        "[####------]  3/32 ranges  1234 keys compared  5 repaired");
  CHECK(ProgressLine::Fit(fields, 57) == "[####------]  3/32 ranges  1234 keys compared");
  CHECK(ProgressLine::Fit(fields, 30) == "[####------]  3/32 ranges");
  CHECK(ProgressLine::Fit(fields, 8) == "[####--");  // the first field alone, cut
  for (size_t columns = 1; columns < 80; ++columns)
    CHECK(ProgressLine::Fit(fields, columns).size() <= std::max<size_t>(columns - 1, 1));
}

TEST_CASE("progress line: the bar") {
  CHECK(ProgressLine::Bar(0, 4, 6) == "[----]");
  CHECK(ProgressLine::Bar(2, 4, 6) == "[##--]");
  CHECK(ProgressLine::Bar(4, 4, 6) == "[####]");
  CHECK(ProgressLine::Bar(9, 4, 6) == "[####]");
  CHECK(ProgressLine::Bar(0, 0, 6) == "[####]");
}

TEST_CASE("progress line: the width is $COLUMNS when set, and a disabled line draws nothing") {
  ::setenv("COLUMNS", "37", 1);
  CHECK(TerminalColumns() == 37);
  ::setenv("COLUMNS", "wide", 1);
  CHECK(TerminalColumns() > 0);
  ::unsetenv("COLUMNS");
  ProgressLine off(false);
  CHECK_FALSE(off.enabled());
  off.Draw({"nothing"});  // a no-op: nothing to assert but that it does not write or crash
}

}  // namespace
}  // namespace kv::tools
