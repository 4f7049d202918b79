// kvsstdump: dumps SSTables offline (entries, index, bloom filter) and verifies their checksums;
// with --decode, shows a node's values as what they are (sibling sets, hint records).
// Parses flags, expands directories to their *.sst files, calls DumpTable per file, exits with:
// 0 ok, 1 a file not found, 2 usage error (or a file that is not a kv table), 3 a file could not
// be read (I/O error), 4 corruption found. With several failures, the first failing file's code
// wins.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "libkv/env/env.h"
#include "libkv/replication/stored_value_decoder.h"
#include "libkv/storage/table_dump.h"
#include "tools/common/command_line.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitNotFound = 1;
constexpr int kExitUsage = 2;
constexpr int kExitIO = 3;
constexpr int kExitCorruption = 4;

int ExitCodeFor(const kv::Status& s) {
  if (s.ok()) return kExitOk;
  if (s.Is(kv::ErrorCode::kNotFound)) return kExitNotFound;
  if (s.Is(kv::ErrorCode::kInvalidArgument)) return kExitUsage;
  if (s.Is(kv::ErrorCode::kCorruption)) return kExitCorruption;
  return kExitIO;
}

// A directory stands for every *.sst file under it (recursively), sorted; a file for itself.
kv::Status ExpandPaths(const std::vector<std::string>& args, std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      files->push_back(arg);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(arg, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->path().extension() == ".sst" && it->is_regular_file(ec)) {
        found.push_back(it->path().string());
      }
    }
    if (ec) return kv::Status::IOError("listing " + arg + ": " + ec.message());
    if (found.empty() && !ec) std::cerr << "kvsstdump: no *.sst files under " << arg << "\n";
    std::sort(found.begin(), found.end());
    files->insert(files->end(), found.begin(), found.end());
  }
  return kv::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Dumps kv SSTables offline: entries (key, value or tombstone, sequence), the index, the "
      "bloom filter, and verifies every checksum. With --decode, a node's values as what they "
      "are: each key's sibling set (every version's clock and dot, its value or a client "
      "delete), and the hint store's records.\n"
      "Exit codes: 0 ok, 1 file not found, 2 usage error or not a kv table, 3 I/O error, "
      "4 corruption found.",
      "kvsstdump"};
  std::vector<std::string> paths;
  kv::TableDumpOptions options;
  app.add_option("FILE", paths, "SSTable files, or directories to search for *.sst files")
      ->required();
  app.add_flag("--keys-only", options.keys_only, "List keys only (no values or sequences)");
  app.add_flag("--index", options.index, "Show each index entry: last key, offset, size");
  app.add_flag("--bloom", options.bloom,
               "Show the bloom filter: bits, hash count, keys, expected false-positive rate");
  app.add_flag("--verify", options.verify,
               "Read every block and check every checksum; report corruption with file and offset");
  bool decode = false;
  app.add_flag("--decode", decode,
               "Decode a node's values: each key's sibling set (versions with clock, dot, time, "
               "value or client delete) or, for tables under DATA/hints, each hint record; then "
               "counts: sibling sets, client deletes, engine tombstones");
  app.add_flag("--json", options.json,
               "Print JSON: one object per file, or an array of them for several files or a "
               "directory");
  app.footer(
      "Entries are listed unless --index, --bloom or --verify is given (--keys-only lists them "
      "again).\nExamples:\n  kvsstdump data/000012.sst\n  kvsstdump --verify data/\n"
      "  kvsstdump --json --keys-only data/000012.sst\n  kvsstdump --decode data/\n"
      "  kvsstdump --decode --json data/hints/000007.sst");
  if (std::optional<int> code = kv::tools::ParseCommandLine(app, argc, argv)) return *code;

  std::vector<std::string> files;
  const kv::Status listed = ExpandPaths(paths, &files);
  if (!listed.ok()) {
    std::cerr << "kvsstdump: " << listed.message() << "\n";
    return ExitCodeFor(listed);
  }
  // One JSON document: an object for one file argument, an array otherwise (several files, or
  // a directory, whose count of tables varies).
  const bool array =
      options.json && (paths.size() != 1 || files.size() != 1 || files.front() != paths.front());
  if (array) std::cout << "[\n";
  int exit_code = kExitOk;
  bool first = true;
  for (const std::string& file : files) {
    if (array && !first) std::cout << ",\n";
    first = false;
    std::unique_ptr<kv::TableValueDecoder> decoder;
    if (decode) decoder = kv::MakeStoredValueDecoder(file);
    options.decoder = decoder.get();
    kv::Status s = kv::DumpTable(kv::PosixEnv(), file, options, std::cout);
    if (s.ok() && decoder != nullptr) {
      const kv::Status decoded = decoder->Finish();
      if (!decoded.ok()) {
        std::cerr << "kvsstdump: " << file << ": " << decoded.message()
                  << " (--decode reads the tables of a kv node's data directory)\n";
        if (exit_code == kExitOk) exit_code = kExitCorruption;
      }
    }
    if (!s.ok()) {
      std::cout.flush();
      std::cerr << "kvsstdump: " << s.message();
      if (s.Is(kv::ErrorCode::kNotFound)) std::cerr << " (check the path)";
      if (s.Is(kv::ErrorCode::kCorruption))
        std::cerr << " (the table is damaged: restore it from a replica or a backup)";
      std::cerr << "\n";
      if (exit_code == kExitOk) exit_code = ExitCodeFor(s);
    }
  }
  if (array) std::cout << "]\n";
  std::cout.flush();
  return exit_code;
}
