#include "libkv/replication/replica_store.h"

#include <fmt/format.h>

#include <optional>
#include <string>

namespace kv {

namespace {

Result<SiblingSet> DecodeStored(std::string_view key, std::optional<std::string_view> stored) {
  if (!stored) return SiblingSet();
  Result<SiblingSet> set = SiblingSet::Decode(*stored);
  if (!set.ok())
    return set.status().WithContext(
        fmt::format("the stored sibling set of key '{}' ({} bytes)", key, stored->size()));
  return set;
}

}  // namespace

Result<SiblingSet> ReplicaStore::Read(std::string_view key) const {
  KV_ASSIGN_OR_RETURN(std::optional<std::string> stored, engine_->Get(key));
  if (!stored) return SiblingSet();
  return DecodeStored(key, std::string_view(*stored));
}

Result<SiblingSet> ReplicaStore::Coordinate(std::string_view key, SiblingWrite write) const {
  write.coordinator = clock_id_;
  SiblingSet result;
  Status s = engine_->Update(
      key, [&](std::optional<std::string_view> current) -> Result<std::optional<std::string>> {
        KV_ASSIGN_OR_RETURN(SiblingSet set, DecodeStored(key, current));
        KV_RETURN_IF_ERROR(set.Put(write, prune_).status());
        std::string encoded = set.Encode();
        result = std::move(set);
        return std::optional<std::string>(std::move(encoded));
      });
  if (!s.ok()) return s;
  return result;
}

Result<SiblingSet> ReplicaStore::Merge(std::string_view key, const SiblingSet& incoming) const {
  SiblingSet result;
  Status s = engine_->Update(
      key, [&](std::optional<std::string_view> current) -> Result<std::optional<std::string>> {
        KV_ASSIGN_OR_RETURN(SiblingSet set, DecodeStored(key, current));
        SiblingSet merged = SiblingSet::Merged(set, incoming);
        const bool changed = !(merged == set);
        result = std::move(merged);
        if (!changed) return std::optional<std::string>();  // nothing new: no write, no fsync
        return std::optional<std::string>(result.Encode());
      });
  if (!s.ok()) return s;
  return result;
}

}  // namespace kv
