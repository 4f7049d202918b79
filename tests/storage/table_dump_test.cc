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

// A decoder as a layer above storage gives one (libkv/replication/stored_value_decoder.h): here
// it only brackets each value, to show where DumpTable puts what it says.
class BracketDecoder : public TableValueDecoder {
 public:
  std::string_view What() const override { return "brackets"; }
  void AppendText(std::string_view, std::string_view value, std::string* out) override {
    out->append("  <" + std::string(value.size(), '*') + ">\n");
    ++values_;
  }
  void AddJson(std::string_view, std::string_view value, boost::json::object& entry) override {
    entry["stars"] = value.size();
    ++values_;
  }
  std::string SummaryText() const override { return std::to_string(values_) + " bracketed"; }
  boost::json::object SummaryJson() const override {
    return boost::json::object{{"bracketed", values_}};
  }
  Status Finish() const override { return Status::Ok(); }

 private:
  int values_ = 0;
};

TEST_CASE("table dump: a decoder describes each value, never an engine tombstone") {
  auto env = NewMemEnv();
  REQUIRE(testing::BuildTable(env.get(), "/d/1.sst", SmallModel()).ok());
  Status s;
  BracketDecoder decoder;
  TableDumpOptions o;
  o.decoder = &decoder;
  std::string text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(s.ok());
  CHECK(text.find("values decoded as brackets\n") != std::string::npos);
  CHECK(text.find("\"apple\" @7\n  <***********>\n") != std::string::npos);
  CHECK(text.find("\"gone\" @9 tombstone (the engine's") != std::string::npos);
  CHECK(text.find("decoded: 3 bracketed; 1 engine tombstones\n") != std::string::npos);
  BracketDecoder json_decoder;
  o.decoder = &json_decoder;
  o.json = true;
  text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(s.ok());
  CHECK(text.find("{\"key\":\"apple\",\"stars\":11,\"tombstone\":false,\"seq\":7}") !=
        std::string::npos);
  CHECK(text.find("\"decoded\":{\"as\":\"brackets\",\"engine_tombstones\":1,\"bracketed\":3}") !=
        std::string::npos);
}

TEST_CASE("table dump: a file that is not a table is said to be one; a cut table is damaged") {
  auto env = NewMemEnv();
  REQUIRE(env->WriteFileAtomically("/d/passwd", std::string(200, 'x')).ok());
  Status s;
  Dump(env.get(), "/d/passwd", TableDumpOptions{}, &s);
  CHECK(s.Is(ErrorCode::kInvalidArgument));
  CHECK(s.message().find("/d/passwd is not a kv table") != std::string::npos);
  REQUIRE(env->WriteFileAtomically("/d/000009.sst", std::string(200, 'x')).ok());
  Dump(env.get(), "/d/000009.sst", TableDumpOptions{}, &s);
  CHECK(s.Is(ErrorCode::kCorruption));  // named as a table: one that lost its end
}

TEST_CASE("table dump: text and JSON for entries, keys, index, bloom, verify") {
  auto env = NewMemEnv();
  REQUIRE(testing::BuildTable(env.get(), "/d/1.sst", SmallModel()).ok());
  Status s;
  TableDumpOptions o;
  std::string text = Dump(env.get(), "/d/1.sst", o, &s);
  CHECK(s.ok());
  CHECK(text.find("/d/1.sst: 4 entries (1 engine tombstones)") != std::string::npos);
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
