#include "libkv/storage/flush.h"

#include <fmt/format.h>

#include "libkv/storage/data_dir.h"

namespace kv {

Result<std::optional<LiveTable>> BuildTable(const TableBuildSpec& spec, Iterator* source,
                                            const std::function<bool(const EntryView&)>& keep) {
  const std::string tmp = TempTableFileName(spec.dir, spec.number);
  const std::string path = TableFileName(spec.dir, spec.number);
  std::unique_ptr<TableWriter> writer;
  uint64_t seen = 0;
  for (; source->Valid(); source->Next()) {
    if (spec.cancel != nullptr && ++seen % 1024 == 0 && spec.cancel->load()) {
      writer.reset();
      (void)spec.env->RemoveFile(tmp);  // Open removes leftovers anyway
      return Status::Unavailable(fmt::format("writing table {} cancelled", tmp));
    }
    const EntryView e = source->entry();
    if (keep && !keep(e)) continue;
    if (!writer) {
      KV_ASSIGN_OR_RETURN(writer, TableWriter::Create(spec.env, tmp, spec.options));
    }
    Status s = writer->Add(e);
    if (!s.ok()) return s.WithContext(fmt::format("writing table {}", tmp));
  }
  KV_RETURN_IF_ERROR(source->status());
  if (!writer) return std::optional<LiveTable>();
  KV_ASSIGN_OR_RETURN(TableProperties props, writer->Finish());
  writer.reset();
  KV_RETURN_IF_ERROR(spec.env->RenameFile(tmp, path));
  KV_RETURN_IF_ERROR(spec.env->SyncDir(spec.dir));
  LiveTable table;
  table.meta.number = spec.number;
  table.meta.level = spec.level;
  table.meta.props = std::move(props);
  KV_ASSIGN_OR_RETURN(table.reader, TableReader::Open(spec.env, path, spec.read_options));
  return std::optional<LiveTable>(std::move(table));
}

Result<LiveTable> FlushMemTable(const TableBuildSpec& spec, const MemTable& mem) {
  auto it = mem.NewIterator();
  it->SeekToFirst();
  KV_ASSIGN_OR_RETURN(auto table, BuildTable(spec, it.get()));
  if (!table) return Status::InvalidArgument("flush of an empty memtable");
  return std::move(*table);
}

}  // namespace kv
