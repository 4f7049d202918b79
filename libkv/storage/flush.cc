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
    if (spec.max_file_bytes > 0 && writer->FileSize() >= spec.max_file_bytes) {
      source->Next();  // the rest goes to the next table
      break;
    }
  }
  KV_RETURN_IF_ERROR(source->status());
  if (!writer) return std::optional<LiveTable>();
  KV_ASSIGN_OR_RETURN(TableProperties props, writer->Finish());
  writer.reset();
  KV_RETURN_IF_ERROR(spec.env->RenameFile(tmp, path));
  KV_RETURN_IF_ERROR(spec.env->SyncDir(spec.dir));
  ManifestTable meta;
  meta.number = spec.number;
  meta.level = spec.level;
  meta.props = std::move(props);
  KV_ASSIGN_OR_RETURN(auto reader, TableReader::Open(spec.env, path, spec.read_options));
  return std::optional<LiveTable>(LiveTable(std::move(meta), std::move(reader)));
}

Result<std::vector<LiveTable>> BuildTables(const TableBuildSpec& spec, Iterator* source,
                                           const std::function<bool(const EntryView&)>& keep,
                                           const std::function<uint64_t()>& new_number) {
  std::vector<LiveTable> out;
  while (source->Valid()) {
    TableBuildSpec one = spec;
    one.number = new_number();
    KV_ASSIGN_OR_RETURN(auto table, BuildTable(one, source, keep));
    if (!table) break;
    out.push_back(std::move(*table));
  }
  KV_RETURN_IF_ERROR(source->status());
  return out;
}

Result<LiveTable> FlushMemTable(const TableBuildSpec& spec, const MemTable& mem) {
  auto it = mem.NewIterator();
  it->SeekToFirst();
  KV_ASSIGN_OR_RETURN(auto table, BuildTable(spec, it.get()));
  if (!table) return Status::InvalidArgument("flush of an empty memtable");
  return std::move(*table);
}

}  // namespace kv
