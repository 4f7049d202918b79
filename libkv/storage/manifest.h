// Manifest: the durable list of live tables and the engine's counters (next file number, last
// sequence, oldest commit log still needed), docs/formats.md "Manifest". Each change writes a
// whole new numbered file MANIFEST-NNNNNN (it is small), syncs it and its directory, then removes
// the older one: there is no rename, so a crash leaves the old file or both, never neither.
// Loading picks the newest file; an incomplete newest file (a crash while writing it) falls back
// to the older one; a damaged one is Corruption naming the file and offset.
//
// Threads: plain values and functions; the engine serialises writers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/storage/entry.h"
#include "libkv/storage/sstable.h"

namespace kv {

struct ManifestTable {
  uint64_t number = 0;
  // How many compactions the data went through (0: a flushed memtable). The size-tiered
  // compaction orders runs by age, not by this; it is kept for inspection.
  uint32_t level = 0;
  // Which sorted run the table belongs to: 0 is the newest run. Within a run tables are in key
  // order with disjoint ranges.
  uint32_t run = 0;
  TableProperties props;
};

struct ManifestState {
  uint64_t next_file = 1;
  SequenceNumber last_sequence = 0;
  // Commit logs numbered below this are flushed into tables and no longer needed.
  uint64_t log_number = 0;
  std::vector<ManifestTable> tables;  // by run (newest first), then by key
};

std::string EncodeManifest(const ManifestState& state);
// `path` is only for error messages.
Result<ManifestState> DecodeManifest(std::string_view contents, const std::string& path);

struct LoadedManifest {
  ManifestState state;
  uint64_t file_number = 0;
  std::string warning;  // non-empty when an incomplete newer manifest was ignored
};

// The newest manifest in dir, or nullopt when there is none (a new store).
Result<std::optional<LoadedManifest>> LoadManifest(Env* env, const std::string& dir);

// Writes state as MANIFEST-<file_number>, durably, then removes MANIFEST-<previous_number>
// (0: none).
Status WriteManifest(Env* env, const std::string& dir, const ManifestState& state,
                     uint64_t file_number, uint64_t previous_number);

}  // namespace kv
