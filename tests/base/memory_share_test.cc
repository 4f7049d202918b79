#include "libkv/base/memory_share.h"

#include <doctest/doctest.h>

namespace kv {

TEST_CASE("memory share: reservations within the capacity, given back when released") {
  MemoryShare share(100);
  std::optional<MemoryShare::Reservation> a = share.TryReserve(60);
  REQUIRE(a);
  CHECK_FALSE(share.TryReserve(41));  // 60 + 41 would pass 100: refused, nothing taken
  CHECK(share.figures().used == 60);
  {
    std::optional<MemoryShare::Reservation> b = share.TryReserve(40);
    REQUIRE(b);
    CHECK(share.figures().used == 100);
    MemoryShare::Reservation part = b->Split(15);
    CHECK(part.bytes() == 15);
    CHECK(b->bytes() == 25);
    b->Release();
    CHECK(share.figures().used == 75);
  }
  CHECK(share.figures().used == 60);  // the split part went with its scope
  a->Shrink(10);
  CHECK(share.figures().used == 10);
  MemoryShare::Reservation moved = std::move(*a);
  a.reset();
  CHECK(share.figures().used == 10);  // moved, not given back twice
  moved.Release();
  CHECK(share.figures().used == 0);
  CHECK(share.figures().peak == 100);
  CHECK(share.figures().capacity == 100);
}

}  // namespace kv
