// GetResult: what a get returns in protocol 2 — every version of the key the replicas that
// answered hold (a SiblingSet: values and tombstones, each with its clock), and the context token
// to pass back with the next put or delete so that it supersedes them. A plain value; the
// decoding function is pure and safe from any thread.
//
// How to read it (the rule kvget follows, and the one a client should):
//  - no version, or only tombstones: the key is not found (found() is false);
//  - exactly one version, a value: that is the value (single_value());
//  - anything else: concurrent writes the client must resolve — merge the values as it sees
//    fit and put the result with `context`. A value next to a tombstone is such a conflict too
//    (someone deleted the key while someone else wrote it), so it is not reported as one value.
#pragma once

#include <string>
#include <vector>

#include "libkv/base/status.h"
#include "libkv/net/client_messages.h"
#include "libkv/versioning/sibling_set.h"
#include "libkv/versioning/version.h"

namespace kv {

struct GetResult {
  SiblingSet siblings;
  // The binary context token (libkv/versioning/context_token.h), opaque to the client: give it
  // back in WriteOptions::context. Empty when the node had nothing to give (no version at all).
  std::string context;

  // True when some version is a value (not a tombstone).
  bool found() const { return !siblings.empty() && !siblings.AllTombstones(); }
  // The versions that are values, in the set's order. Valid while `siblings` is unchanged.
  std::vector<const Version*> live() const;
  // The value when there is exactly one version and it is a value; otherwise null (not found, or
  // siblings to resolve). Valid while `siblings` is unchanged.
  const std::string* single_value() const;
  // True when there are several versions and at least one is a value: the client must resolve.
  bool has_conflict() const { return siblings.size() > 1 && found(); }
};

// Decodes a node's GetResponse. Protocol error when its sibling set or its context token does
// not decode (the peer does not speak protocol 2 correctly); `response.found` is not trusted,
// found() is recomputed from the versions.
Result<GetResult> GetResultFromResponse(GetResponse response);

}  // namespace kv
