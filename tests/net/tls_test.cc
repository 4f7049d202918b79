// TLS (libkv/net/tls.h, stream.h): loading credentials and what goes wrong with them, and frames
// over a TLS Stream in-process, both ends presenting certificates. The certificates come from
// scripts/make-certs (the openssl command), made once per run in a temporary directory.
#include "libkv/net/tls.h"

#include <doctest/doctest.h>

#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "libkv/net/frame.h"
#include "libkv/net/frame_io.h"
#include "libkv/net/frame_reader.h"
#include "libkv/net/stream.h"
#include "tests/net/loopback_pair.h"

namespace kv {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace fs = std::filesystem;

// A directory with ca.crt, n1 (peer), ops (admin), app (client), and another CA's `intruder`;
// empty when openssl is not there.
// Certificates made once for the whole run by scripts/make-certs, removed at exit; the path is
// empty when openssl could not make them. One object owns both, so the directory is removed
// before its name is destroyed (a separate cleanup object would run after it).
struct CertDirectory {
  std::string path;
  CertDirectory() {
    const fs::path d = fs::temp_directory_path() / ("kv-tls-test-" + std::to_string(::getpid()));
    const std::string script = std::string(KV_SOURCE_DIR) + "/scripts/make-certs";
    const std::string cmd = "'" + script + "' '" + d.string() +
                            "' n1:peer ops:admin app:client >/dev/null 2>&1 && '" + script + "' '" +
                            (d / "other").string() + "' intruder:client >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) path = d.string();
  }
  ~CertDirectory() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

const std::string& CertDir() {
  static const CertDirectory dir;
  return dir.path;
}

TlsOptions Creds(const std::string& name, const std::string& dir = CertDir()) {
  return TlsOptions{.cert_file = dir + "/" + name + ".crt",
                    .key_file = dir + "/" + name + ".key",
                    .ca_file = CertDir() + "/ca.crt"};
}

TEST_CASE("tls options: all three files or none") {
  CHECK(CheckTlsOptions(TlsOptions{}).ok());
  CHECK(!TlsOptions{}.enabled());
  const Status s = CheckTlsOptions(TlsOptions{.cert_file = "a.crt", .key_file = "", .ca_file = ""});
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message() ==
        "--tls-key and --tls-ca missing: give --tls-cert, --tls-key and --tls-ca together, or "
        "none of them");
}

TEST_CASE("tls context: errors name the file and what to do") {
  if (CertDir().empty()) {
    MESSAGE("skipped: scripts/make-certs (openssl) did not run");
    return;
  }
  TlsOptions o = Creds("app");
  o.key_file = CertDir() + "/missing.key";
  Result<std::shared_ptr<TlsContext>> c = TlsContext::Create(o);
  REQUIRE(!c.ok());
  CHECK(c.status().code() == ErrorCode::kInvalidArgument);
  CHECK(c.status().message().find("--tls-key " + o.key_file + ": No such file") !=
        std::string::npos);
  CHECK(c.status().message().find("scripts/make-certs") != std::string::npos);

  o = Creds("app");
  o.key_file = CertDir() + "/ops.key";  // another certificate's key
  c = TlsContext::Create(o);
  REQUIRE(!c.ok());
  CHECK(c.status().message().find("not the private key of --tls-cert") != std::string::npos);

  o = Creds("app");
  o.cert_file = o.ca_file = CertDir() + "/app.key";  // a key where certificates belong
  c = TlsContext::Create(o);
  REQUIRE(!c.ok());
  CHECK(c.status().message().find("--tls-ca") != std::string::npos);

  c = TlsContext::Create(Creds("intruder", CertDir() + "/other"));
  REQUIRE(!c.ok());
  CHECK(c.status().message().find("does not verify against --tls-ca") != std::string::npos);

  c = TlsContext::Create(Creds("n1"));
  REQUIRE(c.ok());
  CHECK((*c)->own().common_name == "n1");
  CHECK((*c)->own().role == Role::kPeer);
  c = TlsContext::Create(Creds("app"));
  REQUIRE(c.ok());
  CHECK((*c)->own().role == Role::kClient);
}

TEST_CASE("tls stream: frames round-trip, small and large, and each side sees the other's name") {
  if (CertDir().empty()) {
    MESSAGE("skipped: scripts/make-certs (openssl) did not run");
    return;
  }
  Result<std::shared_ptr<TlsContext>> server_tls = TlsContext::Create(Creds("n1"));
  Result<std::shared_ptr<TlsContext>> client_tls = TlsContext::Create(Creds("ops"));
  REQUIRE(server_tls.ok());
  REQUIRE(client_tls.ok());
  std::vector<std::string> frames;
  for (int i = 0; i < 50; ++i)
    frames.push_back(
        EncodeFrame(wire::MessageType::kGetRequest, i, std::string(i * 3, 'a' + i % 26)));
  frames.push_back(EncodeFrame(wire::MessageType::kPutRequest, 99, std::string(300 << 10, 'z')));
  frames.push_back(EncodeFrame(wire::MessageType::kGetRequest, 100, "last"));

  asio::io_context io;
  bool done = false;
  std::string server_saw;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto [a, b] = co_await testing::LoopbackPair(ex);
        Stream client(std::move(a), **client_tls);
        Stream server(std::move(b), **server_tls);
        bool server_ok = false;
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
              Status s = co_await server.Handshake(Stream::Side::kServer);
              server_ok = s.ok();
            },
            asio::detached);
        Status c = co_await client.Handshake(Stream::Side::kClient);
        REQUIRE(c.ok());
        while (!server_ok) {
          asio::steady_timer t(ex, std::chrono::milliseconds(1));
          co_await t.async_wait(asio::use_awaitable);
        }
        Result<CertificateSubject> seen = PeerCertificateSubject(server.tls()->native_handle());
        REQUIRE(seen.ok());
        server_saw = seen->common_name + "/" + std::string(RoleName(*seen->role));
        Result<CertificateSubject> other = PeerCertificateSubject(client.tls()->native_handle());
        REQUIRE(other.ok());
        CHECK(other->common_name == "n1");

        Status written = co_await AsyncWriteAll(client, frames);
        REQUIRE(written.ok());
        FrameReader reader;
        std::vector<Frame> got;
        while (got.size() < frames.size()) {
          Result<std::optional<Frame>> next = reader.Next();
          REQUIRE(next.ok());
          if (*next) {
            got.push_back(std::move(**next));
            continue;
          }
          Status more = co_await AsyncReadMore(server, reader);
          REQUIRE(more.ok());
        }
        for (size_t i = 0; i < frames.size(); ++i) {
          CHECK(EncodeFrame(got[i].type, got[i].request_id, got[i].body) == frames[i]);
        }
        // And back, one frame at a time.
        const std::string answer = EncodeFrame(wire::MessageType::kGetResponse, 7, "answer");
        REQUIRE((co_await AsyncWriteAll(server, answer)).ok());
        Result<Frame> back = co_await AsyncReadFrame(client);
        REQUIRE(back.ok());
        CHECK(back->body == "answer");
        // A closed peer reads as an ordinary close.
        server.Close();
        Result<Frame> closed = co_await AsyncReadFrame(client);
        CHECK(closed.status().message().find("closed by the peer") != std::string::npos);
      },
      [&](std::exception_ptr e) {
        done = true;
        if (e) std::rethrow_exception(e);
      });
  io.run();
  REQUIRE(done);
  CHECK(server_saw == "ops/admin");
}

