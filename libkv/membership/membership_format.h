// Constants of the gossip encodings (node states, digests, SYN/ACK/ACK2 messages, the membership
// file): docs/formats.md, "Gossip".
#pragma once

#include <cstddef>
#include <cstdint>

namespace kv {

// The first byte of every gossip message and of the membership file's body.
// Written: 4 (node states carry the cluster settings, since 2, the zone and load, since 3, and
// where their tokens come from, with chosen tokens themselves, since 4). Read: 1 to 3 too (a
// membership file written before; an older peer's message), whose states state no settings (1),
// no zone or load (1 and 2), and hashed tokens (1 to 3).
inline constexpr uint8_t kGossipFormatVersion = 4;
inline constexpr uint8_t kOldestGossipFormatVersion = 1;

// Message kinds (the byte after the format version).
inline constexpr uint8_t kGossipSyn = 1;
inline constexpr uint8_t kGossipAck = 2;
inline constexpr uint8_t kGossipAck2 = 3;

// Smallest encodings, used to check a count against the bytes left before allocating.
// digest: lp(id) with a 1-byte id (2) + generation (1) + version (1).
inline constexpr size_t kMinDigestBytes = 4;
// state: lp(id) (2) + lp(address) (1) + generation (1) + version (1) + status (1) + vnodes (1)
// + clock id (8).
inline constexpr size_t kMinNodeStateBytes = 15;

// Sanity bounds a decoder enforces.
inline constexpr uint32_t kMaxGossipNodes = 4096;
inline constexpr size_t kMaxNodeIdBytes = 255;
inline constexpr size_t kMaxNodeAddressBytes = 1024;
inline constexpr uint32_t kMaxNodeVnodes = 4096;
inline constexpr size_t kMaxZoneBytes = 64;

// The membership file: fixed32 masked CRC-32C of the body, then the body.
inline constexpr size_t kMembershipFileHeaderBytes = 4;

}  // namespace kv
