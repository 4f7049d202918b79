#include "bench/peer_targets.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>

#include <memory>

#include "libkv/storage/engine.h"

namespace kv::bench {

namespace {

// kv's defaults, read from its option structs so that the peers follow when they change.
const size_t kMemtableBytes = EngineOptions{}.memtable_bytes;
const size_t kBlockBytes = TableOptions{}.block_bytes;
// kv keeps no block cache by default (it maps table files and leaves caching to the OS); LevelDB
// always has one (8 MiB when none is given), so both peers get LevelDB's default.
constexpr size_t kBlockCacheBytes = 8 << 20;

class LevelDbTarget final : public BenchTarget {
 public:
  LevelDbTarget(bool sync, int bloom_bits)
      : filter_(bloom_bits > 0 ? leveldb::NewBloomFilterPolicy(bloom_bits) : nullptr),
        cache_(leveldb::NewLRUCache(kBlockCacheBytes)) {
    write_options_.sync = sync;
  }
  ~LevelDbTarget() override {
    db_.reset();  // before the filter and cache it uses
    delete filter_;
    delete cache_;
  }

  Status Open(const std::string& dir) {
    leveldb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = kMemtableBytes;
    options.block_size = kBlockBytes;
    options.compression = leveldb::kNoCompression;
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

  Status Open(const std::string& dir, int bloom_bits) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.write_buffer_size = kMemtableBytes;
    options.compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions table;
    table.block_size = kBlockBytes;
    table.block_cache = rocksdb::NewLRUCache(kBlockCacheBytes);
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

 private:
  rocksdb::WriteOptions write_options_;
  std::unique_ptr<rocksdb::DB> db_;
};

const char* SyncName(bool sync_every_write) {
  return sync_every_write ? "every write" : "off";
}

}  // namespace

Result<OpenedTarget> OpenLevelDb(const std::string& dir, bool sync_every_write, int bloom_bits) {
  auto target = std::make_unique<LevelDbTarget>(sync_every_write, bloom_bits);
  KV_RETURN_IF_ERROR(target->Open(dir));
  return OpenedTarget{std::move(target), SyncName(sync_every_write)};
}

Result<OpenedTarget> OpenRocksDb(const std::string& dir, bool sync_every_write, int bloom_bits) {
  auto target = std::make_unique<RocksDbTarget>(sync_every_write);
  KV_RETURN_IF_ERROR(target->Open(dir, bloom_bits));
  return OpenedTarget{std::move(target), SyncName(sync_every_write)};
}

}  // namespace kv::bench
