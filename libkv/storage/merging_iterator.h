// MergingIterator: one sorted walk over several iterators whose key sets may overlap; for a key
// present in several, it shows the entry with the highest sequence number (the newest write) and
// skips the others. Tombstones are shown, not hidden: callers decide (scans skip them,
// compaction keeps or purges them). Owns its children; used by one thread.
#pragma once

#include <memory>
#include <vector>

#include "libkv/storage/iterator.h"

namespace kv {

std::unique_ptr<Iterator> NewMergingIterator(std::vector<std::unique_ptr<Iterator>> children);

// Wraps an iterator and hides tombstones: the live keys only.
std::unique_ptr<Iterator> NewLiveKeysIterator(std::unique_ptr<Iterator> inner);

}  // namespace kv
