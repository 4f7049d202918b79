// FrameReader: turns the bytes of one connection into frames, so that a reader can take from the
// socket whatever has arrived in one system call and parse every whole frame in it before reading
// again. The caller reads into Space(), says how much arrived with Commit(), and takes frames
// with Next(); frame_io.h's AsyncReadMore does the socket part.
//
// Memory: one buffer of buffer_bytes (64 KiB), allocated on the first Space() and freed by
// ReleaseIfEmpty while no byte waits in it (an idle connection then holds none). A frame larger
// than the buffer gets its own body of exactly the declared size, allocated by the Space() call
// made once its header is here, never earlier: a reader that budgets memory checks PeekHeader()
// and reserves room before calling Space() again. A header is checked (DecodeFrameHeader: length
// at least 9 and at most max_length, known type) before anything is allocated for its body, so a
// peer declaring a 4 GiB frame costs 13 bytes; after a bad header the stream cannot be trusted and
// every Next() and PeekHeader() repeats the Protocol error.
//
// Not thread-safe: one reader per connection, used from the connection's strand.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "libkv/base/status.h"
#include "libkv/net/frame.h"
#include "libkv/net/wire_format.h"

namespace kv {

class FrameReader {
 public:
  static constexpr size_t kDefaultBufferBytes = 64 << 10;

  // REQUIRES: buffer_bytes >= wire::kFrameHeaderBytes.
  explicit FrameReader(size_t buffer_bytes = kDefaultBufferBytes,
                       size_t max_length = wire::kMaxFrameLength);
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // The next frame's header once its 13 bytes are here; std::nullopt before. Protocol error for a
  // header DecodeFrameHeader refuses.
  Result<std::optional<FrameHeader>> PeekHeader() const;

  // The next frame, removed from the reader, once all of it is here; std::nullopt before (then
  // read more into Space()). Protocol error for a bad header, from the header alone.
  Result<std::optional<Frame>> Next();

  // Where the next bytes from the socket go: never empty. Normally the free end of the buffer
  // (what is left of a partial frame is first moved to its front, so a frame that fits the buffer
  // always fits there); once the next frame's header says it is larger than the buffer, the part
  // of that frame's own body still missing, so a read never takes bytes past that frame.
  // REQUIRES: Next() would give std::nullopt (take every whole frame first).
  std::span<char> Space();
  // n bytes were written at the front of the last Space(). REQUIRES: n <= its size.
  void Commit(size_t n);

  // Bytes received and not yet taken by Next() (of a large frame: its body received so far).
  size_t buffered() const { return large_ ? large_filled_ : end_ - begin_; }
  // Bytes of memory held: the buffer while allocated, and a large frame's body.
  size_t memory() const;
  // Frees the buffer when buffered() == 0; the next Space() allocates it again.
  void ReleaseIfEmpty();

 private:
  Result<std::optional<FrameHeader>> BufferedHeader() const;

  const size_t buffer_bytes_;
  const size_t max_length_;
  std::unique_ptr<char[]> buffer_;  // buffer_bytes_ when allocated
  size_t begin_ = 0;                // bytes [begin_, end_) of buffer_ are received, not taken
  size_t end_ = 0;
  // A frame larger than the buffer, its header taken from the buffer, filling its own body;
  // while it is set the buffer holds nothing.
  std::optional<Frame> large_;
  size_t large_filled_ = 0;
};

}  // namespace kv
