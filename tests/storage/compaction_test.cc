#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>

#include <fmt/format.h>

#include "libkv/env/env.h"
#include "libkv/storage/compaction.h"
#include "libkv/storage/flush.h"
#include "libkv/storage/memtable.h"
#include "libkv/storage/merging_iterator.h"

namespace kv {
namespace {

struct Write {
  SequenceNumber seq;
  EntryKind kind;
  std::string key;
  std::string value;
};

std::shared_ptr<const SortedRun> RunOf(std::vector<std::shared_ptr<const LiveTable>> tables) {
  auto run = std::make_shared<SortedRun>();
  run->tables = std::move(tables);
  return run;
}

std::shared_ptr<const LiveTable> MakeTable(Env* env, uint64_t number,
                                           const std::vector<Write>& writes) {
  MemTable mem;
  for (const auto& w : writes) mem.Add(w.seq, w.kind, w.key, w.value);
  auto shared = std::shared_ptr<MemTable>(&mem, [](MemTable*) {});
  TableBuildSpec spec{env, "/c", number, 0, TableOptions{}, {}};
  auto table = FlushMemTable(spec, *shared);
  REQUIRE_MESSAGE(table.ok(), table.status().ToString());
  return std::make_shared<const LiveTable>(std::move(*table));
}

// A table set whose run sizes are given (only file_bytes matters for picking).
TableSet Sizes(std::initializer_list<uint64_t> sizes) {
  TableSet set;
  uint64_t n = 1;
  for (uint64_t s : sizes) {
    LiveTable t;
    t.meta.number = n++;
    t.meta.props.file_bytes = s;
    set.runs.push_back(RunOf({std::make_shared<const LiveTable>(t)}));
  }
  return set;
}

}  // namespace

TEST_CASE("compaction: picking by size amplification, size ratio and run count") {
  CHECK_FALSE(PickCompaction(Sizes({100})).has_value());
  // Newer runs together reach twice the oldest: everything.
  auto all = PickCompaction(Sizes({100, 100, 100}));
  REQUIRE(all.has_value());
  CHECK(all->inputs.size() == 3);
  CHECK(all->includes_oldest);
  // Four similar small runs over a big one: the four, not the big one.
  auto four = PickCompaction(Sizes({10, 10, 10, 10, 1000}));
  REQUIRE(four.has_value());
  CHECK(four->inputs.size() == 4);
  CHECK(four->first == 0);
  CHECK_FALSE(four->includes_oldest);
  // Three small ones are not enough yet.
  CHECK_FALSE(PickCompaction(Sizes({10, 10, 10, 1000})).has_value());
  // Growing sizes (each older run much larger) but too many runs: merge the newest few.
  TableSet many;
  for (int i = 0; i < 14; i++) many.runs.push_back(Sizes({uint64_t{1} << (i + 1)}).runs[0]);
  auto capped = PickCompaction(many);
  REQUIRE(capped.has_value());
  CHECK(capped->inputs.size() == kMinMergeWidth);
  // A full compaction of one table is pointless unless it holds tombstones.
  CHECK_FALSE(PickFullCompaction(Sizes({100})).has_value());
  CHECK(PickFullCompaction(Sizes({100, 1}))->inputs.size() == 2);
}

TEST_CASE("compaction: under a steady stream of flushes the run count stays bounded") {
  // Simulates the policy: each step adds an 8 MiB run, then compacts while a trigger fires
  // (a merged run's size is the sum of its inputs: no overwrites, the worst case for space).
  constexpr uint64_t kFlush = 8 << 20;
  TableSet set;
  uint64_t next = 1, written = 0, rewritten = 0;
  size_t most_runs = 0;
  for (int flush = 0; flush < 500; flush++) {
    LiveTable t;
    t.meta.number = next++;
    t.meta.props.file_bytes = kFlush;
    set.runs.insert(set.runs.begin(), RunOf({std::make_shared<const LiveTable>(t)}));
    written += kFlush;
    most_runs = std::max(most_runs, set.runs.size());
    while (auto pick = PickCompaction(set)) {
      LiveTable out;
      out.meta.number = next++;
      for (const auto& in : pick->inputs) out.meta.props.file_bytes += in->bytes();
      rewritten += out.meta.props.file_bytes;
      set = *ReplaceRuns(set, *pick, *RunOf({std::make_shared<const LiveTable>(out)}));
    }
  }
  MESSAGE(
      fmt::format("{} flushes: at most {} runs before compaction, {} after; write "
                  "amplification {:.1f}",
                  500, most_runs, set.runs.size(), double(written + rewritten) / written));
  CHECK(most_runs <= kMaxRuns + 1);
  CHECK(set.runs.size() <= kMaxRuns);
  // Tiered merging rewrites each byte a logarithmic number of times, not once per flush.
  CHECK(rewritten < 12 * written);
}

TEST_CASE("compaction: merge keeps the newest version and purges tombstones only when allowed") {
  auto env = NewMemEnv();
  // Newest run first.
  auto newer_table = MakeTable(env.get(), 3,
                               {{10, EntryKind::kValue, "a", "a-new"},
                                {11, EntryKind::kTombstone, "b", ""},
                                {12, EntryKind::kTombstone, "z", ""}});
  auto older_table = MakeTable(env.get(), 2,
                               {{1, EntryKind::kValue, "a", "a-old"},
                                {2, EntryKind::kValue, "b", "b-old"},
                                {3, EntryKind::kValue, "c", "c-old"}});
  auto oldest_table = MakeTable(env.get(), 1, {{0, EntryKind::kValue, "z", "z-oldest"}});
  auto newer = RunOf({newer_table});
  auto older = RunOf({older_table});
  auto oldest = RunOf({oldest_table});
  TableSet set;
  set.runs = {newer, older, oldest};

  auto collect = [&](const CompactionPick& pick, const CanPurgeTombstone& purge, uint64_t number) {
    TableBuildSpec spec{env.get(), "/c", 0, 1, TableOptions{}, {}};
    auto out = RunCompaction(pick, spec, purge, [&] { return number++; });
    REQUIRE(out.ok());
    CHECK_FALSE(out->moved);
    std::map<std::string, std::pair<EntryKind, std::string>> got;
    if (out->run.tables.empty()) return got;
    auto it = NewRunIterator(std::make_shared<const SortedRun>(out->run));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      got[std::string(it->entry().key)] = {it->entry().kind, std::string(it->entry().value)};
    return got;
  };

  // Not the oldest run: tombstones stay (z's tombstone must keep hiding z-oldest).
  CompactionPick partial{0, {newer, older}, false, false};
  auto got = collect(partial, nullptr, 10);
  CHECK(got.size() == 4);
  CHECK(got["a"].second == "a-new");
  CHECK(got["b"].first == EntryKind::kTombstone);
  CHECK(got["z"].first == EntryKind::kTombstone);

  // Everything: tombstones go, and what they hid with them.
  auto full = PickFullCompaction(set);
  REQUIRE(full.has_value());
  got = collect(*full, nullptr, 11);
  CHECK(got.size() == 2);
  CHECK(got["a"].second == "a-new");
  CHECK(got["c"].second == "c-old");

  // Everything, but the policy keeps b's tombstone.
  got = collect(
      *full, [](std::string_view key, SequenceNumber) { return key != "b"; }, 12);
  CHECK(got.size() == 3);
  CHECK(got["b"].first == EntryKind::kTombstone);

  // Replacing the runs keeps the order around them.
  auto output = RunOf({newer_table});
  auto replaced = ReplaceRuns(set, partial, *output);
  REQUIRE(replaced.ok());
  REQUIRE(replaced->runs.size() == 2);
  CHECK(replaced->runs[0]->tables[0] == newer_table);
  CHECK(replaced->runs[1] == oldest);
  CHECK_FALSE(ReplaceRuns(*replaced, partial, *output).ok());
}

TEST_CASE("compaction: an obsolete value is dropped only when the output holds the oldest data") {
  auto env = NewMemEnv();
  // "k" has an older live version in the oldest run: dropping its newest version from a
  // compaction without that run would bring "k-old" back.
  auto newer = RunOf(
      {MakeTable(env.get(), 2,
                 {{10, EntryKind::kValue, "k", "obsolete"}, {11, EntryKind::kValue, "x", "1"}})});
  auto oldest = RunOf({MakeTable(env.get(), 1, {{1, EntryKind::kValue, "k", "k-old"}})});
  TableSet set;
  set.runs = {newer, oldest};
  int asked = 0;
  ValueIsObsolete obsolete = [&](std::string_view, std::string_view value) {
    ++asked;
    return value == "obsolete";
  };
  auto run_and_collect = [&](const CompactionPick& pick, uint64_t number) {
    TableBuildSpec spec{env.get(), "/c", 0, 1, TableOptions{}, {}};
    auto out = RunCompaction(
        pick, spec, nullptr, [&] { return number++; }, obsolete);
    REQUIRE(out.ok());
    std::map<std::string, std::string> got;
    if (out->run.tables.empty()) return got;
    auto it = NewRunIterator(std::make_shared<const SortedRun>(out->run));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      got[std::string(it->entry().key)] = std::string(it->entry().value);
    return got;
  };

  // Without the oldest run the filter is not even asked: "k" keeps hiding "k-old".
  CompactionPick partial{0, {newer}, false, true};
  auto got = run_and_collect(partial, 10);
  CHECK(asked == 0);
  CHECK(got["k"] == "obsolete");

  // With it, "k" goes entirely: its obsolete newest version and the older one it hid.
  auto full = PickFullCompaction(set, true);
  REQUIRE(full.has_value());
  got = run_and_collect(*full, 20);
  CHECK(asked == 2);
  CHECK(got.size() == 1);
  CHECK(got.count("k") == 0);
  CHECK(got["x"] == "1");

  // A single run without engine tombstones is still rewritten when a filter may drop values.
  TableSet one;
  one.runs = {newer};
  CHECK_FALSE(PickFullCompaction(one).has_value());
  CHECK(PickFullCompaction(one, true).has_value());
}

TEST_CASE("compaction: runs whose tables do not overlap are moved, not rewritten") {
  auto env = NewMemEnv();
  auto t1 =
      MakeTable(env.get(), 1, {{1, EntryKind::kValue, "a", "1"}, {2, EntryKind::kValue, "b", "2"}});
  auto t2 =
      MakeTable(env.get(), 2, {{3, EntryKind::kValue, "c", "3"}, {4, EntryKind::kValue, "d", "4"}});
  auto t3 = MakeTable(env.get(), 3, {{5, EntryKind::kValue, "e", "5"}});
  TableSet set;
  set.runs = {RunOf({t3}), RunOf({t2}), RunOf({t1})};
  CompactionPick pick{0, set.runs, true, false};
  TableBuildSpec spec{env.get(), "/c", 0, 1, TableOptions{}, {}};
  uint64_t number = 10;
  auto out = RunCompaction(pick, spec, nullptr, [&] { return number++; });
  REQUIRE(out.ok());
  CHECK(out->moved);
  CHECK(number == 10);  // no table written
  REQUIRE(out->run.tables.size() == 3);
  CHECK(out->run.tables[0] == t1);
  CHECK(out->run.tables[2] == t3);
  // The run reads like one table: point lookups and a scan across the files.
  auto run = std::make_shared<const SortedRun>(out->run);
  CHECK(run->TableFor("c") == t2.get());
  CHECK(run->TableFor("bb") == nullptr);
  CHECK(run->TableFor("z") == nullptr);
  std::string keys;
  auto it = NewRunIterator(run);
  for (it->SeekToFirst(); it->Valid(); it->Next()) keys += it->entry().key;
  CHECK(keys == "abcde");
  it->Seek("bb");
  REQUIRE(it->Valid());
  CHECK(it->entry().key == "c");
  // A full compaction rewrites (to purge tombstones) even when nothing overlaps.
  pick.full = true;
  out = RunCompaction(pick, spec, nullptr, [&] { return number++; });
  REQUIRE(out.ok());
  CHECK_FALSE(out->moved);
  CHECK(out->run.tables.size() == 1);
}

TEST_CASE("merging iterator: newest version per key, in order, with Seek") {
  auto a = std::make_shared<MemTable>();
  auto b = std::make_shared<MemTable>();
  a->Add(5, EntryKind::kValue, "k1", "a5");
  a->Add(6, EntryKind::kTombstone, "k3", "");
  b->Add(1, EntryKind::kValue, "k1", "b1");
  b->Add(2, EntryKind::kValue, "k2", "b2");
  b->Add(3, EntryKind::kValue, "k3", "b3");
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(b->NewIterator());
  children.push_back(a->NewIterator());
  auto merged = NewMergingIterator(std::move(children));
  std::vector<std::string> seen;
  for (merged->SeekToFirst(); merged->Valid(); merged->Next())
    seen.push_back(fmt::format("{}={}", merged->entry().key, merged->entry().value));
  CHECK(seen == std::vector<std::string>{"k1=a5", "k2=b2", "k3="});

  std::vector<std::unique_ptr<Iterator>> again;
  again.push_back(a->NewIterator());
  again.push_back(b->NewIterator());
  auto live = NewLiveKeysIterator(NewMergingIterator(std::move(again)));
  live->Seek("k2");
  REQUIRE(live->Valid());
  CHECK(live->entry().key == "k2");
  live->Next();
  CHECK_FALSE(live->Valid());  // k3 is deleted
}

}  // namespace kv
