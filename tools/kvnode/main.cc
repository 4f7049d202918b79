// kvnode: runs one kv node, alone or as a member of a cluster (--id, --seeds). Parses flags (or
// a TOML config file, read strictly: tools/common/config_file.h), opens the data directory,
// serves until SIGINT or SIGTERM, then stops gracefully (answers what is in flight, flushes the
// memtable). SIGHUP re-reads the config file's log-level and never stops the node. Exit codes: 0
// clean stop, 2 usage error, 3 cannot start or stop cleanly (port in use, data dir locked,
// corrupt data, fsync failure); the message says what to do.
#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "libkv/env/env.h"
#include "libkv/node/node.h"
#include "libkv/storage/block_codec.h"
#include "tools/common/command_line.h"
#include "tools/common/config_file.h"
#include "tools/common/size_flag.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitCannotServe = 3;

// What to do about a failure to start, by its code.
std::string_view HintFor(const kv::Status& s) {
  switch (s.code()) {
    case kv::ErrorCode::kCorruption:
      return " — the data directory is damaged: move it aside (or restore a backup) and start "
             "again, or point --data-dir elsewhere";
    case kv::ErrorCode::kIOError:
      return " — check that the data directory exists, is writable and the disk is not full";
    case kv::ErrorCode::kInvalidArgument:
      return " — see kvnode --help";
    default:
      return "";
  }
}

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};

// SIGHUP's one job: set the log level to the --config file's log-level (or, when the file has
// none, the level kvnode started with). The file is checked as at start (an unknown key or a
// section is logged and nothing changes); its other settings take effect at a restart. SIGHUP is
// blocked in every thread from main's start (threads inherit the mask) and taken here with
// sigwait, so it never kills the node, whichever thread the kernel would have picked.
class LogLevelReloader {
 public:
  LogLevelReloader(const CLI::App& app, std::string config_path, std::string start_level,
                   std::shared_ptr<spdlog::logger> logger)
      : app_(app),
        config_path_(std::move(config_path)),
        start_level_(std::move(start_level)),
        logger_(std::move(logger)),
        thread_([this] { Run(); }) {}
  ~LogLevelReloader() {
    done_ = true;
    pthread_kill(thread_.native_handle(), SIGHUP);
    thread_.join();
  }

  static void BlockSighup() {
    sigset_t set = Sighup();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
  }

