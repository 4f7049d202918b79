// File names in a data directory (docs/formats.md, "Data directory"): LOCK, MANIFEST-NNNNNN,
// NNNNNN.log (commit logs), NNNNNN.sst (tables) and NNNNNN.sst.tmp (a table being written).
// All numbers come from one counter kept in the manifest. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

enum class DataFileKind { kLog, kTable, kTempTable, kManifest, kLock, kOther };

std::string LogFileName(const std::string& dir, uint64_t number);
std::string TableFileName(const std::string& dir, uint64_t number);
std::string TempTableFileName(const std::string& dir, uint64_t number);
std::string ManifestFileName(const std::string& dir, uint64_t number);
std::string LockFileName(const std::string& dir);

// Classifies a directory entry's name and sets *number for numbered files.
DataFileKind ParseDataFileName(std::string_view name, uint64_t* number);

}  // namespace kv
