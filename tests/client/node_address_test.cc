#include <doctest/doctest.h>

#include "libkv/client/node_address.h"
#include "libkv/net/host_port.h"
#include "tools/common/exit_code.h"

namespace kv {

TEST_CASE("HOST:PORT parses, with IPv6 in brackets") {
  auto a = ParseHostPort("127.0.0.1:7000");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 7000);
  CHECK(a->ToString() == "127.0.0.1:7000");
  auto b = ParseHostPort("[::1]:0");
  REQUIRE(b.ok());
  CHECK(b->host == "::1");
  CHECK(b->port == 0);
  CHECK(b->ToString() == "[::1]:0");
  CHECK(ParseHostPort("localhost:65535").ok());
  for (const char* bad : {"", "7000", "host", "host:", ":7000", "host:65536", "host:-1", "host:7x",
                          "::1:7000", "[::1]", "[::1:7000", "[]:7000"}) {
    auto r = ParseHostPort(bad);
    CHECK_MESSAGE(r.status().code() == ErrorCode::kInvalidArgument, bad);
  }
  CHECK(ParseHostPort("nowhere").status().message().find("expected HOST:PORT") !=
        std::string::npos);
}

TEST_CASE("the node address comes from --node, else KV_NODE, else 127.0.0.1:7000") {
  CHECK(ChooseNodeAddress("", nullptr)->ToString() == "127.0.0.1:7000");
  CHECK(ChooseNodeAddress("", "")->ToString() == "127.0.0.1:7000");
  CHECK(ChooseNodeAddress("", "10.0.0.1:7100")->ToString() == "10.0.0.1:7100");
  CHECK(ChooseNodeAddress("h:1", "10.0.0.1:7100")->ToString() == "h:1");
  auto bad_flag = ChooseNodeAddress("nope", "10.0.0.1:7100");
  CHECK(bad_flag.status().code() == ErrorCode::kInvalidArgument);
  CHECK(bad_flag.status().message().find("--node") == 0);
  auto bad_env = ChooseNodeAddress("", "nope");
  CHECK(bad_env.status().code() == ErrorCode::kInvalidArgument);
  CHECK(bad_env.status().message().find("KV_NODE") == 0);
}

TEST_CASE("tool exit codes") {
  CHECK(ToolExitCode(Status::Ok()) == 0);
  CHECK(ToolExitCode(Status::NotFound("k")) == 1);
  CHECK(ToolExitCode(Status::InvalidArgument("big")) == 2);
  CHECK(ToolExitCode(Status::Unavailable("down")) == 3);
  CHECK(ToolExitCode(Status::Timeout("slow")) == 3);
  CHECK(ToolExitCode(Status::IOError("disk")) == 3);
  CHECK(ToolExitCode(Status::Protocol("?")) == 3);
  CHECK(ToolExitCode(Status::MaybeApplied("stored on 1 of 3")) == 3);
}

}  // namespace kv
