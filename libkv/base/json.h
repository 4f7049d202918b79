// JSON with Boost.JSON: values are built as boost::json objects and arrays (never written by
// hand), turned into text by Serialize and read back by Parse. Boost.JSON is used header-only: its
// implementation is compiled once, in json.cc (<boost/json/src.hpp>), so nothing new is linked.
//
// Keys and values are arbitrary bytes while JSON strings must be UTF-8, so they follow one rule,
// the bytes-or-base64 rule: a member "name" holds the bytes as a string when they are valid UTF-8;
// otherwise it holds their standard base64 and a member "name_base64": true follows it
// (PutBytes writes it, GetBytes reads it). Text that should be UTF-8 but comes from outside (a
// node's id, an error message) that is not is replaced by TextOr's fallback, so the output is
// always valid JSON.
//
// Numbers: integers as integers; a double as the shortest decimal that reads back as the same
// double, always with a '.' or an exponent ("0.5", "1.0", "41.24", "1e-07"; Boost.JSON itself
// would write "5E-1"), and null when it is not finite. Round before putting a figure whose
// precision is its own (3 decimals for seconds). Pure functions, any thread.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// Standard base64 (RFC 4648, with '=' padding).
std::string Base64Encode(std::string_view bytes);
// The bytes of standard padded base64, or nullopt when `text` is not exactly that (wrong length,
// a character outside the alphabet, misplaced padding, nonzero padding bits).
std::optional<std::string> Base64Decode(std::string_view text);

namespace json {

// Sets obj[name] to `bytes` by the bytes-or-base64 rule above (and obj[name + "_base64"] = true
// when they are not UTF-8), after the members already there.
void PutBytes(boost::json::object& obj, std::string_view name, std::string_view bytes);

// The bytes of obj[name] by the same rule: base64-decoded when obj[name + "_base64"] is true.
// nullopt when the member is missing, not a string, or not valid base64 where it should be.
std::optional<std::string> GetBytes(const boost::json::object& obj, std::string_view name);

// `s` as a JSON string when it is valid UTF-8, else `fallback` (which must be).
boost::json::string TextOr(std::string_view s, std::string_view fallback = "(not UTF-8)");

// `x` rounded to `decimals` places (half away from zero), for a figure of that precision.
double Round(double x, int decimals);

// The compact JSON text of `v` (no spaces, members in insertion order), numbers as above.
std::string Serialize(const boost::json::value& v);

// The value `text` holds (one JSON document, whitespace around it allowed); InvalidArgument
// saying what is wrong when it is not JSON.
Result<boost::json::value> Parse(std::string_view text);

}  // namespace json
}  // namespace kv
