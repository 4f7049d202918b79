#include "libkv/storage/manifest.h"

#include <algorithm>

#include <fmt/format.h>

#include "libkv/base/coding.h"
#include "libkv/storage/data_dir.h"
#include "libkv/storage/manifest_format.h"
#include "libkv/storage/record_framing.h"

namespace kv {
namespace {

using manifest::RecordType;

constexpr uint32_t kTypes = (1u << static_cast<int>(RecordType::kHeader)) |
                            (1u << static_cast<int>(RecordType::kTable)) |
                            (1u << static_cast<int>(RecordType::kEnd));

Result<ManifestState> Decode(std::string_view contents, const std::string& path, bool* incomplete) {
  *incomplete = false;
  ManifestState state;
  RecordScanner scanner(contents, kTypes);
  bool header = false;
  while (true) {
    uint8_t type;
    std::string_view p;
    const auto outcome = scanner.Next(&type, &p);
    const uint64_t offset = scanner.offset();
    if (outcome == RecordScanner::Outcome::kEnd || outcome == RecordScanner::Outcome::kTornTail) {
      *incomplete = true;
      return Status::Corruption(fmt::format(
          "manifest {}: incomplete, it ends at offset {} before its end record", path, offset));
    }
    if (outcome == RecordScanner::Outcome::kCorrupted)
      return Status::Corruption(fmt::format(
          "manifest {}: damaged record at offset {} (checksum or framing)", path, offset));
    auto bad = [&](std::string_view why) {
      return Status::Corruption(
          fmt::format("manifest {}: record at offset {}: {}", path, offset, why));
    };
    const auto t = static_cast<RecordType>(type);
    if (!header && t != RecordType::kHeader) return bad("expected the header record first");
    if (t == RecordType::kHeader) {
      if (header) return bad("a second header");
      uint32_t version;
      if (!GetFixed32(&p, &version)) return bad("header too short");
      if (version != manifest::kFormatVersion)
        return bad(fmt::format("format version {} is not {}; use a matching kv version", version,
                               manifest::kFormatVersion));
      if (!GetVarint64(&p, &state.next_file) || !GetVarint64(&p, &state.last_sequence) ||
          !GetVarint64(&p, &state.log_number) || !p.empty())
        return bad("header does not parse");
      header = true;
    } else if (t == RecordType::kTable) {
      ManifestTable m;
      std::string_view smallest, largest;
      if (!GetVarint64(&p, &m.number) || !GetVarint32(&p, &m.level) || !GetVarint32(&p, &m.run) ||
          !GetLengthPrefixed(&p, &smallest) || !GetLengthPrefixed(&p, &largest) ||
          !GetVarint64(&p, &m.props.smallest_seq) || !GetVarint64(&p, &m.props.largest_seq) ||
          !GetVarint64(&p, &m.props.file_bytes) || !GetVarint64(&p, &m.props.entries) ||
          !GetVarint64(&p, &m.props.tombstones) || !p.empty())
        return bad("table record does not parse");
      if (m.number >= state.next_file) return bad("table number not below next file number");
      if (!state.tables.empty()) {
        const ManifestTable& prev = state.tables.back();
        if (m.run < prev.run || m.run > prev.run + 1) return bad("runs out of order");
        if (m.run == prev.run && !(prev.props.largest_key < std::string_view(smallest)))
          return bad("tables of one run overlap or are out of key order");
      } else if (m.run != 0) {
        return bad("the first table is not in run 0");
      }
      m.props.smallest_key = std::string(smallest);
      m.props.largest_key = std::string(largest);
      state.tables.push_back(std::move(m));
    } else {
      uint32_t count;
      if (!GetVarint32(&p, &count) || !p.empty()) return bad("end record does not parse");
      if (count != state.tables.size())
        return bad(fmt::format("end record counts {} tables, the file holds {}", count,
                               state.tables.size()));
      if (scanner.Next(&type, &p) != RecordScanner::Outcome::kEnd)
        return Status::Corruption(fmt::format(
            "manifest {}: bytes after the end record at offset {}", path, scanner.offset()));
      return state;
    }
  }
}

}  // namespace

std::string EncodeManifest(const ManifestState& state) {
  std::string out, p;
  PutFixed32(&p, manifest::kFormatVersion);
  PutVarint64(&p, state.next_file);
  PutVarint64(&p, state.last_sequence);
  PutVarint64(&p, state.log_number);
  AppendRecord(&out, static_cast<uint8_t>(RecordType::kHeader), p);
  for (const ManifestTable& m : state.tables) {
    p.clear();
    PutVarint64(&p, m.number);
    PutVarint32(&p, m.level);
    PutVarint32(&p, m.run);
    PutLengthPrefixed(&p, m.props.smallest_key);
    PutLengthPrefixed(&p, m.props.largest_key);
    PutVarint64(&p, m.props.smallest_seq);
    PutVarint64(&p, m.props.largest_seq);
    PutVarint64(&p, m.props.file_bytes);
    PutVarint64(&p, m.props.entries);
    PutVarint64(&p, m.props.tombstones);
    AppendRecord(&out, static_cast<uint8_t>(RecordType::kTable), p);
  }
  p.clear();
  PutVarint32(&p, static_cast<uint32_t>(state.tables.size()));
  AppendRecord(&out, static_cast<uint8_t>(RecordType::kEnd), p);
  return out;
}

Result<ManifestState> DecodeManifest(std::string_view contents, const std::string& path) {
  bool incomplete;
  return Decode(contents, path, &incomplete);
}

Result<std::optional<LoadedManifest>> LoadManifest(Env* env, const std::string& dir) {
  KV_ASSIGN_OR_RETURN(auto names, env->GetChildren(dir));
  std::vector<uint64_t> numbers;
  for (const auto& name : names) {
    uint64_t n;
    if (ParseDataFileName(name, &n) == DataFileKind::kManifest) numbers.push_back(n);
  }
  if (numbers.empty()) return std::optional<LoadedManifest>();
  std::sort(numbers.rbegin(), numbers.rend());
  std::string warning;
  for (size_t i = 0; i < numbers.size(); i++) {
    const std::string path = ManifestFileName(dir, numbers[i]);
    KV_ASSIGN_OR_RETURN(std::string contents, env->ReadFileToString(path));
    bool incomplete;
    auto state = Decode(contents, path, &incomplete);
    if (state.ok()) {
      return std::optional<LoadedManifest>(
          LoadedManifest{std::move(*state), numbers[i], std::move(warning)});
    }
    // Only an incomplete newest file with an older one behind it is a crash mid-write.
    if (!incomplete || i + 1 == numbers.size()) return state.status();
    warning =
        fmt::format("ignored {} ({}); using the previous manifest", path, state.status().message());
  }
  return Status::Corruption("unreachable");
}

Status WriteManifest(Env* env, const std::string& dir, const ManifestState& state,
                     uint64_t file_number, uint64_t previous_number) {
  const std::string path = ManifestFileName(dir, file_number);
  {
    KV_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(path));
    KV_RETURN_IF_ERROR(file->Append(EncodeManifest(state)));
    KV_RETURN_IF_ERROR(file->Sync());
    KV_RETURN_IF_ERROR(file->Close());
  }
  KV_RETURN_IF_ERROR(env->SyncDir(dir));
  if (previous_number != 0 && previous_number != file_number) {
    Status s = env->RemoveFile(ManifestFileName(dir, previous_number));
    if (!s.ok() && !s.Is(ErrorCode::kNotFound)) return s;
  }
  return Status::Ok();
}

}  // namespace kv
