// Every size a decoder reads is bounded by the bytes left in its input, before anything is
// allocated (issue 13: a 29-byte request declaring a 17 MiB key made the node allocate and zero
// 17 MiB). Each case builds a short input declaring a huge size, checks the error, and, outside
// the sanitizers (which bring their own allocator), that the decode allocated nothing large: a
// counting operator new, active only around the decode on this thread, records the largest
// single allocation.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "libkv/base/coding.h"
#include "libkv/membership/gossip_messages.h"
#include "libkv/net/admin_messages.h"
#include "libkv/net/client_messages.h"
#include "libkv/net/cluster_messages.h"
#include "libkv/net/frame.h"
#include "libkv/net/replica_messages.h"
#include "libkv/versioning/context_token.h"
#include "libkv/versioning/sibling_set.h"
#include "libkv/versioning/versioning_format.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KV_COUNTING_ALLOCATOR 0
#else
#define KV_COUNTING_ALLOCATOR 1
#endif

namespace {

thread_local bool counting = false;
thread_local size_t largest = 0;

}  // namespace

#if KV_COUNTING_ALLOCATOR
// Replaces the global allocation functions of the test binary (the other forms — arrays, nothrow
// — call these). Counting costs a thread-local test outside the measured decodes.
void* operator new(size_t n) {
  if (counting && n > largest) largest = n;
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
#endif

namespace kv {

namespace {

// What `decode` returns; *biggest is the largest single allocation it made.
template <class F>
auto Measured(size_t* biggest, F&& decode) {
  largest = 0;
  counting = true;
  auto result = decode();
  counting = false;
  *biggest = largest;
  return result;
}

// Far below the declared sizes; above what the small inputs themselves need.
constexpr size_t kSmall = 64 * 1024;

void CheckSmall(size_t bytes) {
#if KV_COUNTING_ALLOCATOR
  CHECK(bytes < kSmall);
#else
  (void)bytes;
#endif
}

// Cereal's header of a message body: the endianness byte, then the class version (uint32).
std::string CerealHeader(uint32_t version) {
  std::string out(1, '\x01');
  PutFixed32(&out, version);
  return out;
}

}  // namespace

TEST_CASE("a 29-byte put request declaring a 17 MiB key is refused without allocating it") {
  // The frame as the attacker sent it: 13 header bytes, then a body whose key size tag says
  // 17 MiB and whose remaining bytes hold three.
  std::string body = CerealHeader(3);
  PutFixed64(&body, uint64_t{17} << 20);
  body += "abc";
  std::string frame;
  AppendFrame(&frame, wire::MessageType::kPutRequest, 7, body);
  REQUIRE(frame.size() == 29);

  size_t biggest = 0;
  Result<PutRequest> decoded = Measured(&biggest, [&] {
    return DecodeMessage<PutRequest>(std::string_view(frame).substr(wire::kFrameHeaderBytes));
  });
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == ErrorCode::kProtocol);
  CHECK(decoded.status().message().find("declares 17825792 bytes") != std::string::npos);
  CHECK(decoded.status().message().find("only 3 are left") != std::string::npos);
  CheckSmall(biggest);
}

TEST_CASE("a declared size exactly the bytes left still decodes") {
  // The bound is the bytes left, not less: a key filling the rest of the body up to the fields
  // after it is a well-formed request.
  PutRequest put{.key = std::string(1000, 'k'), .value = std::string(5000, 'v'), .context = "c"};
  Result<PutRequest> decoded = DecodeMessage<PutRequest>(EncodeMessage(put));
  REQUIRE(decoded.ok());
  CHECK(decoded->key == put.key);
  CHECK(decoded->value == put.value);
}

TEST_CASE("other wire messages declaring more than their body holds are refused small") {
  SUBCASE("a value of 16 MiB in a short put") {
    std::string body = CerealHeader(3);
    PutFixed64(&body, 1);
    body += "k";
    PutFixed64(&body, uint64_t{16} << 20);
    size_t biggest = 0;
    Result<PutRequest> decoded =
        Measured(&biggest, [&] { return DecodeMessage<PutRequest>(body); });
    CheckSmall(biggest);
    CHECK(decoded.status().code() == ErrorCode::kProtocol);
  }
  SUBCASE("a replica write's sibling set") {
    std::string body = CerealHeader(1);
    PutFixed64(&body, 1);
    body += "k";
    PutFixed64(&body, uint64_t{17} << 20);
    size_t biggest = 0;
    Result<ReplicaWriteRequest> decoded =
        Measured(&biggest, [&] { return DecodeMessage<ReplicaWriteRequest>(body); });
    CheckSmall(biggest);
    CHECK_FALSE(decoded.ok());
  }
  SUBCASE("a Merkle level request with a million indices") {
    std::string body = CerealHeader(1);
    PutFixed64(&body, 0);   // range start
    PutFixed64(&body, 0);   // range end
    PutFixed32(&body, 10);  // depth
    PutFixed32(&body, 10);  // level
    PutFixed64(&body, 1000000);
    size_t biggest = 0;
    Result<MerkleLevelRequest> decoded =
        Measured(&biggest, [&] { return DecodeMessage<MerkleLevelRequest>(body); });
    CheckSmall(biggest);
    CHECK(decoded.status().code() == ErrorCode::kProtocol);
    CHECK(decoded.status().message().find("1000000 elements") != std::string::npos);
  }
  SUBCASE("leaf keys with a million entries") {
    std::string body = CerealHeader(2);
    PutFixed64(&body, 1000000);
    body += std::string(32, '\0');
    size_t biggest = 0;
    Result<LeafKeysResponse> decoded =
        Measured(&biggest, [&] { return DecodeMessage<LeafKeysResponse>(body); });
    CheckSmall(biggest);
    CHECK(decoded.status().code() == ErrorCode::kProtocol);
  }
  SUBCASE("a gossip ACK2 payload") {
    std::string body = CerealHeader(1);
    PutFixed64(&body, uint64_t{17} << 20);
    size_t biggest = 0;
    Result<GossipAck2> decoded =
        Measured(&biggest, [&] { return DecodeMessage<GossipAck2>(body); });
    CheckSmall(biggest);
    CHECK(decoded.status().code() == ErrorCode::kProtocol);
  }
}

TEST_CASE("hand-coded decoders bound their counts by the bytes left") {
  SUBCASE("gossip states") {
    std::string ack2;
    ack2.push_back(1);  // format version
    ack2.push_back(3);  // ACK2
    PutVarint32(&ack2, 4000);
    ack2 += std::string(20, 'x');
    size_t biggest = 0;
    Result<GossipAck2Message> decoded = Measured(&biggest, [&] { return DecodeGossipAck2(ack2); });
    CheckSmall(biggest);
    CHECK(decoded.status().code() == ErrorCode::kCorruption);
  }
  SUBCASE("a sibling set") {
    std::string set(1, '\x01');
    PutVarint32(&set, 1000);
    set += std::string(40, '\0');
    size_t biggest = 0;
    Result<SiblingSet> decoded = Measured(&biggest, [&] { return SiblingSet::Decode(set); });
    CheckSmall(biggest);
    CHECK(decoded.status().code() == ErrorCode::kCorruption);
  }
  SUBCASE("a context token") {
    std::string token(1, static_cast<char>(kContextTokenFormatVersion));
    PutVarint32(&token, 100000);
    token += std::string(30, '\0');
    size_t biggest = 0;
    Result<VectorClock> decoded = Measured(&biggest, [&] { return DecodeContextToken(token); });
    CheckSmall(biggest);
    CHECK_FALSE(decoded.ok());
  }
}

}  // namespace kv
