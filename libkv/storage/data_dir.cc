#include "libkv/storage/data_dir.h"

#include <charconv>

#include <fmt/format.h>

#include "libkv/env/env.h"

namespace kv {

std::string LogFileName(const std::string& dir, uint64_t number) {
  return JoinPath(dir, fmt::format("{:06}.log", number));
}
std::string TableFileName(const std::string& dir, uint64_t number) {
  return JoinPath(dir, fmt::format("{:06}.sst", number));
}
std::string TempTableFileName(const std::string& dir, uint64_t number) {
  return JoinPath(dir, fmt::format("{:06}.sst.tmp", number));
}
std::string ManifestFileName(const std::string& dir, uint64_t number) {
  return JoinPath(dir, fmt::format("MANIFEST-{:06}", number));
}
std::string LockFileName(const std::string& dir) {
  return JoinPath(dir, "LOCK");
}

namespace {
bool ParseNumber(std::string_view digits, uint64_t* number) {
  if (digits.empty()) return false;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *number);
  return ec == std::errc() && end == digits.data() + digits.size();
}
}  // namespace

DataFileKind ParseDataFileName(std::string_view name, uint64_t* number) {
  if (name == "LOCK") return DataFileKind::kLock;
  if (name.starts_with("MANIFEST-"))
    return ParseNumber(name.substr(9), number) ? DataFileKind::kManifest : DataFileKind::kOther;
  auto ends = [&](std::string_view suffix, DataFileKind kind) {
    if (!name.ends_with(suffix)) return DataFileKind::kOther;
    return ParseNumber(name.substr(0, name.size() - suffix.size()), number) ? kind
                                                                            : DataFileKind::kOther;
  };
  if (name.ends_with(".log")) return ends(".log", DataFileKind::kLog);
  if (name.ends_with(".sst")) return ends(".sst", DataFileKind::kTable);
  if (name.ends_with(".sst.tmp")) return ends(".sst.tmp", DataFileKind::kTempTable);
  return DataFileKind::kOther;
}

}  // namespace kv
