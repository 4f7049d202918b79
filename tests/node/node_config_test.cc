// NodeConfig validation: the tombstone grace period against the hint window, and --listen on every
// interface against --advertise.
#include <doctest/doctest.h>

#include "libkv/node/node_config.h"

namespace kv {

TEST_CASE("node config: a tombstone grace shorter than the hint window is refused") {
  NodeConfig c;
  CHECK(ValidateNodeConfig(c).ok());  // the defaults: a day against three hours
  c.tombstone_grace = std::chrono::seconds(3600);
  c.hint_window = std::chrono::seconds(7200);
  const Status s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("hint window") != std::string::npos);
  // Without hints there is nothing older than a delete that could arrive late.
  c.hinted_handoff = false;
  CHECK(ValidateNodeConfig(c).ok());
}

}  // namespace kv

namespace kv {

TEST_CASE(
    "node config: listening on every interface needs --advertise, and it must be one address") {
  NodeConfig c;
  c.insecure = true;  // the advertise checks, not the TLS one (below)
  c.listen = "0.0.0.0:7000";
  Status s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("--advertise") != std::string::npos);
  c.listen = "[::]:7000";
  CHECK(ValidateNodeConfig(c).code() == ErrorCode::kInvalidArgument);
  c.advertise = "10.0.0.5:7000";
  CHECK(ValidateNodeConfig(c).ok());
  c.advertise = "0.0.0.0:7000";
  s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("no single address") != std::string::npos);
  c.advertise = "no-port";
  s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("advertise") != std::string::npos);
  // A specific listen address needs none.
  c.listen = "127.0.0.1:7000";
  c.advertise.clear();
  CHECK(ValidateNodeConfig(c).ok());
}

}  // namespace kv

namespace kv {

TEST_CASE("node config: a non-loopback address without TLS is refused unless --insecure") {
  NodeConfig c;
  for (const char* listen :
       {"0.0.0.0:7000", "10.0.0.5:7000", "[::]:7000", "example.com:7000", "[2001:db8::1]:7000"}) {
    CAPTURE(listen);
    c.listen = listen;
    c.advertise = "10.0.0.5:7000";
    c.insecure = false;
    const Status s = ValidateNodeConfig(c);
    CHECK(s.code() == ErrorCode::kInvalidArgument);
    CHECK(s.message().find("--tls-cert FILE --tls-key FILE --tls-ca FILE") != std::string::npos);
    CHECK(s.message().find("--insecure") != std::string::npos);
    CHECK(s.message().find("scripts/make-certs") != std::string::npos);
    c.insecure = true;
    CHECK(ValidateNodeConfig(c).ok());
    c.insecure = false;
    c.tls = TlsOptions{.cert_file = "n.crt", .key_file = "n.key", .ca_file = "ca.crt"};
    CHECK(ValidateNodeConfig(c).ok());  // the files are loaded by Node, not checked here
    c.tls = TlsOptions{};
  }
  // The loopback needs nothing: `kvnode` alone keeps working with no set-up.
  for (const char* listen : {"127.0.0.1:7000", "127.0.0.2:7000", "[::1]:7000", "localhost:7000"}) {
    CAPTURE(listen);
    c.listen = listen;
    c.advertise.clear();
    CHECK(ValidateNodeConfig(c).ok());
  }
  CHECK(IsLoopbackHost("::ffff:127.0.0.1"));
  CHECK(!IsLoopbackHost("::ffff:10.0.0.1"));
  CHECK(!IsLoopbackHost("0.0.0.0"));
  CHECK(!IsLoopbackHost("localhost.example.com"));
}

TEST_CASE("node config: the TLS files are all three or none") {
  NodeConfig c;
  c.tls.cert_file = "n1.crt";
  Status s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("--tls-key and --tls-ca missing") != std::string::npos);
  c.tls.ca_file = "ca.crt";
  s = ValidateNodeConfig(c);
  CHECK(s.message().find("--tls-key missing") != std::string::npos);
  c.tls.key_file = "n1.key";
  CHECK(ValidateNodeConfig(c).ok());
}

}  // namespace kv

namespace kv {

TEST_CASE("node config: --http-listen off the loopback needs TLS or --insecure, as --listen") {
  NodeConfig c;
  c.http_listen = "127.0.0.1:8098";
  CHECK(ValidateNodeConfig(c).ok());
  c.http_listen = "10.0.0.5:8098";
  const Status s = ValidateNodeConfig(c);
  CHECK(s.code() == ErrorCode::kInvalidArgument);
  CHECK(s.message().find("--http-listen 10.0.0.5:8098") != std::string::npos);
  c.insecure = true;
  CHECK(ValidateNodeConfig(c).ok());
  c.http_listen = "no-port";
  CHECK(ValidateNodeConfig(c).message().find("--http-listen") != std::string::npos);
}

}  // namespace kv
