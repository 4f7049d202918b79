// kv_attack_frames: sends a node the messages of issue 13's attacks, as an authenticated but
// hostile peer would (plaintext loopback, where every role is allowed), built with the real
// encoders and hostile fields; a test program, not a tool (the scripts under tests/security/ find
// it at $KV_BIN/../tests/kv_attack_frames). It connects to HOST:PORT, sends the kv handshake, then
// the request(s), and prints one line per answer: "ok TYPE" or "error CODE: MESSAGE".
//   declared-key               a 29-byte put whose key declares 17 MiB
//   gossip N VNODES STATUS VERSION [--generation G] [--prefix fake] [--id ID --address A]
//                              an ACK2 of N fake members (or of one state naming ID)
//   leave | cleanup            a LeaveRequest or CleanupRequest (starting one)
//   hint TARGET COUNT BYTES    COUNT replica writes of BYTES-byte values hinted for TARGET
//   merkle COUNT PEER [--distinct-peers] [--depth N]
//                              COUNT level requests at depth 20, each for another range (or,
//                              with --distinct-peers, for PEER0, PEER1, ...)
//   put-context KEY VALUE CLOCK COUNTER
//                              a put whose context claims COUNTER for clock id CLOCK (hex)
// Exit: 0 when every answer was ok, 2 when one was an error, 1 when the node could not be
// reached or closed the connection.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "libkv/base/coding.h"
#include "libkv/membership/gossip_messages.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame.h"
#include "libkv/net/handshake.h"
#include "libkv/net/host_port.h"
#include "libkv/net/messages.h"
#include "libkv/net/replica_messages.h"
#include "libkv/versioning/context_token.h"
#include "libkv/versioning/sibling_set.h"
#include "tests/security/frame_connection.h"

namespace {

// A plaintext connection that has done the kv handshake.
class Connection {
 public:
  explicit Connection(const kv::HostPort& node) : conn_(io_, nullptr) {
    conn_.Connect(node);
    kv::Result<std::string> hello = kv::EncodeHandshake("kv");
    conn_.Write(*hello);
    kv::Frame answer = conn_.ReadFrame();
    if (answer.type == kv::wire::MessageType::kError)
      throw std::runtime_error("handshake refused: " + Describe(answer));
  }

  // Sends a whole frame and reads the next answer.
  kv::Frame Exchange(const std::string& frame) {
    conn_.Write(frame);
    return conn_.ReadFrame();
  }

  static std::string Describe(const kv::Frame& f) {
    if (f.type != kv::wire::MessageType::kError)
      return fmt::format("ok {}", kv::wire::MessageTypeName(f.type));
    kv::Result<kv::ErrorResponse> error = kv::DecodeMessage<kv::ErrorResponse>(f.body);
    if (!error.ok()) return "error (undecodable)";
    kv::Status s = kv::ErrorResponseToStatus(*error);
    return fmt::format("error {}: {}", kv::ErrorCodeName(s.code()), s.message());
  }

