#include "libkv/env/env.h"

#include <algorithm>
#include <vector>

namespace kv {

Result<std::string> Env::ReadFileToString(const std::string& path) {
  KV_ASSIGN_OR_RETURN(auto file, NewRandomAccessFile(path));
  const uint64_t size = file->Size();
  std::string out(size, '\0');
  KV_ASSIGN_OR_RETURN(std::string_view got, file->Read(0, size, out.data()));
  if (got.data() != out.data()) std::copy(got.begin(), got.end(), out.begin());
  out.resize(got.size());
  return out;
}

Status Env::WriteFileAtomically(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  {
    KV_ASSIGN_OR_RETURN(auto file, NewWritableFile(tmp));
    KV_RETURN_IF_ERROR(file->Append(data));
    KV_RETURN_IF_ERROR(file->Sync());
    KV_RETURN_IF_ERROR(file->Close());
  }
  KV_RETURN_IF_ERROR(RenameFile(tmp, path));
  return SyncDir(DirName(path));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

std::string DirName(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace kv
