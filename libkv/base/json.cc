#include "libkv/base/json.h"

// Boost.JSON's implementation, compiled here and nowhere else (header-only use: no library to
// link, no package beyond the Boost headers kv already needs).
#include <fmt/format.h>
#include <boost/json/src.hpp>

#include <cmath>
#include <cstdint>

namespace kv {

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t j = 1; j < len; ++j) {
      const auto cc = static_cast<uint8_t>(s[i + j]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=') : 0;
    if (pad == 1 && text[i + 2] == '=') return std::nullopt;  // "x=y=" style
    uint32_t v = 0;
    for (int k = 0; k < 4 - pad; ++k) {
      const int s = sextet(text[i + k]);
      if (s < 0) return std::nullopt;
      v |= static_cast<uint32_t>(s) << (18 - 6 * k);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) out.push_back(static_cast<char>((v >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(v & 0xff));
    // Canonical input only: the bits below the last whole byte must be zero.
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) return std::nullopt;
  }
  return out;
}

namespace json {

namespace {

void AppendDouble(std::string* out, double x) {
  if (!std::isfinite(x)) {
    out->append("null");
    return;
  }
  // fmt's "{}" is the shortest text that reads back as the same double ("0.5", "1", "1e-07").
  const std::string text = fmt::format("{}", x);
  out->append(text);
  // A double stays a double for the reader: "1" would read back as an integer.
  if (text.find_first_of(".e") == std::string::npos) out->append(".0");
}

void AppendValue(std::string* out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      out->push_back('{');
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out->push_back(',');
        first = false;
        out->append(boost::json::serialize(member.key()));
        out->push_back(':');
        AppendValue(out, member.value());
      }
      out->push_back('}');
      return;
    }
    case boost::json::kind::array: {
      out->push_back('[');
      bool first = true;
      for (const boost::json::value& element : v.get_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendValue(out, element);
      }
      out->push_back(']');
      return;
    }
    case boost::json::kind::double_:
      AppendDouble(out, v.get_double());
      return;
    default:  // strings (escaped by Boost.JSON), integers, booleans, null
      out->append(boost::json::serialize(v));
      return;
  }
}

}  // namespace

void PutBytes(boost::json::object& obj, std::string_view name, std::string_view bytes) {
  if (IsValidUtf8(bytes)) {
    obj[name] = bytes;
    return;
  }
  obj[name] = Base64Encode(bytes);
  obj[std::string(name) + "_base64"] = true;
}

std::optional<std::string> GetBytes(const boost::json::object& obj, std::string_view name) {
  const boost::json::value* v = obj.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  const std::string_view text(v->get_string());
  const boost::json::value* flag = obj.if_contains(std::string(name) + "_base64");
  if (flag != nullptr && flag->is_bool() && flag->get_bool()) return Base64Decode(text);
  return std::string(text);
}

boost::json::string TextOr(std::string_view s, std::string_view fallback) {
  return boost::json::string(IsValidUtf8(s) ? s : fallback);
}

double Round(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

std::string Serialize(const boost::json::value& v) {
  // Boost.JSON's serializer writes every part but doubles; AppendValue walks the containers so
  // that a double inside gets the form json.h promises.
  std::string out;
  AppendValue(&out, v);
  return out;
}

Result<boost::json::value> Parse(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec) return Status::InvalidArgument("not JSON: " + ec.message());
  return v;
}

}  // namespace json
}  // namespace kv