 private:
  boost::asio::io_context io_;
  kv::testing::FrameConnection conn_;
};

template <class M>
std::string Frame(const M& message, uint64_t id) {
  return kv::EncodeMessageFrame(message, id);
}

std::string EncodedSet(size_t bytes) {
  kv::SiblingSet set;
  kv::SiblingWrite write;
  write.coordinator = 0x5eed;
  write.value = std::string(bytes, 'h');
  write.now_micros = 1;
  (void)set.Put(std::move(write), kv::ClockPruneOptions{});
  return set.Encode();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sends a kv node crafted attack messages (tests/security)"};
  app.require_subcommand(1);
  std::string node = "127.0.0.1:7000";
  app.add_option("--node", node, "HOST:PORT");

  auto* declared = app.add_subcommand("declared-key", "a 29-byte put declaring a 17 MiB key");

  auto* gossip = app.add_subcommand("gossip", "an ACK2 of fake member states");
  int count = 1;
  uint32_t vnodes = 16;
  std::string status_name = "normal";
  uint64_t version = 1;
  uint64_t generation = static_cast<uint64_t>(std::time(nullptr));
  std::string prefix = "fake", id, address;
  gossip->add_option("count", count)->required();
  gossip->add_option("vnodes", vnodes)->required();
  gossip->add_option("status", status_name)->required();
  gossip->add_option("version", version)->required();
  gossip->add_option("--generation", generation);
  gossip->add_option("--prefix", prefix);
  gossip->add_option("--id", id);
  gossip->add_option("--address", address);

  auto* leave = app.add_subcommand("leave", "a LeaveRequest");
  auto* cleanup = app.add_subcommand("cleanup", "a CleanupRequest");

  auto* hint = app.add_subcommand("hint", "replica writes hinted for a target");
  std::string target;
  size_t bytes = 100;
  hint->add_option("target", target)->required();
  hint->add_option("count", count)->required();
  hint->add_option("bytes", bytes)->required();

  auto* merkle = app.add_subcommand("merkle", "Merkle level requests (depth 20 unless --depth)");
  std::string peer;
  bool distinct_peers = false;
  uint32_t depth = 20;
  merkle->add_option("count", count)->required();
  merkle->add_option("peer", peer)->required();
  merkle->add_flag("--distinct-peers", distinct_peers);
  merkle->add_option("--depth", depth);

  auto* put_context = app.add_subcommand("put-context", "a put with a forged context");
  std::string key, value, clock_hex;
  uint64_t counter = 0;
  put_context->add_option("key", key)->required();
  put_context->add_option("value", value)->required();
  put_context->add_option("clock", clock_hex)->required();
  put_context->add_option("counter", counter)->required();
  CLI11_PARSE(app, argc, argv);

  kv::Result<kv::HostPort> host = kv::ParseHostPort(node);
  if (!host.ok()) {
    std::cerr << host.status().ToString() << "\n";
    return 1;
  }
  std::vector<std::string> frames;
  uint64_t next_id = 1;
  if (*declared) {
    // 13 header bytes; the body: Cereal's endianness byte and class version, the key's size tag
    // (17 MiB) and three bytes of it.
    std::string body(1, '\x01');
    kv::PutFixed32(&body, 3);  // PutRequest's class version
    kv::PutFixed64(&body, uint64_t{17} << 20);
    body += "abc";
    frames.push_back(kv::EncodeFrame(kv::wire::MessageType::kPutRequest, next_id++, body));
  } else if (*gossip) {
    kv::GossipAck2Message ack2;
    const kv::NodeStatus status = status_name == "left"      ? kv::NodeStatus::kLeft
                                  : status_name == "joining" ? kv::NodeStatus::kJoining
                                  : status_name == "leaving" ? kv::NodeStatus::kLeaving
                                                             : kv::NodeStatus::kNormal;
    for (int i = 0; i < count; ++i) {
      kv::NodeState s;
      s.id = id.empty() ? fmt::format("{}{}", prefix, i) : id;
      s.address = address.empty() ? fmt::format("127.0.0.1:{}", 1 + i) : address;
      s.generation = generation;
      s.version = version;
      s.status = status;
      s.vnodes = vnodes;
      ack2.states.push_back(std::move(s));
    }
    frames.push_back(Frame(kv::GossipAck2{.payload = kv::EncodeGossipAck2(ack2)}, next_id++));
  } else if (*leave) {
    frames.push_back(Frame(kv::LeaveRequest{.status_only = false}, next_id++));
  } else if (*cleanup) {
    frames.push_back(Frame(kv::CleanupRequest{.status_only = false}, next_id++));
  } else if (*hint) {
    const std::string siblings = EncodedSet(bytes);
    for (int i = 0; i < count; ++i)
      frames.push_back(Frame(
          kv::ReplicaWriteRequest{
              .key = fmt::format("hinted-{}", i), .siblings = siblings, .hinted_for = target},
          next_id++));
  } else if (*merkle) {
    for (int i = 0; i < count; ++i) {
      kv::MerkleLevelRequest m;
      m.range_start = static_cast<uint64_t>(i) << 48;
      m.range_end = static_cast<uint64_t>(i + 1) << 48;
      m.depth = depth;
      m.level = 1;
      m.indices = {0, 1};
      m.peer = distinct_peers ? fmt::format("{}{}", peer, i) : peer;
      frames.push_back(Frame(m, next_id++));
    }
  } else if (*put_context) {
    kv::VectorClock forged;
    forged.Witness(std::stoull(clock_hex, nullptr, 16), counter, 1);
    frames.push_back(
        Frame(kv::PutRequest{.key = key, .value = value, .context = kv::EncodeContextToken(forged)},
              next_id++));
  }

  int exit_code = 0;
  try {
    Connection c(*host);
    for (const std::string& frame : frames) {
      const kv::Frame answer = c.Exchange(frame);
      std::cout << Connection::Describe(answer) << "\n";
      if (answer.type == kv::wire::MessageType::kError) exit_code = 2;
    }
  } catch (const std::exception& e) {  // the program's edge: Asio reports by throwing
    std::cout << "failed: " << e.what() << "\n";
    return 1;
  }
  return exit_code;
}
