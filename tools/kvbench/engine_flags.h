// The engine-benchmark flags, defined once for `kvbench engine` and `kvbench-peers` so that both
// accept the same names, defaults and checks.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/kvbench/engine_bench.h"

namespace kv::bench {

void AddEngineFlags(CLI::App& app, EngineBenchOptions& options, bool& json);

}  // namespace kv::bench
