// kv_raw_frame: a test program (not a tool) that speaks the wire protocol by hand, as an attacker
// on the same network would, over plain TCP or TLS with the certificate it is given.
//
//   kv_raw_frame send --node H:P [--tls-cert F --tls-key F --tls-ca F] --type LeaveRequest
//                     [--key K] [--value V] [--status-only] [--from ID] [--body-hex HEX]
//     Connects, completes the TLS handshake (with TLS files) and the kv handshake, sends one
//     frame of the named type and prints the answer: "answer <Type>" or "answer Error <code>:
//     <message>". Without --body-hex the body is a well-formed request of that type built from
//     --key, --value (a forged ReplicaWrite: dot counter 2^40), --status-only (Leave, Cleanup)
//     and --from (the sender a GossipSyn claims); --repeat N sends it N times. Exit 0 when an
//     answer came, 3 when the connection failed (printed as "connection: <why>").
//   kv_raw_frame fuzz --node H:P [TLS files] [--iterations N] [--seed S]
//     N connections of junk: random bytes, a real TLS ClientHello cut short or with bytes
//     flipped, and, after both handshakes, random frames and random bytes. Then a well-formed Get
//     must be answered. Exit 0 when it is, 1 otherwise.
// Used by tests/e2e/tls_roles.sh and tls_fuzz.sh.
#include <fmt/format.h>
#include <openssl/ssl.h>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "libkv/base/coding.h"
#include "libkv/client/client.h"
#include "libkv/membership/gossip_messages.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame.h"
#include "libkv/net/handshake.h"
#include "libkv/net/host_port.h"
#include "libkv/net/messages.h"
#include "libkv/net/replica_messages.h"
#include "libkv/net/tls.h"
#include "libkv/versioning/sibling_set.h"
#include "tests/security/frame_connection.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct Options {
  std::string node = "127.0.0.1:7000";
  kv::TlsOptions tls;
  std::string cluster_name = "kv";
  std::string type;
  std::string key = "k";
  std::string value = "planted";
  bool status_only = false;
  std::string from;
  std::string body_hex;
  int repeat = 1;
  int iterations = 300;
  uint64_t seed = 1;
};

using Conn = kv::testing::FrameConnection;

std::string Describe(const kv::Frame& f) {
  if (f.type != kv::wire::MessageType::kError)
    return fmt::format("answer {}", kv::wire::MessageTypeName(f.type));
  kv::Result<kv::ErrorResponse> e = kv::DecodeMessage<kv::ErrorResponse>(f.body);
  if (!e.ok()) return "answer Error (undecodable)";
  return fmt::format("answer Error {}: {}", kv::ErrorCodeName(e->code), e->message);
}

