#include "tools/common/size_flag.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>
#include <utility>

namespace kv::tools {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status Refuse(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(
      fmt::format("size '{}': {}; write bytes, or a number with KB, MB, GB, TB (powers of 1000) "
                  "or KiB, MiB, GiB, TiB (powers of 1024), e.g. 256MiB",
                  text, why));
}

}  // namespace

Result<uint64_t> ParseSize(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  uint64_t number = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (end == s.data()) return Refuse(text, "no number");
  if (ec == std::errc::result_out_of_range) return Refuse(text, "too large");
  std::string_view unit = s.substr(static_cast<size_t>(end - s.data()));
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static constexpr std::array<std::pair<std::string_view, uint64_t>, 10> kUnits = {{
      {"", 1},
      {"b", 1},
      {"kb", 1000},
      {"mb", 1000 * 1000},
      {"gb", 1000 * 1000 * 1000},
      {"tb", uint64_t{1000} * 1000 * 1000 * 1000},
      {"kib", uint64_t{1} << 10},
      {"mib", uint64_t{1} << 20},
      {"gib", uint64_t{1} << 30},
      {"tib", uint64_t{1} << 40},
  }};
  const std::string lower = Lower(unit);
  uint64_t factor = 0;
  for (const auto& [name, value] : kUnits)
    if (lower == name) factor = value;
  if (factor == 0) {
    if (lower == "k" || lower == "m" || lower == "g" || lower == "t")
      return Refuse(text, fmt::format("'{}' could mean a power of 1000 or of 1024", unit));
    return Refuse(text, fmt::format("unknown unit '{}'", unit));
  }
  if (number > UINT64_MAX / factor) return Refuse(text, "too large");
  return number * factor;
}

CLI::Validator SizeValue() {
  CLI::Validator v(
      [](std::string& value) -> std::string {
        Result<uint64_t> bytes = ParseSize(value);
        if (!bytes.ok()) return bytes.status().message();
        value = std::to_string(*bytes);
        return std::string();
      },
      "", "SIZE");
  return v;
}

}  // namespace kv::tools
