#include "bench/peer_targets.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>

#include <memory>

#include "libkv/storage/engine.h"

namespace kv::bench {

namespace {

// kv's defaults, read from its option structs so that the peers follow when they change.
const size_t kMemtableBytes = EngineOptions{}.memtable_bytes;
const size_t kBlockBytes = TableOptions{}.block_bytes;
// Every system gets the benchmark's --cache-size (kv's default unless given) and --compression.
Result<leveldb::CompressionType> LevelDbCompression(const std::string& name) {
  if (name == "snappy") return leveldb::kSnappyCompression;
  if (name == "none") return leveldb::kNoCompression;
  return Status::InvalidArgument("LevelDB compresses with snappy or none, not " + name);
}

rocksdb::CompressionType RocksDbCompression(const std::string& name) {
  if (name == "lz4") return rocksdb::kLZ4Compression;
  if (name == "zstd") return rocksdb::kZSTD;
  if (name == "snappy") return rocksdb::kSnappyCompression;
  return rocksdb::kNoCompression;
}

class LevelDbTarget final : public BenchTarget {
 public:
  LevelDbTarget(bool sync, int bloom_bits, size_t cache_bytes)
      : filter_(bloom_bits > 0 ? leveldb::NewBloomFilterPolicy(bloom_bits) : nullptr),
        // LevelDB always has a cache: without one it makes an 8 MiB one of its own.
        cache_(leveldb::NewLRUCache(cache_bytes)) {
    write_options_.sync = sync;
  }
  ~LevelDbTarget() override {
    db_.reset();  // before the filter and cache it uses
    delete filter_;
    delete cache_;
  }

  Status Open(const std::string& dir, leveldb::CompressionType compression) {
    leveldb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = kMemtableBytes;
    options.block_size = kBlockBytes;
    options.compression = compression;
    options.filter_policy = filter_;
    options.block_cache = cache_;
    leveldb::DB* db = nullptr;
    leveldb::Status s = leveldb::DB::Open(options, dir, &db);
    if (!s.ok()) return Status::Unavailable("leveldb: " + s.ToString());
    db_.reset(db);
    return Status::Ok();
  }

  Status Put(int, std::string_view key, std::string_view value) override {
    leveldb::Status s = db_->Put(write_options_, leveldb::Slice(key.data(), key.size()),
                                 leveldb::Slice(value.data(), value.size()));
    return s.ok() ? Status::Ok() : Status::IOError("leveldb: " + s.ToString());
  }

  Result<bool> Get(int, std::string_view key) override {
    std::string value;
    leveldb::Status s =
        db_->Get(leveldb::ReadOptions(), leveldb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return Status::IOError("leveldb: " + s.ToString());
    return true;
  }

  Status CompactAll() override {
    db_->CompactRange(nullptr, nullptr);  // flushes the memtable first
    return Status::Ok();
  }

 private:
  const leveldb::FilterPolicy* filter_;
  leveldb::Cache* cache_;
  leveldb::WriteOptions write_options_;
  std::unique_ptr<leveldb::DB> db_;
};

class RocksDbTarget final : public BenchTarget {
 public:
  explicit RocksDbTarget(bool sync) { write_options_.sync = sync; }

  Status Open(const std::string& dir, const EngineBenchOptions& bench) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = kMemtableBytes;
    options.compression = RocksDbCompression(bench.compression);
    options.statistics = rocksdb::CreateDBStatistics();  // for the cache's hit ratio
    statistics_ = options.statistics;
    const int bloom_bits = bench.bloom_bits;
    rocksdb::BlockBasedTableOptions table;
    table.block_size = kBlockBytes;
    if (bench.cache_bytes > 0) {
      table.block_cache = rocksdb::NewLRUCache(bench.cache_bytes);
    } else {
      table.no_block_cache = true;
    }
    if (bloom_bits > 0) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(bloom_bits));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    rocksdb::DB* db = nullptr;
    rocksdb::Status s = rocksdb::DB::Open(options, dir, &db);
    if (!s.ok()) return Status::Unavailable("rocksdb: " + s.ToString());
    db_.reset(db);
    return Status::Ok();
  }

  Status Put(int, std::string_view key, std::string_view value) override {
    rocksdb::Status s = db_->Put(write_options_, rocksdb::Slice(key.data(), key.size()),
                                 rocksdb::Slice(value.data(), value.size()));
    return s.ok() ? Status::Ok() : Status::IOError("rocksdb: " + s.ToString());
  }

  Result<bool> Get(int, std::string_view key) override {
    rocksdb::PinnableSlice value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                                 rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return Status::IOError("rocksdb: " + s.ToString());
    return true;
  }

  Status CompactAll() override {
    rocksdb::Status s = db_->Flush(rocksdb::FlushOptions());
    if (s.ok()) s = db_->CompactRange(rocksdb::CompactRangeOptions(), nullptr, nullptr);
    return s.ok() ? Status::Ok() : Status::IOError("rocksdb: " + s.ToString());
  }

  std::optional<std::pair<uint64_t, uint64_t>> CacheLookups() override {
    // Data blocks only, as kv's cache counts them (RocksDB caches index and filter blocks too
    // when asked; by default it keeps them in the table reader, as kv does).
    return std::pair{statistics_->getTickerCount(rocksdb::BLOCK_CACHE_DATA_HIT),
                     statistics_->getTickerCount(rocksdb::BLOCK_CACHE_DATA_MISS)};
  }

 private:
  std::shared_ptr<rocksdb::Statistics> statistics_;
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
};

const char* SyncName(bool sync_every_write) {
  return sync_every_write ? "every write" : "off";
}

}  // namespace

Result<OpenedTarget> OpenLevelDb(const std::string& dir, bool sync_every_write,
                                 const EngineBenchOptions& bench) {
  KV_ASSIGN_OR_RETURN(leveldb::CompressionType compression, LevelDbCompression(bench.compression));
  auto target = std::make_unique<LevelDbTarget>(sync_every_write, bench.bloom_bits,
                                                std::max<size_t>(bench.cache_bytes, 1));
  KV_RETURN_IF_ERROR(target->Open(dir, compression));
  return OpenedTarget{std::move(target), SyncName(sync_every_write)};
}

Result<OpenedTarget> OpenRocksDb(const std::string& dir, bool sync_every_write,
                                 const EngineBenchOptions& bench) {
  auto target = std::make_unique<RocksDbTarget>(sync_every_write);
  KV_RETURN_IF_ERROR(target->Open(dir, bench));
  return OpenedTarget{std::move(target), SyncName(sync_every_write)};
}

}  // namespace kv::bench
