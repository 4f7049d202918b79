// The replica protocol's message bodies (docs/formats.md, "Message types" 9-12, 40-41): a
// coordinator, read repair, hinted handoff or anti-entropy reading or writing a key's sibling set
// on one replica. Plain structs, coded by messages.h's templates (instantiated in
// replica_messages.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libkv/base/status.h"

#include "libkv/net/messages.h"
#include "libkv/net/wire_format.h"

namespace kv {

// Node to node: a coordinator asks a replica for its sibling set of a key.
struct ReplicaReadRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaReadRequest;
  std::string key;
};

// `siblings` is the replica's SiblingSet of the key, encoded; empty when it has none.
struct ReplicaReadResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaReadResponse;
  std::string siblings;
};

// Node to node: merge this sibling set into yours (a coordinator's write, read repair, a hint
// handed off). With `hinted_for`, the receiver is a fallback standing in for that node under a
// sloppy quorum: it keeps the set as a durable hint and hands it to that node when it is back.
struct ReplicaWriteRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaWriteRequest;
  std::string key;
  std::string siblings;
  std::string hinted_for{};
};

struct ReplicaWriteResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaWriteResponse;
};

// Node to node: several ReplicaWrites to one replica, applied each as if sent alone (a
// coordinator batches the writes it sends one peer in one turn of its event loop). At least one.
struct ReplicaWriteBatchRequest {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaWriteBatchRequest;
  std::vector<ReplicaWriteRequest> writes;
};

// One outcome per write of the batch, in its order: Ok, or the Error the write alone would have
// been answered with.
struct ReplicaWriteBatchResponse {
  static constexpr wire::MessageType kType = wire::MessageType::kReplicaWriteBatchResponse;
  std::vector<Status> outcomes;
};

}  // namespace kv
