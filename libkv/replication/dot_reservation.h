// DotReservation: the counters this node's clock id may give the dots of new writes, reserved
// durably in blocks (the DOTS file of the data directory; docs/formats.md, "Data directory"), so
// that no dot is ever issued twice, even after a crash that lost the local copy of a write.
//
// Why: a coordinator sends a write's sibling set to the other replicas while its own fsync runs
// (Coordinator::Write). A crash before that fsync loses the local copy, and without a reservation
// the restarted node would compute the same next counter for the key and give it to another
// write: replicas holding the first would take the second for it, and one write would be lost.
// With it, every counter handed out lies within a block that was on disk before it was handed
// out, and a restart begins past the last block. Counters are a node-wide sequence, so a key's
// counters have gaps; a context covering a gap covers no write, so that is harmless (Riak's
// vnode counter lease, the same idea).
//
// Threads: safe from any thread (a mutex; the callers are merge rules, run by the thread that
// commits a group).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/env/env.h"
#include "libkv/versioning/vector_clock.h"

namespace kv {

class DotReservation {
 public:
  // Counters are reserved this many at a time: a file write and two fsyncs per block.
  static constexpr uint64_t kDefaultBlock = uint64_t{1} << 20;

  // Loads DIR/DOTS for `clock_id` (a file for another clock id, or none, starts from 1) and
  // reserves the first block past what the file says, before returning. Corruption for a file
  // that cannot be read as a reservation (naming the path).
  static Result<std::unique_ptr<DotReservation>> Open(Env* env, const std::string& dir,
                                                      ClockId clock_id,
                                                      uint64_t block = kDefaultBlock);

  // The least counter the next write's dot may take (SiblingWrite::min_counter). Reserves a new
  // block first when the current one is used up; IOError when that fails (then nothing may be
  // issued).
  Result<uint64_t> Next();
  // Records that a dot took `counter` (at least what Next gave; more when the key's own history
  // was ahead), so later ones start past it. IOError when a block past it could not be reserved.
  Status Issued(uint64_t counter);

  uint64_t reserved_through() const;
  // The highest counter this clock id may have given a dot (in this life or an earlier one): a
  // clock or dot claiming more of it was not made by this node.
  uint64_t issued_through() const;

 private:
  DotReservation(Env* env, std::string path, ClockId clock_id, uint64_t block)
      : env_(env), path_(std::move(path)), clock_id_(clock_id), block_(block) {}
  // REQUIRES: mu_ held. Makes every counter up to at least `through` reserved on disk.
  Status ReserveThroughLocked(uint64_t through);

  Env* const env_;
  const std::string path_;
  const ClockId clock_id_;
  const uint64_t block_;
  mutable std::mutex mu_;
  uint64_t next_ = 1;      // GUARDED_BY(mu_)
  uint64_t reserved_ = 0;  // GUARDED_BY(mu_): every counter <= this is on disk as reserved
};

// The DOTS file's text, and back (Corruption naming what is wrong).
std::string EncodeDotReservation(ClockId clock_id, uint64_t reserved_through);
struct DotReservationRecord {
  ClockId clock_id = 0;
  uint64_t reserved_through = 0;
};
Result<DotReservationRecord> DecodeDotReservation(std::string_view text);

}  // namespace kv
