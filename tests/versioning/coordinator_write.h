// Test helper: a write applied to a SiblingSet as a coordinator applies it, with fixed clocks and
// times chosen by the test. REQUIREs that the set took it.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "libkv/versioning/sibling_set.h"
#include "libkv/versioning/vector_clock.h"

namespace kv::testing {

inline void CoordinatorWrite(SiblingSet* set, ClockId at, const VectorClock& context,
                             bool tombstone, std::string value, uint64_t now) {
  REQUIRE(set->Put(SiblingWrite{.context = context,
                                .coordinator = at,
                                .tombstone = tombstone,
                                .value = std::move(value),
                                .now_micros = now,
                                .min_counter = 0},
                   ClockPruneOptions{})
              .ok());
}

}  // namespace kv::testing
