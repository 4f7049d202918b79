#include "libkv/client/get_result.h"

#include <utility>

#include "libkv/versioning/context_token.h"

namespace kv {

std::vector<const Version*> GetResult::live() const {
  std::vector<const Version*> out;
  for (const Version& v : siblings.versions()) {
    if (!v.tombstone) out.push_back(&v);
  }
  return out;
}

const std::string* GetResult::single_value() const {
  if (siblings.size() != 1 || siblings.versions()[0].tombstone) return nullptr;
  return &siblings.versions()[0].value;
}

Result<GetResult> GetResultFromResponse(GetResponse response) {
  GetResult out;
  if (!response.siblings.empty()) {
    Result<SiblingSet> set = SiblingSet::Decode(response.siblings);
    if (!set.ok()) {
      return Status::Protocol("the node answered a get with a malformed sibling set: " +
                              set.status().message());
    }
    out.siblings = std::move(*set);
  }
  if (!response.context.empty()) {
    // Opaque to the client, but checked: a token that does not decode would only fail later,
    // at the put, far from its cause.
    if (Result<VectorClock> c = DecodeContextToken(response.context); !c.ok()) {
      return Status::Protocol("the node answered a get with a malformed context token: " +
                              c.status().message());
    }
  }
  out.context = std::move(response.context);
  return out;
}

}  // namespace kv
