// Byte coding for the on-disk formats: fixed-width little-endian integers and LEB128 varints.
// Writers append to a std::string; readers consume from the front of a std::string_view and
// return false (consuming nothing useful) when the input is short or malformed. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
// A varint32 length, then the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view bytes);

uint32_t DecodeFixed32(const char* p);
uint64_t DecodeFixed64(const char* p);
void EncodeFixed32(char* p, uint32_t v);
void EncodeFixed64(char* p, uint64_t v);

[[nodiscard]] bool GetFixed32(std::string_view* in, uint32_t* v);
[[nodiscard]] bool GetFixed64(std::string_view* in, uint64_t* v);
[[nodiscard]] bool GetVarint32(std::string_view* in, uint32_t* v);
[[nodiscard]] bool GetVarint64(std::string_view* in, uint64_t* v);
[[nodiscard]] bool GetLengthPrefixed(std::string_view* in, std::string_view* bytes);

int VarintLength(uint64_t v);

}  // namespace kv
