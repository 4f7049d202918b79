#include "tools/kvbench/engine_flags.h"

#include "tools/common/size_flag.h"

namespace kv::bench {

void AddEngineFlags(CLI::App& app, EngineBenchOptions& options, bool& json) {
  app.add_option("--dir", options.dir, "Data directory (created when missing)")
      ->required()
      ->type_name("DIR");
  app.add_option("--workload", options.workload,
                 "What to run: fillseq, fillrandom, readrandom, readmissing, fillsync")
      ->required()
      ->check(CLI::IsMember({"fillseq", "fillrandom", "readrandom", "readmissing", "fillsync"}))
      ->type_name("WORKLOAD");
  app.add_option("--num", options.num, "Keys a fill writes; reads a read workload makes")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->type_name("N");
  app.add_option("--threads", options.threads, "Worker threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024))
      ->type_name("T");
  app.add_option("--value-size", options.value_size, "Value bytes (a SIZE: 100, 4KiB, ...)")
      ->transform(kv::tools::SizeValue())
      ->capture_default_str()
      ->check(CLI::Range(size_t{0}, size_t{16} << 20))
      ->type_name("SIZE");
  app.add_option("--key-size", options.key_size, "Key bytes (a SIZE)")
      ->transform(kv::tools::SizeValue())
      ->capture_default_str()
      ->check(CLI::Range(size_t{2}, size_t{64} << 10))
      ->type_name("SIZE");
  app.add_option("--bloom-bits", options.bloom_bits, "Bloom filter bits per key (0: no filter)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64))
      ->type_name("BITS");
  app.add_option("--compression", options.compression,
                 "Data-block codec (kv: lz4, zstd, none; LevelDB: snappy, none; RocksDB: all)")
      ->capture_default_str()
      ->check(CLI::IsMember({"lz4", "zstd", "snappy", "none"}))
      ->type_name("CODEC");
  app.add_option("--cache-size", options.cache_bytes,
                 "Block cache size, e.g. 64MiB (0: none; kv's default)")
      ->capture_default_str()
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE");
  app.add_option("--values", options.values,
                 "Values: random (printable, barely compressible) or text (JSON-like records)")
      ->capture_default_str()
      ->check(CLI::IsMember({"random", "text"}))
      ->type_name("KIND");
  app.add_option("--distribution", options.distribution,
                 "readrandom's keys: uniform, or zipfian (YCSB's scrambled zipfian, 0.99)")
      ->capture_default_str()
      ->check(CLI::IsMember({"uniform", "zipfian"}))
      ->type_name("DIST");
  app.add_option("--seed", options.seed, "Seed of the key order and values")
      ->capture_default_str()
      ->type_name("SEED");
  app.add_flag("--json", json, "Print one JSON object instead of text");
}

}  // namespace kv::bench
