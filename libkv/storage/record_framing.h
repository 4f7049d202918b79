// Record framing shared by the commit log and the manifest (docs/formats.md, "Commit log"):
// each record is a masked CRC32C, a length and a type byte before its payload. The reader walks
// a whole file and tells a clean end, a torn tail (a damaged or incomplete last record with
// nothing valid after it) and damage in the middle (valid records after the bad one) apart.
// Pure functions over bytes; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libkv/base/status.h"

namespace kv {

// Appends one framed record to dst.
void AppendRecord(std::string* dst, uint8_t type, std::string_view payload);
// The same in two steps, for payloads encoded straight into dst: BeginRecord reserves the header
// and returns where the record starts; FinishRecord fills the header in over the bytes since.
size_t BeginRecord(std::string* dst);
void FinishRecord(std::string* dst, size_t start, uint8_t type);

class RecordScanner {
 public:
  // `valid_types`: a bitmask of acceptable type bytes (bit t set = type t is valid).
  RecordScanner(std::string_view file, uint32_t valid_types) : file_(file), types_(valid_types) {}

  enum class Outcome {
    kRecord,     // *type, *payload and offset() describe the next record
    kEnd,        // the file ended cleanly after the last record
    kTornTail,   // bytes from offset() on are a damaged last record; nothing valid follows
    kCorrupted,  // the record at offset() is damaged and valid records follow it
  };
  Outcome Next(uint8_t* type, std::string_view* payload);
  // Offset of the record just returned, or of the damage.
  uint64_t offset() const { return offset_; }

 private:
  // Whether a whole valid record starts at pos.
  bool ValidAt(size_t pos, uint8_t* type, std::string_view* payload) const;

  std::string_view file_;
  uint32_t types_;
  size_t pos_ = 0;
  uint64_t offset_ = 0;
};

}  // namespace kv
