#include "libkv/node/node_config.h"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>

#include "libkv/net/handshake.h"
#include "libkv/net/host_port.h"
#include "libkv/node/gossiper.h"

namespace kv {

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
        .is_loopback();
  return address.is_loopback();
}

Status ValidateNodeConfig(const NodeConfig& c) {
  Result<HostPort> listen = ParseHostPort(c.listen);
  if (!listen.ok()) return listen.status().WithContext("listen");
  KV_RETURN_IF_ERROR(CheckTlsOptions(c.tls));
  if (!c.tls.enabled() && !c.insecure && !IsLoopbackHost(listen->host))
    return Status::InvalidArgument(fmt::format(
        "--listen {} can be reached from other machines, and without TLS anyone who reaches it "
        "could read, write and delete every key and stop the node; add --tls-cert FILE "
        "--tls-key FILE --tls-ca FILE (scripts/make-certs DIR NAME:peer makes them), or "
        "--insecure to serve it without TLS anyway",
        listen->ToString()));
  if (!c.http_listen.empty()) {
    Result<HostPort> http = ParseHostPort(c.http_listen);
    if (!http.ok())
      return http.status().WithContext("--http-listen (HOST:PORT, or off for no HTTP API)");
    if (!c.tls.enabled() && !c.insecure && !IsLoopbackHost(http->host))
      return Status::InvalidArgument(fmt::format(
          "--http-listen {} can be reached from other machines, and without TLS anyone who "
          "reaches it could read, write and delete every key; add --tls-cert FILE --tls-key FILE "
          "--tls-ca FILE (the HTTP API is then HTTPS with client certificates), or --insecure to "
          "serve it without TLS anyway",
          http->ToString()));
  }
  auto every_interface = [](const HostPort& a) { return a.host == "0.0.0.0" || a.host == "::"; };
  if (c.advertise.empty() && every_interface(*listen))
    return Status::InvalidArgument(fmt::format(
        "--listen {} binds every interface, which gives other nodes no address to reach this one "
        "at; add --advertise HOST:PORT with an address they can reach",
        listen->ToString()));
  if (!c.advertise.empty()) {
    Result<HostPort> advertise = ParseHostPort(c.advertise);
    if (!advertise.ok()) return advertise.status().WithContext("advertise");
    if (every_interface(*advertise))
      return Status::InvalidArgument(
          fmt::format("--advertise {} names no single address; give one other nodes can reach",
                      advertise->ToString()));
  }
  if (c.data_dir.empty()) return Status::InvalidArgument("data dir is empty");
  KV_RETURN_IF_ERROR(EncodeHandshake(c.cluster_name).status().WithContext("cluster name"));
  if (c.sync_period.count() <= 0)
    return Status::InvalidArgument(
        fmt::format("sync period is {} ms; it must be at least 1 ms", c.sync_period.count()));
  KV_RETURN_IF_ERROR(CheckMemoryBudget(c.memory_budget));
  if (c.memtable_bytes != 0 && c.memtable_bytes < (1u << 20))
    return Status::InvalidArgument(
        fmt::format("memtable size is {} bytes; it must be at least 1 MiB", c.memtable_bytes));
  if (c.memtable_bytes > SplitMemoryBudget(c.memory_budget).memtable_share / 2)
    return Status::InvalidArgument(fmt::format(
        "memtable size is {} MiB; the memory budget of {} MiB holds memtables of at most {} MiB "
        "(two: one filling, one flushing); raise --memory-budget",
        c.memtable_bytes >> 20, c.memory_budget >> 20,
        SplitMemoryBudget(c.memory_budget).memtable_share / 2 >> 20));
  if (c.block_cache_bytes) {
    // --cache-size takes the place of the cache's share; the other shares stay, so a cache
    // larger than its share would take the node past its budget.
    const MemoryBudget b = SplitMemoryBudget(c.memory_budget, c.memtable_bytes);
    const size_t others =
        b.memtable_share + b.merkle_cache_bytes + b.repair_session_bytes + b.connection_bytes;
    if (*c.block_cache_bytes > b.block_cache_bytes)
      return Status::InvalidArgument(fmt::format(
          "the block cache of {} bytes ({:.1f} MiB) and the rest of the memory budget's split "
          "(memtables {} MiB, Merkle tree cache {} MiB, anti-entropy sessions {} MiB, connection "
          "buffers {} MiB) come to "
          "{:.1f} MiB, over the memory budget of {:.1f} MiB; give --cache-size at most {} MiB "
          "(or leave it out: the cache then takes what is left), or raise --memory-budget to "
          "about {} MiB (the cache's share is 119/256 of it)",
          *c.block_cache_bytes, static_cast<double>(*c.block_cache_bytes) / (1 << 20),
          b.memtable_share >> 20, b.merkle_cache_bytes >> 20, b.repair_session_bytes >> 20,
          b.connection_bytes >> 20, static_cast<double>(*c.block_cache_bytes + others) / (1 << 20),
          static_cast<double>(c.memory_budget) / (1 << 20), b.block_cache_bytes >> 20,
          (*c.block_cache_bytes / 119 * 256 >> 20) + 1));
  }
  if (c.bloom_bits_per_key < 0 || c.bloom_bits_per_key > 64)
    return Status::InvalidArgument(
        fmt::format("bloom bits per key is {}; it must be 0 (off) to 64", c.bloom_bits_per_key));
  if (c.io_threads < 0 || c.io_threads > 256)
    return Status::InvalidArgument("io threads must be 0 (one per core) to 256");
  if (c.engine_threads < 1 || c.engine_threads > 1024)
    return Status::InvalidArgument("engine threads must be 1 to 1024");
  if (c.id.size() > 255) return Status::InvalidArgument("the node id is longer than 255 bytes");
  for (const std::string& seed : c.seeds)
    KV_RETURN_IF_ERROR(ParseHostPort(seed).status().WithContext("seed"));
  if (!c.zone.empty()) KV_RETURN_IF_ERROR(CheckZoneName(c.zone));
  if (c.vnodes < 1 || c.vnodes > 4096)
    return Status::InvalidArgument(fmt::format("vnodes is {}; it must be 1 to 4096", c.vnodes));
  const QuorumSettings& q = c.quorum;
  if (q.n < 1 || q.n > 16)
    return Status::InvalidArgument(fmt::format("replicas (N) is {}; it must be 1 to 16", q.n));
  if (q.r < 1 || q.r > q.n)
    return Status::InvalidArgument(
        fmt::format("read quorum (R) is {}; it must be 1 to N={}", q.r, q.n));
  if (q.w < 1 || q.w > q.n)
    return Status::InvalidArgument(
        fmt::format("write quorum (W) is {}; it must be 1 to N={}", q.w, q.n));
  if (c.request_timeout.count() < 1 || c.gossip_interval.count() < 10)
    return Status::InvalidArgument(
        "the request timeout must be at least 1 ms and the gossip interval at least 10 ms");
  if (!(c.failure_detector.threshold > 0))
    return Status::InvalidArgument("the phi threshold must be above 0");
  if (c.hint_quota_per_node < kMinHintQuota || c.hint_quota < kMinHintQuota)
    return Status::InvalidArgument(
        fmt::format("the hint quotas must be at least {} MiB (one largest hint and more)",
                    kMinHintQuota >> 20));
  if (c.hint_window.count() < 1)
    return Status::InvalidArgument("the hint window must be at least 1 second");
  if (c.hinted_handoff && c.tombstone_grace < c.hint_window)
    return Status::InvalidArgument(
        "the tombstone grace period must be at least the hint window: a hint of a write older "
        "than a delete must expire before the tombstone can be purged");
  if (c.handoff_rate < 1)
    return Status::InvalidArgument("the handoff rate must be at least 1 hint per second");
  if (c.max_connections < 1) return Status::InvalidArgument("max connections must be at least 1");
  if (c.connection.max_requests_in_flight < 1)
    return Status::InvalidArgument("max requests in flight must be at least 1");
  if (c.connection.body_timeout.count() < 0 || c.connection.idle_timeout.count() < 0)
    return Status::InvalidArgument("the body and idle timeouts must be 0 (none) or more");
  return Status::Ok();
}

EngineOptions EngineOptionsFor(const NodeConfig& c, Env* env) {
  EngineOptions o;
  o.env = env;
  o.dir = c.data_dir;
  o.sync = c.sync;
  o.sync_period = c.sync_period;
  const MemoryBudget budget = SplitMemoryBudget(c.memory_budget, c.memtable_bytes);
  ApplyMemoryBudget(budget, &o);
  if (c.block_cache_bytes) o.block_cache_bytes = *c.block_cache_bytes;
  o.table.bloom_bits_per_key = c.bloom_bits_per_key;
  o.table.compression = c.compression;
  return o;
}

std::shared_ptr<TombstoneGc> OpenTombstoneGc(const NodeConfig& c, Env* env,
                                             std::shared_ptr<spdlog::logger> logger) {
  TombstoneGcOptions o;
  o.env = env;
  o.path = c.data_dir + "/REPAIRS";
  o.grace = c.tombstone_grace;
  o.wall_micros = WallMicros;
  o.logger = std::move(logger);
  return TombstoneGc::Open(std::move(o));
}

}  // namespace kv
