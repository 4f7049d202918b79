// Runs the real kvsstdump program over tables written here: flags, outputs, exit codes.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include "libkv/replication/hint_store.h"
#include "libkv/storage/engine.h"
#include "libkv/storage/sstable.h"
#include "libkv/versioning/sibling_set.h"
#include "tests/storage/quiet_logger.h"
#include "tests/storage/table_test_model.h"

namespace kv {
namespace {

struct Run {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

Run RunTool(const std::string& args) {
  const std::string cmd = std::string(KV_BIN_DIR) + "/kvsstdump " + args + " 2>&1";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_CASE("kvsstdump: dumps, verifies, and exits with its documented codes") {
  REQUIRE_MESSAGE(std::filesystem::exists(std::string(KV_BIN_DIR) + "/kvsstdump"),
                  "build kvsstdump first (ninja builds every target)");
  const std::string dir = "/tmp/kvsstdump_test_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  REQUIRE(PosixEnv()->CreateDirs(dir + "/sub").ok());
  testing::TableModel model;
  model["k1"] = testing::ModelEntry{1, EntryKind::kValue, "v1"};
  model["k2"] = testing::ModelEntry{2, EntryKind::kTombstone, ""};
  REQUIRE(testing::BuildTable(PosixEnv(), dir + "/000001.sst", model).ok());
  REQUIRE(testing::BuildTable(PosixEnv(), dir + "/sub/000002.sst", model).ok());
  REQUIRE(PosixEnv()->WriteFileAtomically(dir + "/MANIFEST", "not a table").ok());

  Run r = RunTool(dir + "/000001.sst");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\"k1\" @1 = \"v1\"\n\"k2\" @2 tombstone\n") != std::string::npos);

  r = RunTool("--json " + dir + "/000001.sst");
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("{\"file\":", 0) == 0);

  r = RunTool("--json --keys-only " + dir);  // a directory: every *.sst under it, as an array
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("[\n{\"file\":\"" + dir + "/000001.sst\"", 0) == 0);
  CHECK(r.out.find("{\"file\":\"" + dir + "/sub/000002.sst\"") != std::string::npos);
  CHECK(r.out.find("MANIFEST") == std::string::npos);
  CHECK(r.out.substr(r.out.size() - 2) == "]\n");