std::optional<kv::wire::MessageType> TypeNamed(std::string_view name) {
  for (int t = 1; t < 256; ++t) {
    if (!kv::wire::IsKnownMessageType(static_cast<uint8_t>(t))) continue;
    const auto type = static_cast<kv::wire::MessageType>(t);
    if (kv::wire::MessageTypeName(type) == name) return type;
  }
  return std::nullopt;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// A well-formed body of `type` from the options.
std::string BodyFor(kv::wire::MessageType type, const Options& o) {
  using kv::wire::MessageType;
  switch (type) {
    case MessageType::kGetRequest:
      return kv::EncodeMessage(kv::GetRequest{.key = o.key, .r = 0});
    case MessageType::kPutRequest: {
      kv::PutRequest m;
      m.key = o.key;
      m.value = o.value;
      return kv::EncodeMessage(m);
    }
    case MessageType::kRingRequest:
      return kv::EncodeMessage(kv::RingRequest{});
    case MessageType::kReplicaReadRequest:
      return kv::EncodeMessage(kv::ReplicaReadRequest{.key = o.key});
    case MessageType::kReplicaWriteRequest: {
      // The forged write of the issue: a clock counter of 2^40 from a made-up node.
      kv::Version v;
      v.dot = kv::Dot{.id = 0xdeadbeefULL, .counter = uint64_t{1} << 40};
      v.value = o.value;
      v.timestamp_micros = 1;
      kv::SiblingSet set;
      set.Add(v);
      kv::ReplicaWriteRequest m;
      m.key = o.key;
      m.siblings = set.Encode();
      return kv::EncodeMessage(m);
    }
    case MessageType::kGossipSyn: {
      kv::GossipSynMessage m;
      m.from = o.from;
      return kv::EncodeMessage(kv::GossipSyn{.payload = kv::EncodeGossipSyn(m)});
    }
    case MessageType::kGossipAck2:
      return kv::EncodeMessage(kv::GossipAck2{.payload = kv::EncodeGossipAck2({})});
    case MessageType::kMerkleLevelRequest:
      return kv::EncodeMessage(kv::MerkleLevelRequest{});
    case MessageType::kLeafKeysRequest:
      return kv::EncodeMessage(kv::LeafKeysRequest{});
    case MessageType::kRepairRequest: {
      kv::RepairRequest m;
      m.list_ranges = true;
      return kv::EncodeMessage(m);
    }
    case MessageType::kLeaveRequest:
      return kv::EncodeMessage(kv::LeaveRequest{.status_only = o.status_only});
    case MessageType::kStatsRequest:
      return kv::EncodeMessage(kv::StatsRequest{});
    case MessageType::kMetricsRequest:
      return kv::EncodeMessage(kv::MetricsRequest{});
    case MessageType::kCleanupRequest:
      return kv::EncodeMessage(kv::CleanupRequest{.status_only = o.status_only});
    default:
      return "";
  }
}

// Connects and completes both handshakes; throws on failure.
void Open(Conn& c, const kv::HostPort& node, const Options& o) {
  c.Connect(node);
  kv::Result<std::string> hello = kv::EncodeHandshake(o.cluster_name);
  c.Write(*hello);
  kv::Frame reply = c.ReadFrame();
  if (reply.type != kv::wire::MessageType::kHandshakeOk)
    throw std::runtime_error("handshake refused: " + Describe(reply));
}

int Send(const Options& o, kv::TlsContext* tls) {
  kv::Result<kv::HostPort> node = kv::ParseHostPort(o.node);
  std::optional<kv::wire::MessageType> type = TypeNamed(o.type);
  if (!node.ok() || !type) {
    std::cerr << "kv_raw_frame: bad --node or --type\n";
    return 2;
  }
  asio::io_context io;
  Conn c(io, tls);
  try {
    Open(c, *node, o);
    const std::string body = o.body_hex.empty() ? BodyFor(*type, o) : FromHex(o.body_hex);
    for (int i = 0; i < o.repeat; ++i) {
      c.Write(kv::EncodeFrame(*type, 7 + i, body));
      std::cout << Describe(c.ReadFrame()) << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cout << "connection: " << e.what() << "\n";
    return 3;
  }
}

// The bytes of a real ClientHello, from an SSL object writing into memory.
std::string ClientHello(kv::TlsContext* tls) {
  if (tls == nullptr) return "\x16\x03\x01\x00\x05hello";
  SSL* ssl = SSL_new(tls->native().native_handle());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  (void)SSL_do_handshake(ssl);  // wants to read the answer: the hello is in `out`
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string hello(data, static_cast<size_t>(n));
  SSL_free(ssl);
  return hello;
}

int Fuzz(const Options& o, kv::TlsContext* tls) {
  kv::Result<kv::HostPort> node = kv::ParseHostPort(o.node);
  if (!node.ok()) return 2;
  std::mt19937_64 rng(o.seed);
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& ch : s) ch = static_cast<char>(rng());
    return s;
  };
  const std::string hello = ClientHello(tls);
  asio::io_context io;
  int handshaken = 0;
  for (int i = 0; i < o.iterations; ++i) {
    try {
      const int kind = static_cast<int>(rng() % 4);
      if (kind <= 1) {
        // Raw TCP: random bytes, or a ClientHello cut short or with a byte flipped.
        tcp::socket s(io);
        tcp::resolver resolver(io);
        asio::connect(s, resolver.resolve(node->host, std::to_string(node->port)));
        std::string junk =
            kind == 0 ? random_bytes(rng() % 600) : hello.substr(0, rng() % (hello.size() + 1));
        if (kind == 1 && !junk.empty() && rng() % 2 == 0)
          junk[rng() % junk.size()] ^= static_cast<char>(1 + rng() % 255);
        boost::system::error_code ec;
        asio::write(s, asio::buffer(junk), ec);
        s.close(ec);
        continue;
      }
      // Both handshakes, then junk: random frames (any type byte, a body of random bytes) or
      // random bytes, then close.
      Conn c(io, tls);
      Open(c, *node, o);
      ++handshaken;
      const int frames = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < frames; ++f) {
        if (kind == 2) {
          const auto type = static_cast<kv::wire::MessageType>(1 + rng() % 32);
          c.Write(kv::EncodeFrame(type, rng() % 100, random_bytes(rng() % 300)));
        } else {
          c.Write(random_bytes(1 + rng() % 300));
        }
      }
      c.socket().close();
    } catch (const std::exception&) {
      // The node closing on us is what it should do; it must only stay up.
    }
  }
  // The node must still serve a well-formed client.
  kv::ClientOptions options;
  options.cluster_name = o.cluster_name;
  options.timeout = std::chrono::seconds(5);
  if (tls != nullptr) {
    kv::Result<std::shared_ptr<kv::TlsContext>> ctx = kv::TlsContext::Create(o.tls);
    if (!ctx.ok()) return 2;
    options.tls = *ctx;
  }
  std::unique_ptr<kv::Client> client = kv::Client::Lazy(*node, options);
  kv::Result<kv::GetResult> got = client->Get("fuzz-probe");
  std::cout << fmt::format("fuzz: {} connections, {} handshaken; afterwards a get: {}\n",
                           o.iterations, handshaken, got.ok() ? "ok" : got.status().ToString());
  return got.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Speaks the kv wire protocol by hand (a test program)", "kv_raw_frame"};
  Options o;
  app.require_subcommand(1);
  CLI::App* send = app.add_subcommand("send", "Send one frame and print the answer");
  CLI::App* fuzz = app.add_subcommand("fuzz", "Send junk, then check that a get is answered");
  for (CLI::App* sub : {send, fuzz}) {
    sub->add_option("--node", o.node);
    sub->add_option("--tls-cert", o.tls.cert_file);
    sub->add_option("--tls-key", o.tls.key_file);
    sub->add_option("--tls-ca", o.tls.ca_file);
    sub->add_option("--cluster-name", o.cluster_name);
  }
  send->add_option("--type", o.type)->required();
  send->add_option("--key", o.key);
  send->add_option("--value", o.value);
  send->add_flag("--status-only", o.status_only);
  send->add_option("--from", o.from);
  send->add_option("--body-hex", o.body_hex);
  send->add_option("--repeat", o.repeat, "Send it this many times on the one connection");
  fuzz->add_option("--iterations", o.iterations);
  fuzz->add_option("--seed", o.seed);
  CLI11_PARSE(app, argc, argv);
  std::shared_ptr<kv::TlsContext> tls;
  if (o.tls.enabled()) {
    kv::Result<std::shared_ptr<kv::TlsContext>> ctx = kv::TlsContext::Create(o.tls);
    if (!ctx.ok()) {
      std::cerr << "kv_raw_frame: " << ctx.status().ToString() << "\n";
      return 2;
    }
    tls = *ctx;
  }
  if (send->parsed()) return Send(o, tls.get());
  return Fuzz(o, tls.get());
}
