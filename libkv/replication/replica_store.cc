#include "libkv/replication/replica_store.h"

#include <fmt/format.h>

#include <algorithm>
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

namespace {

// The counters `clock` and `dot` claim, checked: this node's own clock against what it has
// issued, any other against what any node could issue. `what` names the claimant in the error.
Status CheckCounters(const VectorClock& clock, std::optional<Dot> dot, ClockId own, uint64_t issued,
                     std::string_view what) {
  auto check = [&](ClockId id, uint64_t counter) -> Status {
    if (id == own && counter > issued)
      return Status::InvalidArgument(
          fmt::format("{} claims counter {} for this node's clock, which has issued only {}; {} is "
                      "forged or from another cluster",
                      what, counter, issued, what));
    if (counter > kMaxPlausibleCounter)
      return Status::InvalidArgument(
          fmt::format("{} claims counter {} for clock {}, more than any node issues (2^56); {} is "
                      "forged or corrupt",
                      what, counter, ClockIdToHex(id), what));
    return Status::Ok();
  };
  for (const ClockEntry& e : clock.entries()) KV_RETURN_IF_ERROR(check(e.id, e.counter));
  if (dot) KV_RETURN_IF_ERROR(check(dot->id, dot->counter));
  return Status::Ok();
}

}  // namespace

Status ReplicaStore::CheckContext(const VectorClock& context) const {
  const uint64_t issued = dots_ ? dots_->issued_through() : kMaxPlausibleCounter;
  return CheckCounters(context, std::nullopt, clock_id_, issued, "the context");
}

Status ReplicaStore::CheckIncoming(const SiblingSet& set) const {
  const uint64_t issued = dots_ ? dots_->issued_through() : kMaxPlausibleCounter;
  for (const Version& v : set.versions())
    KV_RETURN_IF_ERROR(CheckCounters(v.clock, v.dot, clock_id_, issued, "the sibling set"));
  return Status::Ok();
}

EngineWrite::MergeFn ReplicaStore::CoordinateRule(std::string key, SiblingWrite write,
                                                  SiblingSet* stored, std::string* encoded) const {
  write.coordinator = clock_id_;
  return
      [this, key = std::move(key), write = std::move(write), stored, encoded](
          std::optional<std::string_view> current) mutable -> Result<std::optional<std::string>> {
        KV_ASSIGN_OR_RETURN(SiblingSet set, DecodeStored(key, current));
        if (dots_) {
          KV_ASSIGN_OR_RETURN(write.min_counter, dots_->Next());
        }
        KV_ASSIGN_OR_RETURN(Dot dot, set.Put(std::move(write), prune_));
        if (dots_) KV_RETURN_IF_ERROR(dots_->Issued(dot.counter));
        std::string bytes = set.Encode();
        if (encoded) *encoded = bytes;
        if (stored) *stored = std::move(set);
        return std::optional<std::string>(std::move(bytes));
      };
}

EngineWrite::MergeFn ReplicaStore::MergeRule(std::string key, SiblingSet incoming,
                                             SiblingSet* stored) const {
  return [key = std::move(key), incoming = std::move(incoming),
          stored](std::optional<std::string_view> current) -> Result<std::optional<std::string>> {
    KV_ASSIGN_OR_RETURN(SiblingSet set, DecodeStored(key, current));
    SiblingSet merged = SiblingSet::Merged(set, incoming);
    const bool changed = !(merged == set);
    std::optional<std::string> bytes;
    if (changed) bytes = merged.Encode();  // else nothing new: no write, no fsync
    if (stored) *stored = std::move(merged);
    return bytes;
  };
}

Result<SiblingSet> ReplicaStore::Coordinate(std::string_view key, SiblingWrite write) const {
  SiblingSet result;
  Status s =
      engine_->Update(key, CoordinateRule(std::string(key), std::move(write), &result, nullptr));
  if (!s.ok()) return s;
  return result;
}

}  // namespace kv
