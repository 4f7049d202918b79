#include "tools/common/sibling_format.h"

#include <doctest/doctest.h>

#include "libkv/base/json.h"
#include "libkv/versioning/context_token.h"
#include "tests/versioning/coordinator_write.h"
#include "tools/common/ring_format.h"

namespace kv {
namespace {

constexpr ClockId kA = 0x1111111111111111ULL;
constexpr ClockId kB = 0x2222222222222222ULL;
constexpr uint64_t kMay1 = 1714564800ULL * 1000000;  // 2024-05-01T12:00:00Z

// A write as a coordinator applies it, with fixed clocks and times.
constexpr auto Write = testing::CoordinatorWrite;

// "hello2" at A, which saw "hello" (A:1), concurrent with a delete at B that saw nothing.
GetResult Conflict() {
  GetResult r;
  Write(&r.siblings, kA, {}, false, "hello", kMay1 + 123456);
  Write(&r.siblings, kA, r.siblings.Context(), false, "hello2", kMay1 + 500000);
  Write(&r.siblings, kB, {}, true, "", kMay1 + 1000000);
  r.context = EncodeContextToken(r.siblings.Context());
  return r;
}

TEST_CASE("timestamps print as UTC with microseconds") {
  CHECK(FormatTimestampMicros(kMay1 + 123456) == "2024-05-01T12:00:00.123456Z");
  CHECK(FormatTimestampMicros(0) == "1970-01-01T00:00:00.000000Z");
}

TEST_CASE("keys print as a shell word when they are one, else quoted, else base64") {
  CHECK(DisplayBytes("greeting") == "greeting");
  CHECK(DisplayBytes("user:42/name") == "user:42/name");
  CHECK(DisplayBytes("two words") == "\"two words\"");
  CHECK(DisplayBytes("a\"b") == "\"a\\\"b\"");
  CHECK(DisplayBytes(std::string("\xff\x00", 2)) == "base64:/wA=");
}

TEST_CASE("siblings as text: a header with how to resolve, a block per version, the context") {
  const GetResult r = Conflict();
  REQUIRE(r.siblings.size() == 2);
  const std::string token = Base64Encode(r.context);
  CHECK(FormatSiblingsText("greeting", r) ==
        "2 siblings of greeting (resolve with: kvput --context TOKEN greeting VALUE)\n"
        "[1] clock {1111111111111111:1} dot 1111111111111111:2 at 2024-05-01T12:00:00.500000Z\n"
        "    value (6 bytes): \"hello2\"\n"
        "[2] clock {} dot 2222222222222222:1 at 2024-05-01T12:00:01.000000Z\n"
        "    <deleted>\n"
        "context: " +
            token + "\n");
  // The printed token is what kvput --context takes.
  auto clock = ContextTokenFromText(token);
  REQUIRE(clock.ok());
  CHECK(*clock == r.siblings.Context());
}

TEST_CASE("siblings as text: values that are not UTF-8 print as base64") {
  GetResult r;
  Write(&r.siblings, kA, {}, false, std::string("\xff\x00", 2), kMay1);
  Write(&r.siblings, kB, {}, false, "line\nbreak", kMay1);
  r.context = EncodeContextToken(r.siblings.Context());
  const std::string text = FormatSiblingsText("k", r);
  CHECK(text.find("    value (2 bytes): base64:/wA=\n") != std::string::npos);
  CHECK(text.find("    value (10 bytes): \"line\\nbreak\"\n") != std::string::npos);
}

TEST_CASE("get result as JSON: every version with its clock and dot, and the context") {
  const GetResult r = Conflict();
  const std::string token = Base64Encode(r.context);
  CHECK(FormatGetResultJson("greeting", r) ==
        "{\"key\":\"greeting\",\"found\":true,\"siblings\":["
        "{\"value\":\"hello2\",\"tombstone\":false,\"clock\":{\"1111111111111111\":1},"
        "\"dot\":\"1111111111111111:2\",\"timestamp_micros\":1714564800500000},"
        "{\"value\":null,\"tombstone\":true,\"clock\":{},"
        "\"dot\":\"2222222222222222:1\",\"timestamp_micros\":1714564801000000}],"
        "\"context\":\"" +
            token + "\"}\n");

  GetResult nothing;
  CHECK(FormatGetResultJson("k", nothing) ==
        "{\"key\":\"k\",\"found\":false,\"siblings\":[],\"context\":\"\"}\n");

  GetResult binary;
  Write(&binary.siblings, kA, {}, false, std::string("\xff\x00", 2), 7);
  CHECK(FormatGetResultJson(std::string("\xfe", 1), binary) ==
        "{\"key\":\"/g==\",\"key_base64\":true,\"found\":true,\"siblings\":["
        "{\"value\":\"/wA=\",\"value_base64\":true,\"tombstone\":false,\"clock\":{},"
        "\"dot\":\"1111111111111111:1\",\"timestamp_micros\":7}],\"context\":\"\"}\n");
}

RingResponse TwoNodeRing() {
  RingResponse ring;
  ring.self = std::string(1, 'a');  // not = "a": GCC 12 warns falsely there (-Wrestrict)
  ring.replicas = 3;
  ring.read_quorum = 2;
  ring.write_quorum = 2;
  ring.nodes.push_back(RingNodeInfo{.id = "a",
                                    .address = "127.0.0.1:7000",
                                    .up = true,
                                    .state = "normal",
                                    .vnodes = 256,
                                    .ownership = 1.0,
                                    .primary_ownership = 0.5,
                                    .seconds_since_heard = -1,
                                    .generation = 3,
                                    .clock_id = "00000000000000aa",
                                    .load_stated = true,
                                    .disk_bytes = 1288490189,  // 1.2 GiB
                                    .keys = 3'100'000,
                                    .zone = "rack-1"});
  ring.nodes.push_back(RingNodeInfo{.id = "b",
                                    .address = "127.0.0.1:7001",
                                    .up = false,
                                    .state = "normal",
                                    .vnodes = 256,
                                    .ownership = 1.0,
                                    .primary_ownership = 0.5,
                                    .seconds_since_heard = 12.5,
                                    .generation = 1,
                                    .clock_id = "00000000000000bb"});
  return ring;
}

TEST_CASE(
    "ring as text: a header with N/R/W, a row per node with its load ('?' when not stated), and "
    "the fewer-than-N note") {
  CHECK(
      FormatRingText(TwoNodeRing(), "127.0.0.1:7000") ==
      "ring as seen by a (127.0.0.1:7000): 2 nodes, N=3 R=2 W=2\n"
      "ID  ADDRESS         STATUS  STATE   ZONE       LOAD   KEYS  VNODES  OWNERSHIP  PRIMARY  "
      "HINTS  HEARD\n"
      "a   127.0.0.1:7000  up      normal  rack-1  1.2 GiB  ~3.1M     256     100.0%    50.0%      "
      "0  -\n"
      "b   127.0.0.1:7001  down    normal  -             ?      ?     256     100.0%    50.0%      "
      "0  12.5s ago\n"
      "fewer nodes than N=3: every key is stored on all 2 of them\n");
}

TEST_CASE("ring as JSON, and a key's preference list") {
  RingResponse ring = TwoNodeRing();
  CHECK(FormatRingJson(ring) ==
        "{\"self\":\"a\",\"replicas\":3,\"read_quorum\":2,\"write_quorum\":2,\"nodes\":["
        "{\"id\":\"a\",\"address\":\"127.0.0.1:7000\",\"status\":\"up\",\"state\":\"normal\","
        "\"vnodes\":256,\"ownership\":1.0,\"primary_ownership\":0.5,"
        "\"seconds_since_heard\":null,\"load\":{\"disk_bytes\":1288490189,\"keys\":3100000},"
        "\"hints_pending\":0,\"generation\":3,\"clock_id\":"
        "\"00000000000000aa\",\"zone\":\"rack-1\"},"
        "{\"id\":\"b\",\"address\":\"127.0.0.1:7001\",\"status\":\"down\",\"state\":\"normal\","
        "\"vnodes\":256,\"ownership\":1.0,\"primary_ownership\":0.5,"
        "\"seconds_since_heard\":12.5,\"load\":null,\"hints_pending\":0,\"generation\":1,\"clock_"
        "id\":"
        "\"00000000000000bb\",\"zone\":null}]}\n");
  ring.key = "greeting";
  ring.preference_list = {"b", "a"};
  CHECK(FormatPreferenceListJson(ring) ==
        "{\"key\":\"greeting\",\"replicas\":[\"b\",\"a\"],\"zones\":[null,\"rack-1\"]}\n");
  CHECK(FormatPreferenceListText(ring) ==
        "preference list of greeting (N=3), as seen by a:\n"
        "1. b  down  zone -\n"
        "2. a  up  zone rack-1\n");
  // A cluster with no zones lists none.
  for (RingNodeInfo& n : ring.nodes) n.zone.clear();
  CHECK(FormatPreferenceListText(ring) ==
        "preference list of greeting (N=3), as seen by a:\n"
        "1. b  down\n"
        "2. a  up\n");
}

}  // namespace
}  // namespace kv
