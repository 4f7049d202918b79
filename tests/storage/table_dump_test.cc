#include <doctest/doctest.h>

#include <sstream>
#include <string>

#include "libkv/base/json.h"
#include "libkv/storage/table_dump.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

using testing::ModelEntry;
using testing::TableModel;

TableModel SmallModel() {
  TableModel m;
  m["apple"] = ModelEntry{7, EntryKind::kValue, "red \"ripe\"\n"};
  m["bin\xff\x01"] = ModelEntry{8, EntryKind::kValue, std::string("\x00\x9f", 2)};
  m["gone"] = ModelEntry{9, EntryKind::kTombstone, ""};
  m["zebra"] = ModelEntry{10, EntryKind::kValue, ""};
  return m;
}

std::string Dump(Env* env, const std::string& path, TableDumpOptions o, Status* s) {
  std::ostringstream out;
  *s = DumpTable(env, path, o, out);
  return out.str();
}

TEST_CASE("table dump: text and JSON for entries, keys, index, bloom, verify") {
  auto env = NewMemEnv();
  REQUIRE(testing::BuildTable(env.get(), "/d/1.sst", SmallModel()).ok());
  Status s;
  TableDumpOptions o;
  std::string text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(s.ok());
  CHECK(text.find("/d/1.sst: 4 entries (1 tombstones)") != std::string::npos);
  CHECK(text.find("\"apple\" @7 = \"red \\\"ripe\\\"\\x0a\"\n") != std::string::npos);
  CHECK(text.find("\"bin\\xff\\x01\" @8 = \"\\x00\\x9f\"\n") != std::string::npos);
  CHECK(text.find("\"gone\" @9 tombstone\n") != std::string::npos);
  CHECK(text.find("\"zebra\" @10 = \"\"\n") != std::string::npos);

  o.keys_only = true;
  text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(text.find("\n\"apple\"\n\"bin\\xff\\x01\"\n\"gone\"\n\"zebra\"\n") != std::string::npos);

  o = {};
  o.index = o.bloom = o.verify = true;
  text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(s.ok());
  CHECK(text.find("index: 1 data blocks\n  last key \"zebra\"  offset 0  size") !=
        std::string::npos);
  CHECK(text.find("bloom: 64 bits") != std::string::npos);
  CHECK(text.find("verify: ok") != std::string::npos);
  CHECK(text.find("\"apple\" @7") == std::string::npos);  // sections replace the entries

  o = {};
  o.json = true;
  text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(s.ok());
  CHECK(text.find("{\"file\":\"/d/1.sst\",\"properties\":{\"entries\":4,\"tombstones\":1,") == 0);
  CHECK(text.find("{\"key\":\"apple\",\"value\":\"red \\\"ripe\\\"\\n\",\"tombstone\":false,"
                  "\"seq\":7}") != std::string::npos);
  CHECK(text.find("{\"key\":\"Ymlu/wE=\",\"key_base64\":true,\"value\":\"AJ8=\","
                  "\"value_base64\":true,\"tombstone\":false,\"seq\":8}") != std::string::npos);
  CHECK(text.find("{\"key\":\"gone\",\"value\":null,\"tombstone\":true,\"seq\":9}") !=
        std::string::npos);
  CHECK(text.back() == '\n');
  // The streamed object is one JSON document, and its bytes read back by the base64 rule.
  Result<boost::json::value> parsed = json::Parse(text);
  REQUIRE(parsed.ok());
  const boost::json::array& entries = parsed->at("entries").as_array();
  REQUIRE(entries.size() == 4);
  CHECK(json::GetBytes(entries[1].as_object(), "key") == std::string("bin\xff\x01"));
  CHECK(json::GetBytes(entries[1].as_object(), "value") == std::string("\x00\x9f", 2));
  CHECK(parsed->at("properties").at("compression_ratio").is_double());

  o.index = o.bloom = o.verify = true;
  text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(text.find("\"index\":[\n{\"last_key\":\"zebra\",\"offset\":0,\"size\":") !=
        std::string::npos);
  CHECK(text.find("\"bloom\":{\"bits\":64,\"hash_count\":7,\"keys\":4,") != std::string::npos);
  CHECK(text.find("\"verify\":{\"ok\":true}") != std::string::npos);
  CHECK(json::Parse(text).ok());
}

TEST_CASE("table dump: missing and corrupt files give errors, JSON stays whole") {
  auto env = NewMemEnv();
  Status s;
  TableDumpOptions o;
  o.json = true;
  std::string text = Dump(env.get(), "/nope.sst", o, &s);
  CHECK(s.Is(ErrorCode::kNotFound));
  CHECK(text.find("{\"file\":\"/nope.sst\",\"error\":{\"code\":") == 0);

  REQUIRE(testing::BuildTable(env.get(), "/d/2.sst", SmallModel()).ok());
  std::string bytes = *env->ReadFileToString("/d/2.sst");
  bytes[3] ^= 1;  // inside the only data block
  {
    auto f = env->NewWritableFile("/d/2.sst");
    REQUIRE((*f)->Append(bytes).ok());
    REQUIRE((*f)->Close().ok());
  }
  text = Dump(env.get(), "/d/2.sst", o, &s);
  CHECK(s.Is(ErrorCode::kCorruption));
  CHECK(s.message().find("/d/2.sst: corruption at offset 0") != std::string::npos);
  CHECK(text.find("\"entries\":[],\"error\":{\"code\":") != std::string::npos);
  CHECK(text.substr(text.size() - 3) == "}}\n");
  CHECK(json::Parse(text).ok());

  o = {};
  o.verify = true;
  Dump(env.get(), "/d/2.sst", o, &s);
  CHECK(s.Is(ErrorCode::kCorruption));
}

}  // namespace
}  // namespace kv