  r = RunTool("--verify --index --bloom " + dir);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("verify: ok") != std::string::npos);
  CHECK(r.out.find("bloom: 64 bits") != std::string::npos);

  CHECK(RunTool("--version").out.find("kvsstdump ") == 0);
  CHECK(RunTool("--help").exit_code == 0);
  CHECK(RunTool("").exit_code == 2);
  CHECK(RunTool("--no-such-flag x").exit_code == 2);
  CHECK(RunTool(dir + "/missing.sst").exit_code == 1);

  // Damage the first table's data block: --verify names the file and offset and exits 4.
  std::string bytes = *PosixEnv()->ReadFileToString(dir + "/000001.sst");
  bytes[2] ^= 0x10;
  REQUIRE(PosixEnv()->WriteFileAtomically(dir + "/000001.sst", bytes).ok());
  r = RunTool("--verify " + dir);
  CHECK(r.exit_code == 4);
  CHECK(r.out.find(dir + "/000001.sst: corruption at offset 0") != std::string::npos);
  CHECK(r.out.find("verify: ok, every checksum of " + dir + "/sub/000002.sst") !=
        std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("kvsstdump --decode: the hint store's records, each with its target and sibling set") {
  const std::string dir = "/tmp/kvsstdump_hints_test_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  SiblingSet set;
  const uint64_t t0 = uint64_t{1'700'000'000} * 1000 * 1000;
  SiblingWrite write;  // two blind writes from one coordinator: a value and a delete, siblings
  write.coordinator = 7;
  write.value = "held";
  write.now_micros = t0;
  REQUIRE(set.Put(write, {}).ok());
  write.tombstone = true;
  REQUIRE(set.Put(write, {}).ok());
  {
    HintStoreOptions o;
    o.env = PosixEnv();
    o.dir = HintDir(dir);
    o.logger = testing::QuietLogger();
    auto store = HintStore::Open(o);
    REQUIRE(store.ok());
    REQUIRE((*store)->Add("n2", "k1", set.Encode(), t0).ok());
    REQUIRE((*store)->Add("n3", "k2", set.Encode(), t0).ok());
    REQUIRE((*store)->Remove("n3", 2).ok());  // delivered: an engine tombstone
    REQUIRE((*store)->Close().ok());
  }
  {  // the hints into a table, as the store's engine does once its memtable fills
    EngineOptions o;
    o.env = PosixEnv();
    o.dir = HintDir(dir);
    auto engine = Engine::Open(o);
    REQUIRE(engine.ok());
    REQUIRE((*engine)->Flush().ok());
    REQUIRE((*engine)->Close().ok());
  }
  Run r = RunTool("--decode " + dir + "/hints");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("values decoded as hint records") != std::string::npos);
  CHECK(r.out.find("hint #1 for node \"n2\", stored at 2023-11-14T22:13:20.000000Z, key \"k1\"") !=
        std::string::npos);
  CHECK(r.out.find("value (4 bytes) \"held\"") != std::string::npos);
  CHECK(r.out.find("client delete") != std::string::npos);
  CHECK(r.out.find("decoded: 1 hints, holding 1 sibling sets (1 with siblings, 0 deleted by a "
                   "client), 2 versions (1 client deletes); 1 engine tombstones") !=
        std::string::npos);

  r = RunTool("--decode --json " + dir + "/hints");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(
            "\"hint\":{\"target\":\"n2\",\"sequence\":1,\"created_micros\":" + std::to_string(t0) +
            ",\"key\":\"k1\",\"siblings\":[{\"value\":\"held\"") != std::string::npos);
  CHECK(r.out.find("\"decoded\":{\"as\":\"hint records\",\"engine_tombstones\":1,") !=
        std::string::npos);

  // The same table read as a data table: its values are not sibling sets, and that is said.
  const std::string copy = dir + "/copy.sst";
  for (const auto& f : std::filesystem::directory_iterator(dir + "/hints"))
    if (f.path().extension() == ".sst") std::filesystem::copy_file(f.path(), copy);
  r = RunTool("--decode " + copy);
  CHECK(r.exit_code == 4);
  CHECK(r.out.find("1 value did not decode as sibling sets") != std::string::npos);
  CHECK(r.out.find("undecodable (") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("kvsstdump: every flag of --help is in the man page and the three completions") {
  const std::string help = RunTool("--help").out;
  std::set<std::string> flags;
  const std::regex flag_re("--[a-z][a-z-]*");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), flag_re);
       it != std::sregex_iterator(); ++it)
    flags.insert(it->str());
  CHECK(flags.size() >= 7);
  const std::string src = KV_SOURCE_DIR;
  for (const char* file : {"/man/kvsstdump.1", "/completions/bash/kvsstdump",
                           "/completions/zsh/_kvsstdump", "/completions/fish/kvsstdump.fish"}) {
    auto text = PosixEnv()->ReadFileToString(src + file);
    REQUIRE_MESSAGE(text.ok(), file);
    for (const std::string& flag : flags) {
      // roff writes '-' as '\-'; fish writes "-l name".
      std::string roff;
      for (char c : flag) roff += c == '-' ? std::string("\\-") : std::string(1, c);
      const bool found = text->find(flag) != std::string::npos ||
                         text->find(roff) != std::string::npos ||
                         text->find("-l " + flag.substr(2) + " ") != std::string::npos;
      CHECK_MESSAGE(found, flag << " missing from " << file);
    }
  }
}

}  // namespace
}  // namespace kv
