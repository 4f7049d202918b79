#include "libkv/storage/record_framing.h"

#include "libkv/base/checksum.h"
#include "libkv/base/coding.h"
#include "libkv/storage/commit_log_format.h"

namespace kv {

void AppendRecord(std::string* dst, uint8_t type, std::string_view payload) {
  char header[commit_log::kHeaderBytes];
  uint32_t crc = Crc32c(std::string_view(reinterpret_cast<const char*>(&type), 1));
  crc = Crc32c(payload, crc);
  EncodeFixed32(header, MaskCrc(crc));
  EncodeFixed32(header + 4, static_cast<uint32_t>(payload.size()));
  header[8] = static_cast<char>(type);
  dst->append(header, sizeof(header));
  dst->append(payload);
}

size_t BeginRecord(std::string* dst) {
  const size_t start = dst->size();
  dst->append(commit_log::kHeaderBytes, '\0');
  return start;
}

void FinishRecord(std::string* dst, size_t start, uint8_t type) {
  char* h = dst->data() + start;
  const size_t length = dst->size() - start - commit_log::kHeaderBytes;
  h[8] = static_cast<char>(type);
  EncodeFixed32(h + 4, static_cast<uint32_t>(length));
  const uint32_t crc = Crc32c(std::string_view(h + 8, 1 + length));
  EncodeFixed32(h, MaskCrc(crc));
}

bool RecordScanner::ValidAt(size_t pos, uint8_t* type, std::string_view* payload) const {
  if (file_.size() - pos < commit_log::kHeaderBytes) return false;
  const char* h = file_.data() + pos;
  const uint32_t length = DecodeFixed32(h + 4);
  const uint8_t t = static_cast<uint8_t>(h[8]);
  if (t >= 32 || (types_ & (1u << t)) == 0) return false;
  if (length > file_.size() - pos - commit_log::kHeaderBytes) return false;
  const std::string_view body(h + 8, 1 + length);  // type byte and payload
  if (UnmaskCrc(DecodeFixed32(h)) != Crc32c(body)) return false;
  *type = t;
  *payload = body.substr(1);
  return true;
}

RecordScanner::Outcome RecordScanner::Next(uint8_t* type, std::string_view* payload) {
  offset_ = pos_;
  if (pos_ == file_.size()) return Outcome::kEnd;
  if (ValidAt(pos_, type, payload)) {
    pos_ += commit_log::kHeaderBytes + payload->size();
    return Outcome::kRecord;
  }
  // Damage at pos_. It is a torn tail only if no valid record starts anywhere after it. Try the
  // place the (possibly intact) length points at first, then every byte.
  uint8_t t;
  std::string_view p;
  if (file_.size() - pos_ >= commit_log::kHeaderBytes) {
    const size_t skip = commit_log::kHeaderBytes + DecodeFixed32(file_.data() + pos_ + 4);
    if (skip <= file_.size() - pos_ && pos_ + skip < file_.size() && ValidAt(pos_ + skip, &t, &p))
      return Outcome::kCorrupted;
  }
  for (size_t at = pos_ + 1; at + commit_log::kHeaderBytes <= file_.size(); at++) {
    if (ValidAt(at, &t, &p)) return Outcome::kCorrupted;
  }
  return Outcome::kTornTail;
}

}  // namespace kv
