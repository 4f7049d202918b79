// kvring stats' two forms: every figure under its JSON key, the CPU times as integer
// microseconds, and in the table in milliseconds.
#include "tools/common/stats_format.h"

#include <doctest/doctest.h>

#include <string>

namespace kv {
namespace {

TEST_CASE("stats format: the CPU times in the JSON object and the table") {
  const StatsResponse stats{.id = "n1",
                            .uptime_seconds = 2,
                            .compression = "lz4",
                            .block_cache_hits = 3,
                            .block_cache_misses = 1,
                            .cpu_user_micros = 1234567,
                            .cpu_system_micros = 89};
  const std::string json = FormatStatsJson(stats);
  CHECK(json.find(R"("cpu_user_micros":1234567,"cpu_system_micros":89,)") != std::string::npos);
  CHECK(json.find(R"("block_cache_hit_ratio":0.75,)") != std::string::npos);
  CHECK(json.rfind("{\"id\":\"n1\",\"compression\":\"lz4\",", 0) == 0);

  const std::string text = FormatStatsText(stats, "127.0.0.1:7000");
  CHECK(text.rfind("node n1 (127.0.0.1:7000), compression lz4\n", 0) == 0);
  CHECK(text.find("\nCPU user time ") != std::string::npos);
  CHECK(text.find(" 1234.6 ms\n") != std::string::npos);
  CHECK(text.find(" 0.1 ms\n") != std::string::npos);
}

}  // namespace
}  // namespace kv
