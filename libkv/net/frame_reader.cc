#include "libkv/net/frame_reader.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>
#include <vector>

namespace kv {

namespace {

// Released buffers of the default size, kept by the thread that released them for its next
// reader that needs one: at most kCachedBuffers (256 KiB) a thread. Only a cache of memory, like
// malloc's own; no reader sees another's bytes (a buffer's old bytes are never read: only what
// a Commit covers is).
constexpr size_t kCachedBuffers = 4;
thread_local std::vector<std::unique_ptr<char[]>> cached_buffers;

char* TakeBuffer(size_t bytes) {
  if (bytes == FrameReader::kDefaultBufferBytes && !cached_buffers.empty()) {
    char* buffer = cached_buffers.back().release();
    cached_buffers.pop_back();
    return buffer;
  }
  return new char[bytes];  // not zeroed: only received bytes are read
}

}  // namespace

void FrameReader::ReturnBuffer::operator()(char* buffer) const {
  if (bytes == kDefaultBufferBytes && cached_buffers.size() < kCachedBuffers) {
    cached_buffers.emplace_back(buffer);
    return;
  }
  delete[] buffer;
}

FrameReader::FrameReader(size_t buffer_bytes, size_t max_length)
    : buffer_bytes_(buffer_bytes),
      max_length_(max_length),
      buffer_(nullptr, ReturnBuffer{buffer_bytes}) {
  assert(buffer_bytes_ >= wire::kFrameHeaderBytes);
}

Result<std::optional<FrameHeader>> FrameReader::BufferedHeader() const {
  if (end_ - begin_ < wire::kFrameHeaderBytes) return std::optional<FrameHeader>();
  KV_ASSIGN_OR_RETURN(
      FrameHeader header,
      DecodeFrameHeader(std::string_view(buffer_.get() + begin_, wire::kFrameHeaderBytes),
                        max_length_));
  return std::optional<FrameHeader>(header);
}

Result<std::optional<FrameHeader>> FrameReader::PeekHeader() const {
  if (large_) {
    return std::optional<FrameHeader>(
        FrameHeader{.type = large_->type,
                    .request_id = large_->request_id,
                    .body_bytes = static_cast<uint32_t>(large_declared_)});
  }
  return BufferedHeader();
}

bool FrameReader::HasWholeFrame() const {
  if (large_) return large_filled_ == large_declared_;
  Result<std::optional<FrameHeader>> header = BufferedHeader();
  return header.ok() && *header && end_ - begin_ - wire::kFrameHeaderBytes >= (*header)->body_bytes;
}

Result<std::optional<Frame>> FrameReader::Next() {
  if (large_) {
    if (large_filled_ < large_declared_) return std::optional<Frame>();
    std::optional<Frame> frame = std::move(large_);
    large_.reset();
    large_filled_ = 0;
    large_declared_ = 0;
    return frame;
  }
  KV_ASSIGN_OR_RETURN(std::optional<FrameHeader> header, BufferedHeader());
  if (!header || end_ - begin_ - wire::kFrameHeaderBytes < header->body_bytes)
    return std::optional<Frame>();
  Frame frame{.type = header->type, .request_id = header->request_id, .body = {}};
  frame.body.assign(buffer_.get() + begin_ + wire::kFrameHeaderBytes, header->body_bytes);
  begin_ += wire::kFrameHeaderBytes + header->body_bytes;
  if (begin_ == end_) begin_ = end_ = 0;
  return std::optional<Frame>(std::move(frame));
}

bool FrameReader::BufferHoldsLargeFrameStart() const {
  if (large_ || !buffer_ || end_ - begin_ < buffer_bytes_) return false;
  // A full buffer holds no whole frame (Space's REQUIRES), so a good header here declares a frame
  // larger than the buffer. A bad one allocates nothing: Next() reports it.
  Result<std::optional<FrameHeader>> header = BufferedHeader();
  return header.ok() && *header;
}

size_t FrameReader::NextAllocation() const {
  if (large_) {
    if (large_filled_ < large_->body.size()) return 0;
    return std::min(large_declared_, kBodyGrowth * large_->body.size());
  }
  if (!BufferHoldsLargeFrameStart()) return 0;
  const FrameHeader h = **BufferedHeader();
  return std::min<size_t>(h.body_bytes, kBodyGrowth * buffer_bytes_);
}

void FrameReader::StartLargeFrame() {
  const size_t allocation = NextAllocation();
  const FrameHeader h = **BufferedHeader();
  large_.emplace(Frame{.type = h.type, .request_id = h.request_id, .body = {}});
  large_declared_ = h.body_bytes;
  large_->body.resize(allocation);
  // Every byte after the header belongs to this frame: it outsizes the buffer.
  large_filled_ = end_ - begin_ - wire::kFrameHeaderBytes;
  std::memcpy(large_->body.data(), buffer_.get() + begin_ + wire::kFrameHeaderBytes, large_filled_);
  begin_ = end_ = 0;
}

void FrameReader::GrowLargeBody() {
  // A fresh string of exactly the new size: growing in place would let the string round its
  // capacity up past what NextAllocation promised.
  std::string grown;
  grown.resize(NextAllocation());
  std::memcpy(grown.data(), large_->body.data(), large_filled_);
  large_->body.swap(grown);
}

std::span<char> FrameReader::Space() {
  if (!large_) {
    if (!buffer_) buffer_.reset(TakeBuffer(buffer_bytes_));
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (!BufferHoldsLargeFrameStart()) {
      assert(end_ < buffer_bytes_);  // a frame that fits the buffer and fills it is whole
      return {buffer_.get() + end_, buffer_bytes_ - end_};
    }
    StartLargeFrame();
  }
  if (large_filled_ == large_->body.size()) GrowLargeBody();
  return {large_->body.data() + large_filled_, large_->body.size() - large_filled_};
}

void FrameReader::Commit(size_t n) {
  if (large_) {
    assert(n <= large_->body.size() - large_filled_);
    large_filled_ += n;
  } else {
    assert(buffer_ && n <= buffer_bytes_ - end_);
    end_ += n;
  }
}

size_t FrameReader::memory() const {
  return (buffer_ ? buffer_bytes_ : 0) + (large_ ? large_->body.size() : 0);
}

void FrameReader::ReleaseIfEmpty() {
  if (buffered() == 0 && !large_) {
    buffer_.reset();
    begin_ = end_ = 0;
  }
}

}  // namespace kv
