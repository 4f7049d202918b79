// FrameReader: turns the bytes of one connection into frames, so that a reader can take from the
// socket whatever has arrived in one system call and parse every whole frame in it before reading
// again. The caller reads into Space(), says how much arrived with Commit(), and takes frames
// with Next(); frame_io.h's AsyncReadMore does the socket part.
//
// Memory: one buffer of buffer_bytes (64 KiB), allocated on the first Space() and freed by
// ReleaseIfEmpty while no byte waits in it (an idle connection then holds none; the thread keeps
// up to four released buffers for its next readers, so a quiet moment costs no malloc). A frame
// larger than the buffer first fills the buffer; only then does it get a body of its own, which
// grows as its bytes arrive (fourfold each time it is full, up to the declared size, never past
// it), so what a frame costs follows the bytes the peer actually sent, not what its header
// declares: a peer declaring 17 MiB and sending 100 KiB holds at most 4x what it sent. Each growth
// happens in a Space() call and NextAllocation() says beforehand how large it will be: a reader
// that budgets memory reserves that first. A header is checked (DecodeFrameHeader: length at least
// 9 and at most max_length, known type) before anything is allocated for its body, so a peer
// declaring a 4 GiB frame costs 13 bytes; after a bad header the stream cannot be trusted and every
// Next() and PeekHeader() repeats the Protocol error.
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
  // A large frame's body grows by this factor: a copy of at most a third of the frame in all,
  // and at most this many times the bytes received held.
  static constexpr size_t kBodyGrowth = 4;

  // REQUIRES: buffer_bytes >= wire::kFrameHeaderBytes.
  explicit FrameReader(size_t buffer_bytes = kDefaultBufferBytes,
                       size_t max_length = wire::kMaxFrameLength);
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // The next frame's header once its 13 bytes are here; std::nullopt before. Protocol error for a
  // header DecodeFrameHeader refuses.
  Result<std::optional<FrameHeader>> PeekHeader() const;

  // Whether all of the next frame is here, so that Next() would give it.
  bool HasWholeFrame() const;

  // The next frame, removed from the reader, once all of it is here; std::nullopt before (then
  // read more into Space()). Protocol error for a bad header, from the header alone.
  Result<std::optional<Frame>> Next();

  // Where the next bytes from the socket go: never empty. Normally the free end of the buffer
  // (what is left of a partial frame is first moved to its front, so a frame that fits the buffer
  // always fits there); once the buffer is full with the start of a frame larger than it, the
  // free part of that frame's own body (grown first when it is full, see NextAllocation), so a
  // read never takes bytes past that frame.
  // REQUIRES: Next() would give std::nullopt (take every whole frame first).
  std::span<char> Space();
  // Bytes the next Space() allocates for a large frame's body (0: none). The old body, if any, is
  // freed in the same call once its bytes are copied, so for that moment both are held.
  size_t NextAllocation() const;
  // n bytes were written at the front of the last Space(). REQUIRES: n <= its size.
  void Commit(size_t n);

  // Bytes received and not yet taken by Next() (of a large frame: its body received so far).
  size_t buffered() const { return large_ ? large_filled_ : end_ - begin_; }
  // Bytes of memory held: the buffer while allocated, and a large frame's body.
  size_t memory() const;
  // Bytes allocated for a large frame's body (0 while no frame has outgrown the buffer).
  size_t body_memory() const { return large_ ? large_->body.size() : 0; }
  // Frees the buffer when buffered() == 0; the next Space() allocates it again.
  void ReleaseIfEmpty();

 private:
  Result<std::optional<FrameHeader>> BufferedHeader() const;
  // The buffer is full with the start of the next frame, which is larger than it.
  bool BufferHoldsLargeFrameStart() const;
  void StartLargeFrame();
  void GrowLargeBody();

  const size_t buffer_bytes_;
  const size_t max_length_;
  // Gives a released buffer to its thread's small cache of them (frame_reader.cc), so that a
  // connection that goes quiet after every request does not cost a 64 KiB malloc and free each
  // time.
  struct ReturnBuffer {
    size_t bytes = 0;
    void operator()(char* buffer) const;
  };
  std::unique_ptr<char[], ReturnBuffer> buffer_;  // buffer_bytes_ when allocated
  size_t begin_ = 0;  // bytes [begin_, end_) of buffer_ are received, not taken
  size_t end_ = 0;
  // A frame larger than the buffer, its header taken from the buffer, filling its own body;
  // while it is set the buffer holds nothing. Invariant: large_filled_ <= large_->body.size()
  // <= large_declared_; the body is whole when large_filled_ == large_declared_.
  std::optional<Frame> large_;
  size_t large_filled_ = 0;
  size_t large_declared_ = 0;
};

}  // namespace kv
