// Writing JSON text by hand (no JSON library is installed): string quoting that escapes what
// RFC 8259 requires, and the bytes-or-base64 choice for keys and values, which are arbitrary
// bytes while JSON strings must be UTF-8. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kv {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Standard base64 (RFC 4648, with '=' padding).
std::string Base64Encode(std::string_view bytes);
// The bytes of standard padded base64, or nullopt when `text` is not exactly that (wrong length,
// a character outside the alphabet, misplaced padding, nonzero padding bits).
std::optional<std::string> Base64Decode(std::string_view text);

// Appends `s` as a JSON string literal (quotes included). REQUIRES: IsValidUtf8(s).
void AppendJsonString(std::string* out, std::string_view s);

// Appends `"name":"..."` for arbitrary bytes: the bytes as a JSON string when they are UTF-8,
// else their base64 followed by `,"name_base64":true`.
void AppendJsonBytesMember(std::string* out, std::string_view name, std::string_view bytes);

}  // namespace kv
