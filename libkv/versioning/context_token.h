// The context token: the merged clock of the versions a get returned (SiblingSet::Context),
// handed to the client as opaque bytes and given back with its next put or delete. Binary for
// the wire, base64 text for the command line and JSON. Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/versioning/vector_clock.h"

namespace kv {

// docs/formats.md, "Sibling set" (`context_token`). An empty clock encodes too: it means "no
// context", as does an absent token.
std::string EncodeContextToken(const VectorClock& context);
// Corruption on any malformed input (including trailing bytes).
Result<VectorClock> DecodeContextToken(std::string_view bytes);

// Base64 of the token, and back. A text token comes from a user, so a bad one is
// InvalidArgument, saying to pass the token a get printed.
std::string ContextTokenToText(const VectorClock& context);
Result<VectorClock> ContextTokenFromText(std::string_view text);

}  // namespace kv
