// The test programs' client options over TLS: KV_TLS_CERT, KV_TLS_KEY and KV_TLS_CA (as the
// client tools read them) when set, so that the crash test and the nemesis run against nodes with
// TLS on (KV_CRASH_TLS=1, KV_NEMESIS_TLS=1). Exits the program with a message when they are set
// and unusable: a test must not quietly fall back to plain TCP.
#pragma once

#include <cstdlib>
#include <iostream>
#include <memory>

#include "libkv/client/client.h"
#include "libkv/net/tls.h"

namespace kv::testing {

inline std::shared_ptr<TlsContext> TlsFromEnvironment() {
  auto get = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v == nullptr ? "" : v);
  };
  const TlsOptions options{
      .cert_file = get("KV_TLS_CERT"), .key_file = get("KV_TLS_KEY"), .ca_file = get("KV_TLS_CA")};
  if (!options.enabled()) return nullptr;
  Result<std::shared_ptr<TlsContext>> tls = TlsContext::Create(options);
  if (!tls.ok()) {
    std::cerr << "KV_TLS_*: " << tls.status().ToString() << "\n";
    std::exit(2);
  }
  return *tls;
}

// Client options with `timeout` and the environment's TLS credentials (one context per process).
inline ClientOptions TestClientOptions(std::chrono::milliseconds timeout) {
  static const std::shared_ptr<TlsContext> tls = TlsFromEnvironment();
  ClientOptions options;
  options.timeout = timeout;
  options.tls = tls;
  return options;
}

}  // namespace kv::testing
