// NodeIdentity: who a data directory belongs to — the node's id (its name in the ring) and its
// vector-clock identity — kept in the directory's IDENTITY file (docs/formats.md, "Data
// directory"). A data directory serves one node for good: starting it under another id is
// refused, and a directory without the file (new, or wiped) gets a fresh random clock id, so a
// node that lost its data never reissues the dots of its earlier life (Riak's KV679).
#pragma once

#include <string>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/versioning/vector_clock.h"

namespace kv {

struct NodeIdentity {
  std::string id;
  ClockId clock_id = 0;
};

// Loads the identity in `dir`, or creates one named `new_id`. When the file names another id
// than a non-empty `required_id` (kvnode --id): InvalidArgument saying how to proceed.
// `new_clock` draws a fresh clock id even for an existing identity: a node whose commit log is
// not synced before writes are acknowledged (sync periodic or off) may have lost its latest
// writes in a crash, and must not issue their dots again. The file is written before returning.
Result<NodeIdentity> LoadOrCreateIdentity(Env* env, const std::string& dir,
                                          const std::string& required_id, const std::string& new_id,
                                          bool new_clock);

// The text of an IDENTITY file, and back (Corruption naming what is wrong).
std::string EncodeIdentity(const NodeIdentity& identity);
Result<NodeIdentity> DecodeIdentity(std::string_view text);

}  // namespace kv
