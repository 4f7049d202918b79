#include "libkv/versioning/sibling_set.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "libkv/base/coding.h"
#include "libkv/versioning/versioning_format.h"

namespace kv {
namespace {

// A total order on versions, used only to pick one of several versions with the same history
// (which real dots never produce; forged or corrupt input might) the same way on every replica.
bool TieLess(const Version& a, const Version& b) {
  auto key = [](const Version& v) {
    return std::tie(v.dot, v.timestamp_micros, v.tombstone, v.value);
  };
  if (key(a) != key(b)) return key(a) < key(b);
  const auto& x = a.clock.entries();
  const auto& y = b.clock.entries();
  return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                      [](const ClockEntry& p, const ClockEntry& q) {
                                        return std::tie(p.id, p.counter, p.timestamp_micros) <
                                               std::tie(q.id, q.counter, q.timestamp_micros);
                                      });
}

}  // namespace

bool SiblingSet::AllTombstones() const {
  return !versions_.empty() && std::all_of(versions_.begin(), versions_.end(),
                                           [](const Version& v) { return v.tombstone; });
}

void SiblingSet::Add(Version v) {
  // The set's versions are pairwise concurrent, so if `v` loses to one of them it supersedes none
  // of them (that one would too), and otherwise it only ever drops the ones it supersedes.
  for (auto it = versions_.begin(); it != versions_.end(); ++it) {
    const ClockOrder order = CompareVersions(v, *it);
    if (order == ClockOrder::kBefore) return;
    if (order == ClockOrder::kEqual) {
      if (v == *it || TieLess(v, *it)) return;
      versions_.erase(it);  // same history, and `v` wins the tie: it takes the place
      break;
    }
  }
  std::erase_if(versions_,
                [&](const Version& w) { return CompareVersions(w, v) == ClockOrder::kBefore; });
  versions_.insert(std::upper_bound(versions_.begin(), versions_.end(), v, TieLess), std::move(v));
}

void SiblingSet::Merge(const SiblingSet& other) {
  for (const Version& v : other.versions_) Add(v);
}

Result<Dot> SiblingSet::Put(SiblingWrite write, const ClockPruneOptions& prune) {
  // The next counter of the coordinator above everything this set and the context have seen.
  uint64_t seen = write.context.CounterOf(write.coordinator);
  for (const Version& v : versions_) {
    seen = std::max(seen, v.clock.CounterOf(write.coordinator));
    if (v.dot.id == write.coordinator) seen = std::max(seen, v.dot.counter);
  }
  if (seen == std::numeric_limits<uint64_t>::max()) {
    return Status::InvalidArgument("the context's counter for clock " +
                                   ClockIdToHex(write.coordinator) +
                                   " is at its maximum; pass a context that a get returned");
  }
  Version nv;
  nv.dot = Dot{write.coordinator, std::max(seen + 1, write.min_counter)};
  nv.tombstone = write.tombstone;
  if (!write.tombstone) nv.value = std::move(write.value);
  nv.timestamp_micros = write.now_micros;

  std::erase_if(versions_, [&](const Version& v) { return IsCoveredByContext(v, write.context); });
  nv.clock = std::move(write.context);
  // Pruning the context part only: the dot always stays, so the new version cannot be taken for
  // one that another write saw.
  nv.clock.Prune(prune, write.now_micros);
  const Dot dot = nv.dot;
  // No remaining version can hold the fresh dot, so the new one is never dropped here; a version
  // its pruned clock no longer covers stays as a sibling.
  Add(std::move(nv));
  return dot;
}

const Version* SiblingSet::Find(const Dot& dot) const {
  for (const Version& v : versions_) {
    if (v.dot == dot) return &v;
  }
  return nullptr;
}

VectorClock SiblingSet::Context() const {
  VectorClock ctx;
  for (const Version& v : versions_) ctx.Merge(v.HistoryClock());
  return ctx;
}

