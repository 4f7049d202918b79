#include "tools/common/quorum_flags.h"

#include <fmt/format.h>

#include <charconv>

#include "libkv/membership/node_state.h"

namespace kv::tools {

namespace {

constexpr std::string_view kLocal = "local";

bool ParseCount(std::string_view text, uint32_t* n) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *n);
  return ec == std::errc() && end == text.data() + text.size() && *n >= 1 && *n <= 255;
}

}  // namespace

CLI::Option* AddQuorumOption(CLI::App& app, const std::string& name, std::string* text,
                             const std::string& what, const std::string& default_help) {
  CLI::Validator count_or_local(
      [](std::string& value) -> std::string {
        uint32_t n = 0;
        if (value == kLocal || ParseCount(value, &n)) return std::string();
        return fmt::format(
            "'{}' is not a quorum: give a number of replicas from 1 to 255, or "
            "local (with --zone)",
            value);
      },
      "", "N|local");
  return app
      .add_option(name, *text,
                  what + ", or local: a majority of the key's replicas in --zone (default: " +
                      default_help + ")")
      ->check(count_or_local)
      ->type_name("N|local");
}

void AddZoneOption(CLI::App& app, std::string* zone) {
  app.add_option("--zone", *zone,
                 "This client's zone (as kvnode --zone names a node's): the zone whose replicas "
                 "a local quorum counts. Alone it changes nothing")
      ->type_name("NAME");
}

Result<QuorumAsk> ResolveQuorum(std::string_view flag, std::string_view text,
                                std::string_view zone) {
  QuorumAsk ask;
  if (!zone.empty()) {
    if (Status named = CheckZoneName(zone); !named.ok())
      return Status::InvalidArgument(fmt::format("--zone: {}", named.message()));
  }
  if (text.empty()) return ask;
  if (text != kLocal) {
    if (!ParseCount(text, &ask.replicas))
      return Status::InvalidArgument(
          fmt::format("{} {}: give a number of replicas from 1 to 255, or local", flag, text));
    return ask;
  }
  if (zone.empty())
    return Status::InvalidArgument(fmt::format(
        "{} local counts a majority of the key's replicas in the client's zone: name it with "
        "--zone (kvring shows each node's zone)",
        flag));
  ask.local_zone = std::string(zone);
  return ask;
}

}  // namespace kv::tools
