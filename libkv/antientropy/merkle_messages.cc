#include "libkv/antientropy/merkle_messages.h"

#include "libkv/antientropy/antientropy_format.h"
#include "libkv/base/coding.h"

namespace kv {

std::string EncodeMerkleLevelHashes(const MerkleLevelHashes& level) {
  std::string out;
  out.push_back(static_cast<char>(kMerkleFormatVersion));
  PutFixed64(&out, level.range.start);
  PutFixed64(&out, level.range.end);
  out.push_back(static_cast<char>(level.depth));
  out.push_back(static_cast<char>(level.level));
  PutVarint32(&out, static_cast<uint32_t>(level.nodes.size()));
  for (const MerkleNodeHash& node : level.nodes) {
    PutVarint32(&out, node.index);
    PutFixed64(&out, node.hash);
  }
  return out;
}

Result<MerkleLevelHashes> DecodeMerkleLevelHashes(std::string_view in) {
  // format_version, range_start, range_end, depth, level.
  constexpr size_t kHeaderBytes = 1 + 8 + 8 + 1 + 1;
  if (in.size() < kHeaderBytes) return Status::Corruption("merkle level: truncated header");
  const uint8_t version = static_cast<uint8_t>(in[0]);
  if (version != kMerkleFormatVersion) {
    return Status::Corruption("merkle level: format version " + std::to_string(version) +
                              ", this build reads " + std::to_string(kMerkleFormatVersion));
  }
  MerkleLevelHashes out;
  out.range.start = DecodeFixed64(in.data() + 1);
  out.range.end = DecodeFixed64(in.data() + 9);
  out.depth = static_cast<uint8_t>(in[17]);
  out.level = static_cast<uint8_t>(in[18]);
  in.remove_prefix(kHeaderBytes);
  if (out.depth > kMaxMerkleDepth || out.level > out.depth) {
    return Status::Corruption("merkle level: level " + std::to_string(out.level) + " of depth " +
                              std::to_string(out.depth) + " (at most " +
                              std::to_string(kMaxMerkleDepth) + ")");
  }
  const uint64_t level_size = uint64_t{1} << out.level;
  uint32_t count = 0;
  if (!GetVarint32(&in, &count)) return Status::Corruption("merkle level: truncated count");
  // Checked before reserving: a count the level or the remaining bytes cannot hold is a lie.
  if (count > level_size || count > in.size() / kMinMerkleNodeBytes) {
    return Status::Corruption("merkle level: count " + std::to_string(count) + " exceeds what " +
                              std::to_string(in.size()) + " remaining bytes or level " +
                              std::to_string(out.level) + " can hold");
  }
  out.nodes.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    MerkleNodeHash node;
    if (!GetVarint32(&in, &node.index) || !GetFixed64(&in, &node.hash)) {
      return Status::Corruption("merkle level: truncated node " + std::to_string(i));
    }
    if (node.index >= level_size || (i > 0 && node.index <= out.nodes.back().index)) {
      return Status::Corruption("merkle level: node " + std::to_string(node.index) +
                                " out of order or outside level " + std::to_string(out.level));
    }
    out.nodes.push_back(node);
  }
  if (!in.empty()) {
    return Status::Corruption("merkle level: " + std::to_string(in.size()) + " trailing bytes");
  }
  return out;
}

}  // namespace kv