std::string SiblingSet::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(kSiblingSetFormatVersion));
  PutVarint32(&out, static_cast<uint32_t>(versions_.size()));
  for (const Version& v : versions_) {
    v.clock.EncodeTo(&out);
    PutFixed64(&out, v.dot.id);
    PutVarint64(&out, v.dot.counter);
    PutVarint64(&out, v.timestamp_micros);
    out.push_back(static_cast<char>(v.tombstone ? kVersionKindTombstone : kVersionKindValue));
    if (!v.tombstone) PutLengthPrefixed(&out, v.value);
  }
  return out;
}

std::optional<uint64_t> SiblingSet::NewestTombstoneIfOnlyTombstones(std::string_view in) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kSiblingSetFormatVersion) return std::nullopt;
  in.remove_prefix(1);
  uint32_t count = 0;
  if (!GetVarint32(&in, &count) || count == 0) return std::nullopt;
  uint64_t newest = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t entries = 0;
    if (!GetVarint32(&in, &entries)) return std::nullopt;
    for (uint32_t e = 0; e < entries; ++e) {
      uint64_t id = 0, counter = 0, micros = 0;
      if (!GetFixed64(&in, &id) || !GetVarint64(&in, &counter) || !GetVarint64(&in, &micros))
        return std::nullopt;
    }
    uint64_t dot_id = 0, dot_counter = 0, micros = 0;
    if (!GetFixed64(&in, &dot_id) || !GetVarint64(&in, &dot_counter) ||
        !GetVarint64(&in, &micros) || in.empty())
      return std::nullopt;
    if (static_cast<uint8_t>(in[0]) != kVersionKindTombstone) return std::nullopt;
    in.remove_prefix(1);
    newest = std::max(newest, micros);
  }
  if (!in.empty()) return std::nullopt;
  return newest;
}

Result<SiblingSet> SiblingSet::Decode(std::string_view in) {
  if (in.empty()) return Status::Corruption("sibling set: empty input");
  if (static_cast<uint8_t>(in[0]) != kSiblingSetFormatVersion) {
    return Status::Corruption("sibling set: unknown format version " +
                              std::to_string(static_cast<uint8_t>(in[0])));
  }
  in.remove_prefix(1);
  uint32_t count = 0;
  if (!GetVarint32(&in, &count)) return Status::Corruption("sibling set: bad version count");
  if (count > kMaxSiblings || count * kMinVersionBytes > in.size()) {
    return Status::Corruption("sibling set: version count " + std::to_string(count) +
                              " exceeds the input");
  }
  std::vector<Version> decoded;
  decoded.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const std::string where = "sibling set: version " + std::to_string(i) + ": ";
    Version v;
    auto clock = VectorClock::DecodeFrom(&in);
    if (!clock.ok()) return Status::Corruption(where + clock.status().message());
    v.clock = std::move(*clock);
    uint8_t kind = 0;
    if (!GetFixed64(&in, &v.dot.id) || !GetVarint64(&in, &v.dot.counter) ||
        !GetVarint64(&in, &v.timestamp_micros) || in.empty()) {
      return Status::Corruption(where + "truncated");
    }
    kind = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    if (kind == kVersionKindValue) {
      std::string_view value;
      if (!GetLengthPrefixed(&in, &value)) return Status::Corruption(where + "truncated value");
      v.value.assign(value);
    } else if (kind == kVersionKindTombstone) {
      v.tombstone = true;
    } else {
      return Status::Corruption(where + "unknown kind " + std::to_string(kind));
    }
    // A dot is a write's own event, so it lies beyond what its writer had seen.
    if (v.dot.counter == 0 || v.dot.counter <= v.clock.CounterOf(v.dot.id)) {
      return Status::Corruption(where + "dot inside its own clock");
    }
    if (!decoded.empty() && !TieLess(decoded.back(), v)) {
      return Status::Corruption(where + "versions out of order");
    }
    decoded.push_back(std::move(v));
  }
  if (!in.empty()) return Status::Corruption("sibling set: trailing bytes");
  // Sorted input may still hold a superseded version; adding one by one drops it.
  SiblingSet set;
  set.versions_.reserve(decoded.size());
  for (Version& v : decoded) set.Add(std::move(v));
  return set;
}

}  // namespace kv
