#include "libkv/client/node_address.h"

namespace kv {

Result<HostPort> ChooseNodeAddress(std::string_view flag, const char* env_kv_node) {
  if (!flag.empty()) {
    Result<HostPort> a = ParseHostPort(flag);
    if (!a.ok()) return a.status().WithContext("--node");
    return a;
  }
  if (env_kv_node != nullptr && *env_kv_node != '\0') {
    Result<HostPort> a = ParseHostPort(env_kv_node);
    if (!a.ok()) return a.status().WithContext("KV_NODE");
    return a;
  }
  return ParseHostPort(kDefaultNodeAddress);
}

}  // namespace kv
