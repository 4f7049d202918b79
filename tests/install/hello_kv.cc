// A program built against an installed kv (tests/install/install_test.sh): it includes libkv's
// headers as a library user does, opens an Engine in the directory given, puts a key, gets it
// back and prints it as JSON. Exit 0 only when the value read back is the one written.
#include <cstdio>
#include <string>

#include "libkv/base/json.h"
#include "libkv/env/env.h"
#include "libkv/storage/engine.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: hello_kv DIR\n");
    return 2;
  }
  kv::EngineOptions options;
  options.env = kv::PosixEnv();
  options.dir = argv[1];
  kv::Result<std::unique_ptr<kv::Engine>> engine = kv::Engine::Open(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "open: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  const std::string written = "hello from an installed libkv";
  if (kv::Status s = (*engine)->Put("greeting", written); !s.ok()) {
    std::fprintf(stderr, "put: %s\n", s.ToString().c_str());
    return 1;
  }
  kv::Result<std::optional<std::string>> got = (*engine)->Get("greeting");
  if (!got.ok() || !got->has_value() || **got != written) {
    std::fprintf(stderr, "get: not the value written\n");
    return 1;
  }
  if (kv::Status s = (*engine)->Close(); !s.ok()) {
    std::fprintf(stderr, "close: %s\n", s.ToString().c_str());
    return 1;
  }
  boost::json::object out;
  out["greeting"] = **got;
  std::printf("%s\n", kv::json::Serialize(out).c_str());
  return 0;
}
