#include "libkv/node/node_identity.h"

#include <fmt/format.h>

#include <charconv>
#include <random>

namespace kv {

namespace {

constexpr std::string_view kHeader = "kv-node-identity 1\n";

ClockId RandomClockId() {
  std::random_device device;
  ClockId id = 0;
  while (id == 0) id = (static_cast<uint64_t>(device()) << 32) ^ device();
  return id;
}

}  // namespace

std::string EncodeIdentity(const NodeIdentity& identity) {
  return fmt::format("{}id={}\nclock_id={}\n", kHeader, identity.id,
                     ClockIdToHex(identity.clock_id));
}

Result<NodeIdentity> DecodeIdentity(std::string_view text) {
  auto bad = [](std::string_view why) {
    return Status::Corruption(fmt::format("the IDENTITY file is malformed: {}", why));
  };
  if (!text.starts_with(kHeader)) return bad("it does not start with 'kv-node-identity 1'");
  text.remove_prefix(kHeader.size());
  NodeIdentity out;
  auto field = [&](std::string_view name, std::string* value) -> bool {
    if (!text.starts_with(name) || text.size() <= name.size() || text[name.size()] != '=')
      return false;
    text.remove_prefix(name.size() + 1);
    const size_t end = text.find('\n');
    if (end == std::string_view::npos) return false;
    *value = std::string(text.substr(0, end));
    text.remove_prefix(end + 1);
    return true;
  };
  std::string clock;
  if (!field("id", &out.id) || out.id.empty() || out.id.size() > 255)
    return bad("no 'id=' line with 1 to 255 bytes");
  if (!field("clock_id", &clock) || clock.size() != 16)
    return bad("no 'clock_id=' line of 16 hex digits");
  auto [ptr, ec] = std::from_chars(clock.data(), clock.data() + clock.size(), out.clock_id, 16);
  if (ec != std::errc() || ptr != clock.data() + clock.size() || out.clock_id == 0)
    return bad("clock_id is not 16 hex digits");
  if (!text.empty()) return bad("trailing bytes");
  return out;
}

Result<NodeIdentity> LoadOrCreateIdentity(Env* env, const std::string& dir,
                                          const std::string& required_id, const std::string& new_id,
                                          bool new_clock) {
  const std::string path = dir + "/IDENTITY";
  NodeIdentity identity;
  if (env->FileExists(path)) {
    KV_ASSIGN_OR_RETURN(std::string text, env->ReadFileToString(path));
    Result<NodeIdentity> loaded = DecodeIdentity(text);
    if (!loaded.ok()) return loaded.status().WithContext(path);
    identity = std::move(*loaded);
    if (!required_id.empty() && required_id != identity.id)
      return Status::InvalidArgument(fmt::format(
          "the data dir {} belongs to node '{}', not '{}': start it with --id {}, or give "
          "this node a data dir of its own",
          dir, identity.id, required_id, identity.id));
    if (!new_clock) return identity;
  } else {
    if (new_id.empty() || new_id.size() > 255)
      return Status::InvalidArgument("a node id must be 1 to 255 bytes (--id NAME)");
    KV_RETURN_IF_ERROR(env->CreateDirs(dir));
    identity.id = new_id;
  }
  identity.clock_id = RandomClockId();
  KV_RETURN_IF_ERROR(env->WriteFileAtomically(path, EncodeIdentity(identity)));
  return identity;
}

}  // namespace kv