TEST_CASE("tls stream: a certificate of another CA is refused at the handshake") {
  if (CertDir().empty()) {
    MESSAGE("skipped: scripts/make-certs (openssl) did not run");
    return;
  }
  Result<std::shared_ptr<TlsContext>> server_tls = TlsContext::Create(Creds("n1"));
  REQUIRE(server_tls.ok());
  // The intruder trusts its own CA and presents a certificate it signed: it can build a context
  // only with its own CA (the check against --tls-ca), so give it that.
  TlsOptions intruder = Creds("intruder", CertDir() + "/other");
  intruder.ca_file = CertDir() + "/other/ca.crt";
  Result<std::shared_ptr<TlsContext>> intruder_tls = TlsContext::Create(intruder);
  REQUIRE(intruder_tls.ok());
  asio::io_context io;
  Status server_status, client_status;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        auto [a, b] = co_await testing::LoopbackPair(ex);
        auto server = std::make_shared<Stream>(std::move(b), **server_tls);
        asio::co_spawn(
            ex,
            [&, server]() -> asio::awaitable<void> {
              server_status = co_await server->Handshake(Stream::Side::kServer);
              server->Close();
            },
            asio::detached);
        Stream client(std::move(a), **intruder_tls);
        client_status = co_await client.Handshake(Stream::Side::kClient);
      },
      asio::detached);
  io.run();
  CHECK(!server_status.ok());
  CHECK(!client_status.ok());  // it does not trust n1 either
}

}  // namespace
}  // namespace kv