 private:
  static sigset_t Sighup() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    return set;
  }

  void Run() {
    const sigset_t set = Sighup();
    for (;;) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (done_) return;
      Reload();
    }
  }

  void Reload() {
    if (config_path_.empty()) {
      logger_->warn("received SIGHUP: no --config file to read a log level from; it stays {}",
                    spdlog::level::to_string_view(logger_->level()));
      return;
    }
    std::string level = start_level_;
    try {
      for (const CLI::ConfigItem& item : kv::tools::ReadConfigItems(app_, config_path_)) {
        if (item.name == "log-level" && !item.inputs.empty()) level = item.inputs.back();
      }
    } catch (const CLI::Error& e) {
      logger_->error("received SIGHUP: {}; the log level stays {}", e.what(),
                     spdlog::level::to_string_view(logger_->level()));
      return;
    }
    if (std::find(std::begin(kLogLevels), std::end(kLogLevels), level) == std::end(kLogLevels)) {
      logger_->error(
          "received SIGHUP: {}: log-level '{}' is not one of trace, debug, info, warn, "
          "error; the log level stays {}",
          config_path_, level, spdlog::level::to_string_view(logger_->level()));
      return;
    }
    logger_->set_level(spdlog::level::from_str(level));
    // Said at warn, so that it shows at every level it may be set to but error.
    logger_->warn(
        "received SIGHUP: log level {} (from {}; other settings take effect at a "
        "restart)",
        level, config_path_);
  }

  const CLI::App& app_;
  const std::string config_path_;
  const std::string start_level_;
  const std::shared_ptr<spdlog::logger> logger_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  LogLevelReloader::BlockSighup();  // before any thread starts: see LogLevelReloader
  CLI::App app{
      "Runs one kv node: serves the kv protocol on --listen with its data in --data-dir,\n"
      "and with --http-listen an HTTP API (curl, any language).\n"
      "Alone it is a ring of one; with --seeds it joins the cluster those nodes belong to.\n"
      "Stop it with SIGINT or SIGTERM: it answers requests in flight, flushes, and exits 0.\n"
      "SIGHUP sets the log level to the --config file's log-level; it never stops the node.\n"
      "Sizes: a number of bytes, or with KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers "
      "of 1024).\n"
      "On an address other than the loopback it needs TLS (--tls-cert, --tls-key, --tls-ca) or "
      "--insecure.\n"
      "Exit codes: 0 clean stop, 2 usage error, 3 cannot start (port in use, data dir locked, "
      "corrupt data) or cannot stop cleanly.",
      "kvnode"};
  kv::NodeConfig config;
  std::string sync = "batch";
  std::string token_allocation = "balanced";
  int sync_period_ms = 10;
  size_t memtable_bytes = 0;
  std::string compression(kv::BlockCodecName(config.compression));
  uint64_t memory_budget = config.memory_budget;
  uint64_t cache_size = 0;
  std::string log_level = "info";

  app.add_option("--listen", config.listen, "HOST:PORT to serve on (port 0: any free port)")
      ->capture_default_str()
      ->type_name("HOST:PORT");
  app.add_option("--advertise", config.advertise,
                 "HOST:PORT other nodes reach this one at (default: the address --listen bound; "
                 "port 0: the bound port); required with --listen 0.0.0.0 or [::]")
      ->type_name("HOST:PORT");
  std::string http_listen = "off";
  app.add_option("--http-listen", http_listen,
                 "HOST:PORT of the HTTP API (GET, PUT, DELETE /v1/kv/KEY; man kv-http), for curl "
                 "and any language; off: none (port 0: any free port; with TLS it is HTTPS and "
                 "takes client certificates)")
      ->capture_default_str()
      ->type_name("HOST:PORT|off");
  app.add_option("--data-dir", config.data_dir, "Directory of the node's data (created if missing)")
      ->capture_default_str()
      ->type_name("DIR");
  app.add_option("--sync", sync,
                 "Commit-log durability: batch (acknowledge after the group fsync), periodic "
                 "(fsync every --sync-period-ms), off (never fsync)")
      ->check(CLI::IsMember({"batch", "periodic", "off"}))
      ->capture_default_str()
      ->type_name("MODE");
  app.add_option("--sync-period-ms", sync_period_ms, "fsync period for --sync periodic")
      ->type_name("MS")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  app.add_option("--cluster-name", config.cluster_name,
                 "Cluster name; clients must give the same one")
      ->capture_default_str()
      ->type_name("NAME");
  app.add_option("--id", config.id,
                 "The node's name in the ring (default: the one its data dir remembers, or for a "
                 "new data dir the address it advertises)")
      ->type_name("NAME");
  app.add_option("--seeds", config.seeds,
                 "HOST:PORT of nodes to join the cluster through, comma-separated")
      ->delimiter(',')
      ->type_name("HOST:PORT,...");
  app.add_option("--zone", config.zone,
                 "The failure domain this node is in (a rack, zone or data center; printable, at "
                 "most 64 bytes): each key's replicas go to as many zones as there are. Fixed "
                 "once the node holds data")
      ->type_name("NAME");
  app.add_option("--vnodes", config.vnodes, "Virtual nodes (ring tokens) of this node")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--token-allocation", token_allocation,
                 "How a new node joining a running cluster gets its tokens: balanced (chosen once "
                 "against the ring it learns from its seeds, to even out every node's share) or "
                 "hashed (drawn from its name). A node keeps the tokens it has")
      ->check(CLI::IsMember({"balanced", "hashed"}))
      ->capture_default_str()
      ->type_name("MODE");
  app.add_option("--replicas", config.quorum.n,
                 "N: replicas of each key, 1 to 16 (the same on every node)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--read-quorum", config.quorum.r,
                 "R: replies a get waits for (R + W > N: reads see the latest write)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--write-quorum", config.quorum.w, "W: acknowledgements a put waits for")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  int request_timeout_ms = static_cast<int>(config.request_timeout.count());
  app.add_option("--request-timeout-ms", request_timeout_ms,
                 "How long a coordinator waits for its quorum")
      ->type_name("MS")
      ->check(CLI::Range(1, 600000))
      ->capture_default_str();
  int gossip_interval_ms = static_cast<int>(config.gossip_interval.count());
  app.add_option("--gossip-interval-ms", gossip_interval_ms, "Time between gossip rounds")
      ->type_name("MS")
      ->check(CLI::Range(10, 60000))
      ->capture_default_str();
  int ring_delay_ms = 0;
  app.add_option("--ring-delay-ms", ring_delay_ms,
                 "How long a joining or leaving node waits, once it has announced it, before it "
                 "streams its ranges, so every node has heard (0: five gossip intervals)")
      ->type_name("MS")
      ->check(CLI::Range(0, 600000))
      ->capture_default_str();
  app.add_option("--phi-threshold", config.failure_detector.threshold,
                 "Failure detector: a peer is down when its phi reaches this (Cassandra: 8)")
      ->check(CLI::Range(0.5, 100.0))
      ->capture_default_str();
  std::string hinted_handoff = "on";
  app.add_option("--hinted-handoff", hinted_handoff,
                 "Sloppy quorum with hints: a down replica's writes go to a stand-in that hands "
                 "them off when it returns (off: writes go to the key's own replicas only)")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str()
      ->type_name("on|off");
  int64_t hint_window_s = config.hint_window.count();
  app.add_option("--hint-window-s", hint_window_s,
                 "Hints older than this are dropped and counted (anti-entropy covers them)")
      ->type_name("SECONDS")
      ->check(CLI::Range(int64_t{1}, int64_t{30} * 24 * 3600))
      ->capture_default_str();
  app.add_option("--hint-quota-per-node", config.hint_quota_per_node,
                 "Hints kept for one down node at most (at least 32MiB); past it a hint is "
                 "refused and anti-entropy repairs the write")
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE")
      ->default_str("1GiB");
  app.add_option("--hint-quota", config.hint_quota,
                 "Hints kept for all down nodes at most (at least 32MiB)")
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE")
      ->default_str("4GiB");
  app.add_option("--handoff-rate", config.handoff_rate,
                 "Hints handed off per second at most, so a returning node keeps serving")
      ->type_name("N")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  int64_t anti_entropy_interval_s = config.anti_entropy_interval.count();
  app.add_option("--anti-entropy-interval-s", anti_entropy_interval_s,
                 "Background anti-entropy: repair every range with its other replicas this often, "
                 "resting nine times as long as it works (0: off; kvrepair runs it now)")
      ->type_name("SECONDS")
      ->check(CLI::Range(int64_t{0}, int64_t{30} * 24 * 3600))
      ->capture_default_str();
  int64_t tombstone_grace_s = config.tombstone_grace.count();
  app.add_option("--tombstone-grace-s", tombstone_grace_s,
                 "Purge a deleted key once a repair that reached every replica began this long "
                 "after the delete (at least --hint-window-s)")
      ->type_name("SECONDS")
      ->check(CLI::Range(int64_t{1}, int64_t{365} * 24 * 3600))
      ->capture_default_str();
  app.add_option("--memory-budget", memory_budget,
                 "Memory for memtables, block cache, table indexes and filters, and connection "
                 "buffers (at least 32MiB); writes slow down and sockets wait rather than grow "
                 "past it")
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE")
      ->default_str("256MiB");
  app.add_option("--memtable-size", memtable_bytes,
                 "Memtable size before it is flushed to an SSTable (0: from --memory-budget, "
                 "8MiB from 128MiB up)")
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE")
      ->default_str("0");
  app.add_option("--bloom-bits", config.bloom_bits_per_key,
                 "Bloom filter bits per key in new SSTables (0: no filter)")
      ->type_name("BITS")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  app.add_option("--compression", compression,
                 "Codec for new SSTables' data blocks: lz4 (fast), zstd (smaller), none")
      ->check(CLI::IsMember({"lz4", "zstd", "none"}))
      ->capture_default_str()
      ->type_name("CODEC");
  app.add_option("--cache-size", cache_size,
                 "Block cache: hot data blocks plus the tables' indexes and filters, e.g. 64MiB "
                 "(0: none; default: its share of --memory-budget, which it must fit in)")
      ->transform(kv::tools::SizeValue())
      ->type_name("SIZE");
  app.add_option("--io-threads", config.io_threads,
                 "Threads serving connections and requests, each with its own connections (0: "
                 "one per core); 1 suits several nodes sharing a machine's cores")
      ->type_name("N")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--tls-cert", config.tls.cert_file,
                 "TLS: this node's certificate (PEM, role peer, CN its id; scripts/make-certs). "
                 "With --tls-key and --tls-ca every connection is mutual TLS")
      ->type_name("FILE");
  app.add_option("--tls-key", config.tls.key_file, "TLS: the private key of --tls-cert (PEM)")
      ->type_name("FILE");
  app.add_option("--tls-ca", config.tls.ca_file,
                 "TLS: the cluster's CA certificate (PEM), the only one trusted")
      ->type_name("FILE");
  app.add_flag("--insecure", config.insecure,
               "Serve without TLS on an address other machines can reach (refused otherwise: "
               "anyone reaching the port could read, write and delete every key)");
  app.add_option("--max-connections", config.max_connections,
                 "Connections open at once; past it a new one is refused with a clear error")
      ->type_name("N")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app.add_option("--max-connections-per-address", config.max_connections_per_address,
                 "Connections open at once from one IP address, loopback too (0: no limit)")
      ->type_name("N")
      ->check(CLI::Range(0, 1 << 20))
      ->capture_default_str();
  int64_t body_timeout_ms = config.connection.body_timeout.count();
  app.add_option("--body-timeout-ms", body_timeout_ms,
                 "A frame whose bytes have not all arrived after this much waiting for them is "
                 "cut off and its connection closed (0: no limit)")
      ->type_name("MS")
      ->check(CLI::Range(int64_t{0}, int64_t{3600} * 1000))
      ->capture_default_str();
  int64_t idle_timeout_s =
      std::chrono::duration_cast<std::chrono::seconds>(config.connection.idle_timeout).count();
  app.add_option("--idle-timeout-s", idle_timeout_s,
                 "A connection with nothing in flight this long is closed; clients reconnect "
                 "without a fault (0: never)")
      ->type_name("SECONDS")
      ->check(CLI::Range(int64_t{0}, int64_t{30} * 24 * 3600))
      ->capture_default_str();
  app.add_option("--log-level", log_level,
                 "Log level: trace (every request and frame), debug (connections, gossip), info, "
                 "warn, error; SIGHUP re-reads it from the --config file")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str()
      ->type_name("LEVEL");
  app.set_config("--config", "",
                 "Read options from a TOML file: a key is a long flag without its dashes "
                 "(data-dir = \"/var/lib/kv\"; data_dir alike); an unknown key or a [section] is "
                 "an error; flags on the command line win")
      ->type_name("FILE");
  kv::tools::ReadConfigStrictly(app);
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "Check the flags and the --config file, print \"configuration ok\" and exit 0 "
               "(2 with the error), without opening the data dir or the port");
  app.footer(
      "Examples:\n  kvnode\n  kvnode --listen 127.0.0.1:7001 --data-dir /var/lib/kv\n"
      "  kvnode --id b --listen 127.0.0.1:7002 --data-dir b --seeds 127.0.0.1:7001\n"
      "  kvnode --http-listen 127.0.0.1:8098   (then: curl 127.0.0.1:8098/v1/kv/KEY; man kv-http)\n"
      "  kvnode --id c --zone rack-2 --listen 127.0.0.1:7003 --data-dir c --seeds "
      "127.0.0.1:7001\n"
      "  kvnode --config kvnode.toml\n"
      "  kvnode --listen 10.0.0.5:7000 --tls-cert certs/10.0.0.5:7000.crt \\\n"
      "         --tls-key certs/10.0.0.5:7000.key --tls-ca certs/ca.crt");
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;

  auto logger = spdlog::stderr_color_mt("kvnode");
  logger->set_level(spdlog::level::from_str(log_level));
  spdlog::set_default_logger(logger);

  config.token_allocation = token_allocation == "hashed"
                                ? kv::NodeConfig::TokenAllocation::kHashed
                                : kv::NodeConfig::TokenAllocation::kBalanced;
  kv::Result<kv::SyncMode> mode = kv::ParseSyncMode(sync);
  if (!mode.ok()) {
    std::cerr << "kvnode: " << mode.status().message() << "\n";
    return kExitUsage;
  }
  config.sync = *mode;
  config.http_listen = http_listen == "off" ? std::string() : http_listen;
  config.sync_period = std::chrono::milliseconds(sync_period_ms);
  config.memtable_bytes = memtable_bytes;
  config.compression = *kv::ParseBlockCodec(compression);  // the check above admits only these
  config.memory_budget = memory_budget;
  if (app.count("--cache-size") > 0) config.block_cache_bytes = cache_size;
  config.request_timeout = std::chrono::milliseconds(request_timeout_ms);
  config.gossip_interval = std::chrono::milliseconds(gossip_interval_ms);
  config.ring_delay = std::chrono::milliseconds(ring_delay_ms);
  config.hinted_handoff = hinted_handoff == "on";
  config.hint_window = std::chrono::seconds(hint_window_s);
  config.anti_entropy_interval = std::chrono::seconds(anti_entropy_interval_s);
  config.tombstone_grace = std::chrono::seconds(tombstone_grace_s);
  config.connection.body_timeout = std::chrono::milliseconds(body_timeout_ms);
  config.connection.idle_timeout = std::chrono::seconds(idle_timeout_s);
  if (app.count("--zone") > 0 && config.zone.empty()) {
    std::cerr << "kvnode: --zone is empty; name the node's zone, or leave the flag out for none\n";
    return kExitUsage;
  }
  if (kv::Status valid = kv::ValidateNodeConfig(config); !valid.ok()) {
    std::cerr << "kvnode: " << valid.message() << "\n";
    return kExitUsage;
  }

  if (check_config) {
    std::cout << "kvnode: configuration ok\n";
    return kExitOk;
  }

  kv::Result<std::unique_ptr<kv::Node>> node = kv::Node::Open(config, kv::PosixEnv(), logger);
  if (!node.ok()) {
    logger->error("cannot start: {}{}", node.status().ToString(), HintFor(node.status()));
    return kExitCannotServe;
  }
  (*node)->StopOnSignals();
  kv::Status stopped;
  {
    const std::string config_path =
        app.count("--config") > 0 ? app["--config"]->as<std::string>() : std::string();
    LogLevelReloader reloader(app, config_path, log_level, logger);
    stopped = (*node)->Wait();
  }
  if (!stopped.ok()) {
    logger->error("stopped with an error: {}{}", stopped.ToString(), HintFor(stopped));
    return kExitCannotServe;
  }
  return kExitOk;
}
