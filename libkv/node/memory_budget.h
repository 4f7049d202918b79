// MemoryBudget: how a node's memory budget (kvnode --memory-budget) is split between the things
// whose memory grows with load: memtables, the block cache, the tables' index and bloom
// filters, and the request and answer bytes of connections. One function holds the rule, so the
// docs (docs/architecture.md, "Memory"; kvnode(1)) have one place to describe. Pure.
//
// Anti-entropy has two shares (AntiEntropyOptions): the responder's Merkle tree cache (a peer's
// level requests, with distinct ranges, depths or peer names, grew it to 3.2 GiB once), and its
// sessions' trees and slices of keys, which at tens of millions of keys held gigabytes when a
// session's trees kept every key (issue 15).
//
// Not in the budget, the "small constant" on top: code and static data, thread stacks, the
// allocator's slack, and the hint store's own engine (its memtables fill only while a peer is
// down).
#pragma once

#include <cstddef>

#include "libkv/base/status.h"
#include "libkv/storage/engine.h"

namespace kv {

inline constexpr size_t kDefaultMemoryBudget = size_t{256} << 20;
// Below this a budget cannot hold one largest request besides a working engine.
inline constexpr size_t kMinMemoryBudget = size_t{32} << 20;

struct MemoryBudget {
  size_t total = 0;
  // Memtables: the active one and up to max_immutable_memtables waiting for a flush, each
  // memtable_bytes of content (plus its hash index and arena slack, ~1/8 more). Writes slow
  // down as the immutable ones pile up and stop when the share is spent (engine.h).
  size_t memtable_share = 0;
  size_t memtable_bytes = 0;
  size_t max_immutable_memtables = 0;
  // The block cache (EngineOptions::block_cache_bytes): decompressed data blocks kept for reads,
  // and every open table's index and bloom filter, pinned and charged against it, so data blocks
  // get what the tables' indexes leave. Those grow with the data: 2.8 bytes a key at 10 bloom
  // bits, 16-byte keys and 100-byte values (EngineStats::table_index_memory).
  size_t block_cache_bytes = 0;
  // Request bodies read and answers not yet written, all connections together: past it the node
  // stops reading sockets (ConnectionContext::max_total_bytes_in_flight). At least one largest
  // frame, so any single request can always be served.
  size_t connection_bytes = 0;
  // The Merkle trees anti-entropy's responder keeps for a session's level requests
  // (AntiEntropyOptions::tree_cache_bytes): a sixteenth of what connections leave.
  size_t merkle_cache_bytes = 0;
  // Anti-entropy's sessions, as initiator and responder together: the trees they build and
  // compare and the slices of keys of differing leaves (AntiEntropyOptions::session_bytes): a
  // thirty-second of what connections leave.
  size_t repair_session_bytes = 0;
};

// The split of `total` bytes (at least kMinMemoryBudget): connections an eighth (at least one
// largest frame); of the rest, a sixteenth the Merkle tree cache, a thirty-second anti-entropy's
// sessions, 3/8 memtables and what is left the block cache (with indexes and filters).
// memtable_bytes: 0 picks the memtable size too; else the memtable share is split into
// memtables of that size (at least two).
MemoryBudget SplitMemoryBudget(size_t total, size_t memtable_bytes = 0);

// Sets the engine's memtable size and count and its block cache to the budget's, and has it read
// tables with pread rather than map them (mapped pages would count in the node's memory).
void ApplyMemoryBudget(const MemoryBudget& budget, EngineOptions* options);

// InvalidArgument when total is below kMinMemoryBudget.
Status CheckMemoryBudget(size_t total);

}  // namespace kv
