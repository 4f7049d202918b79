// Opening a data directory: lock it, load the manifest, open the live tables, replay the commit
// logs the manifest does not cover into a memtable and flush that to a table, start a fresh log,
// write a new manifest, remove files nothing refers to, then start the background threads.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "libkv/storage/block_cache.h"
#include "libkv/storage/data_dir.h"
#include "libkv/storage/engine_impl.h"
#include "libkv/storage/flush.h"
#include "libkv/storage/manifest.h"

namespace kv {

EngineImpl::EngineImpl(EngineOptions options)
    : options_(std::move(options)),
      env_(options_.env),
      dir_(options_.dir),
      logger_(options_.logger ? options_.logger : spdlog::default_logger()) {
  table_read_options_.map_file = options_.map_tables;
  if (options_.block_cache_bytes > 0)
    table_read_options_.block_cache = std::make_shared<BlockCache>(options_.block_cache_bytes);
}

TableBuildSpec EngineImpl::BuildSpec(uint64_t number, uint32_t level) const {
  return TableBuildSpec{
      env_, dir_, number, level, options_.table, table_read_options_, &cancel_background_};
}

Result<std::unique_ptr<Engine>> EngineImpl::Open(EngineOptions options) {
  if (options.env == nullptr) return Status::InvalidArgument("EngineOptions.env is required");
  if (options.dir.empty()) return Status::InvalidArgument("EngineOptions.dir is required");
  if (options.memtable_bytes < 4096)
    return Status::InvalidArgument("EngineOptions.memtable_bytes must be at least 4096");
  if (options.max_immutable_memtables < 1)
    return Status::InvalidArgument("EngineOptions.max_immutable_memtables must be at least 1");
  std::unique_ptr<EngineImpl> engine(new EngineImpl(std::move(options)));
  KV_RETURN_IF_ERROR(engine->Recover());
  engine->StartThreads();
  return std::unique_ptr<Engine>(std::move(engine));
}

Status EngineImpl::Recover() {
  KV_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  KV_ASSIGN_OR_RETURN(lock_, env_->LockFile(LockFileName(dir_)));
  KV_ASSIGN_OR_RETURN(auto loaded, LoadManifest(env_, dir_));
  KV_ASSIGN_OR_RETURN(auto names, env_->GetChildren(dir_));

  uint64_t max_number = 0;
  std::vector<uint64_t> logs;
  bool data_files = false;
  for (const auto& name : names) {
    uint64_t n = 0;
    const DataFileKind kind = ParseDataFileName(name, &n);
    max_number = std::max(max_number, n);
    if (kind == DataFileKind::kLog) logs.push_back(n);
    if (kind == DataFileKind::kLog || kind == DataFileKind::kTable) data_files = true;
  }
  ManifestState state;
  if (loaded) {
    state = std::move(loaded->state);
    manifest_number_ = loaded->file_number;
    if (!loaded->warning.empty()) logger_->warn("storage engine {}: {}", dir_, loaded->warning);
  } else if (data_files) {
    return Status::Corruption(fmt::format(
        "{} holds tables or commit logs but no MANIFEST; restore the MANIFEST file or move the "
        "directory away",
        dir_));
  }
  next_file_ = std::max(state.next_file, max_number + 1);
  last_seq_ = state.last_sequence;

  auto tables = std::make_shared<TableSet>();
  std::vector<std::shared_ptr<SortedRun>> runs;
  for (const ManifestTable& m : state.tables) {
    const std::string path = TableFileName(dir_, m.number);
    auto reader = TableReader::Open(env_, path, table_read_options_);
    if (!reader.ok()) {
      const Status s = reader.status();
      if (s.Is(ErrorCode::kNotFound))
        return Status::Corruption(fmt::format("table {} named by the manifest is missing", path));
      return s.WithContext(fmt::format("opening table {}", path));
    }
    // DecodeManifest checked that runs come in order, each number once: m.run is the last run
    // here or the next one.
    if (runs.size() <= m.run) runs.push_back(std::make_shared<SortedRun>());
    runs.back()->tables.push_back(std::make_shared<const LiveTable>(m, std::move(*reader)));
  }
  tables->runs.assign(runs.begin(), runs.end());

  std::sort(logs.begin(), logs.end());
  auto recovered = std::make_shared<MemTable>(0, options_.memtable_bytes);
  for (uint64_t n : logs) {
    if (n < state.log_number) continue;
    const std::string path = LogFileName(dir_, n);
    KV_ASSIGN_OR_RETURN(ReplayResult r, ReplayCommitLog(env_, path, [&](const EntryView& e) {
                          recovered->Add(e.seq, e.kind, e.key, e.value);
                        }));
    replayed_records_ += r.records;
    last_seq_ = std::max(last_seq_, r.max_seq);
    if (r.truncated_bytes > 0) {
      truncated_log_bytes_ += r.truncated_bytes;
      logger_->warn(
          "storage engine {}: commit log {} had a torn tail (a write cut short by a crash); "
          "dropped its last {} bytes",
          dir_, path, r.truncated_bytes);
    }
  }
  if (!recovered->empty()) {
    const TableBuildSpec spec = BuildSpec(next_file_++, 0);
    KV_ASSIGN_OR_RETURN(LiveTable table, FlushMemTable(spec, *recovered));
    auto run = std::make_shared<SortedRun>();
    run->tables.push_back(std::make_shared<const LiveTable>(std::move(table)));
    tables->runs.insert(tables->runs.begin(), std::move(run));
  }
  recovered.reset();
  visible_seq_ = last_seq_;

  const uint64_t log_number = next_file_++;
  const std::string log_path = LogFileName(dir_, log_number);
  KV_ASSIGN_OR_RETURN(auto log_file, env_->NewWritableFile(log_path));
  KV_RETURN_IF_ERROR(env_->SyncDir(dir_));
  log_ = std::make_shared<CommitLogWriter>(log_path, log_number, std::move(log_file));
  mem_ = std::make_shared<MemTable>(log_number, options_.memtable_bytes);
  tables_ = tables;
  {
    std::lock_guard manifest_lock(manifest_mu_);
    KV_RETURN_IF_ERROR(WriteManifestFor(*tables, log_number));
  }
  {
    std::lock_guard lock(mu_);
    PublishViewLocked();
  }
  return RemoveObsoleteFiles();
}

Status EngineImpl::RemoveObsoleteFiles() {
  KV_ASSIGN_OR_RETURN(auto names, env_->GetChildren(dir_));
  std::vector<uint64_t> live;
  for (const auto& run : tables_->runs)
    for (const auto& t : run->tables) live.push_back(t->meta.number);
  for (const auto& name : names) {
    uint64_t n = 0;
    bool obsolete = false;
    switch (ParseDataFileName(name, &n)) {
      case DataFileKind::kLog:
        obsolete = n < manifest_log_number_;
        break;
      case DataFileKind::kTable:
        obsolete = std::find(live.begin(), live.end(), n) == live.end();
        break;
      case DataFileKind::kTempTable:
        obsolete = true;
        break;
      case DataFileKind::kManifest:
        obsolete = n != manifest_number_;
        break;
      default:
        break;
    }
    if (!obsolete) continue;
    logger_->debug("storage engine {}: removing obsolete file {}", dir_, name);
    Status s = env_->RemoveFile(JoinPath(dir_, name));
    if (!s.ok() && !s.Is(ErrorCode::kNotFound)) return s;
  }
  return Status::Ok();
}

void EngineImpl::StartThreads() {
  commit_thread_ = std::thread([this] { CommitLoop(); });
  flush_thread_ = std::thread([this] { FlushLoop(); });
  compaction_thread_ = std::thread([this] { CompactionLoop(); });
  if (options_.sync == SyncMode::kPeriodic) sync_thread_ = std::thread([this] { SyncLoop(); });
}

}  // namespace kv
