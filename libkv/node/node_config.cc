#include "libkv/node/node_config.h"

#include <fmt/format.h>

#include "libkv/net/handshake.h"
#include "libkv/net/host_port.h"

namespace kv {

Status ValidateNodeConfig(const NodeConfig& c) {
  KV_RETURN_IF_ERROR(ParseHostPort(c.listen).status().WithContext("listen"));
  if (c.data_dir.empty()) return Status::InvalidArgument("data dir is empty");
  KV_RETURN_IF_ERROR(EncodeHandshake(c.cluster_name).status().WithContext("cluster name"));
  if (c.sync_period.count() <= 0)
    return Status::InvalidArgument(
        fmt::format("sync period is {} ms; it must be at least 1 ms", c.sync_period.count()));
  if (c.memtable_bytes < (1u << 20))
    return Status::InvalidArgument(
        fmt::format("memtable size is {} bytes; it must be at least 1 MiB", c.memtable_bytes));
  if (c.bloom_bits_per_key < 0 || c.bloom_bits_per_key > 64)
    return Status::InvalidArgument(
        fmt::format("bloom bits per key is {}; it must be 0 (off) to 64", c.bloom_bits_per_key));
  if (c.io_threads < 0 || c.io_threads > 256)
    return Status::InvalidArgument("io threads must be 0 (one per core) to 256");
  if (c.engine_threads < 1 || c.engine_threads > 1024)
    return Status::InvalidArgument("engine threads must be 1 to 1024");
  if (c.max_connections < 1) return Status::InvalidArgument("max connections must be at least 1");
  if (c.connection.max_requests_in_flight < 1)
    return Status::InvalidArgument("max requests in flight must be at least 1");
  return Status::Ok();
}

EngineOptions EngineOptionsFor(const NodeConfig& c, Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = c.data_dir;
  o.sync = c.sync;
  o.sync_period = c.sync_period;
  o.memtable_bytes = c.memtable_bytes;
  o.table.bloom_bits_per_key = c.bloom_bits_per_key;
  return o;
}

}  // namespace kv
