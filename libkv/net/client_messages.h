// The client protocol's message bodies (docs/formats.md, "Message types" 3-8): get, put and
// delete and their answers, from a client or from a node forwarding a write. Plain structs, coded
// by messages.h's EncodeMessage and DecodeMessage (instantiated in client_messages.cc).
#pragma once

#include <cstdint>
#include <string>

#include "libkv/net/messages.h"
#include "libkv/net/wire_format.h"

namespace kv {

// Client requests. A quorum of 0 means the node's default (kvnode --read-quorum,
// --write-quorum); anything else must be 1..N. A non-empty `local_zone` asks instead for a local
// quorum of that zone (Cassandra's LOCAL_QUORUM): a majority of the key's replicas in that zone
// (libkv/replication/local_quorum.h); the request's r or w must then be 0.
struct GetRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kGetRequest;
  std::string key;
  uint32_t r = 0;
  std::string local_zone = {};
};

// Every version of the key the replicas that answered hold, merged: `siblings` is a SiblingSet
// (docs/formats.md, "Sibling set"), empty when no replica has the key; `context` is its merged
// clock as a context token, which a later put or delete passes back. `found` is false when there
// is nothing or only tombstones; the context then still covers the tombstones.
struct GetResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kGetResponse;
  bool found = false;
  std::string siblings;
  std::string context;
};

// A write the node coordinates. `context` is a token from a get (empty: a blind write, which
// becomes a sibling of whatever is there). `forwarded` is set by a node that is not a replica
// of the key when it hands the write to one that is (only a replica coordinates: it must issue
// the write's dot); a forwarded write is never forwarded again.
struct PutRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kPutRequest;
  std::string key;
  std::string value;
  std::string context;
  uint32_t w = 0;
  bool forwarded = false;
  // Riak's PW: only the key's own replicas may count toward W (no fallback under a sloppy
  // quorum); a write refused rather than parked on a stand-in.
  bool primaries_only = false;
  std::string local_zone = {};  // as GetRequest's; a forwarded write keeps it
};

struct PutResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kPutResponse;
};

// Writes a tombstone that supersedes what the context saw (as a put would a value).
struct DeleteRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kDeleteRequest;
  std::string key;
  std::string context;
  uint32_t w = 0;
  bool forwarded = false;
  bool primaries_only = false;  // as PutRequest's
  std::string local_zone = {};  // as GetRequest's
};

struct DeleteResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kDeleteResponse;
};

}  // namespace kv
