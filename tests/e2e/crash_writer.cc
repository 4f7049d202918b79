// kv_crash_writer: the two halves of the kill -9 test (tests/e2e/crash_kill9.sh), and the
// writer and checker of the wiped-replica test (tests/e2e/repair_wiped.sh).
//   write: threads put keys with increasing sequence numbers through Client, appending to a log
//          "A KEY SEQ" before each put and "K KEY SEQ" after the node acknowledged it. Runs
//          until killed; a put that fails is retried later with a new sequence number.
//   check: reads every key in the log back and counts, per key with an acknowledgement, whether
//          it holds the last acknowledged value (or a later attempted one: a write that timed
//          out may still have landed). Prints "keys=.. acknowledged=.. missing=.. wrong=..";
//          exits 0 only when missing and wrong are 0. --r: the read quorum (a node alone: 1).
//   fill:  writes the keys k0 .. k(--keys - 1) once each, blind, at write quorum --w, spread over
//          the threads, logged as `write` does (sequence = key index + --seq-base); exits 0 when
//          every put was acknowledged, 3 at the first that was not.
// One key is written by one thread only, and one writer process runs at a time, so for each key
// the log order is the write order.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "libkv/client/client.h"
#include "tests/security/tls_environment.h"

namespace {

std::string ValueFor(uint64_t seq) {
  // Sequence first; padding makes each write a realistic 200 bytes.
  return fmt::format("seq={};{}", seq, std::string(190, 'v'));
}

// The sequence in a value written by ValueFor, or -1.
int64_t SeqOf(const std::string& value) {
  if (value.rfind("seq=", 0) != 0) return -1;
  const size_t end = value.find(';');
  if (end == std::string::npos) return -1;
  try {
    return std::stoll(value.substr(4, end - 4));
  } catch (...) {
    return -1;
  }
}

void AppendLine(int fd, const std::string& line) {
  // One write(2) per line with O_APPEND: whole lines, even from several threads.
  const ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
}

int Write(const kv::HostPort& node, const std::string& log, int threads, int keys,
          uint64_t seq_base, uint64_t seed) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) {
    std::cerr << "cannot open " << log << "\n";
    return 2;
  }
  std::atomic<uint64_t> next_seq{seq_base};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(seed * 1000 + t);
      auto client = kv::Client::Lazy(node, kv::testing::TestClientOptions(std::chrono::seconds(2)));
      for (;;) {
        const std::string key = fmt::format("t{}k{}", t, rng() % keys);
        const uint64_t seq = next_seq++;
        // Read-modify-write: a put with the context of what is there supersedes it; a blind
        // put would add a sibling at every write.
        auto before = client->Get(key);
        if (!before.ok()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        AppendLine(fd, fmt::format("A {} {}\n", key, seq));
        if (client->Put(key, ValueFor(seq), kv::WriteOptions{.context = before->context, .w = 0})
                .ok()) {
          AppendLine(fd, fmt::format("K {} {}\n", key, seq));
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}

int Fill(const kv::HostPort& node, const std::string& log, int threads, int keys, uint64_t seq_base,
         uint32_t w) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) {
    std::cerr << "cannot open " << log << "\n";
    return 2;
  }
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto client =
          kv::Client::Lazy(node, kv::testing::TestClientOptions(std::chrono::seconds(10)));
      for (int i = t; i < keys && !failed; i += threads) {
        const std::string key = fmt::format("k{}", i);
        const uint64_t seq = seq_base + static_cast<uint64_t>(i);
        AppendLine(fd, fmt::format("A {} {}\n", key, seq));
        kv::Status s = client->Put(key, ValueFor(seq), kv::WriteOptions{.context = {}, .w = w});
        if (!s.ok()) {
          std::cerr << fmt::format("fill: put {}: {}\n", key, s.ToString());
          failed = true;
          return;
        }
        AppendLine(fd, fmt::format("K {} {}\n", key, seq));
      }
    });
  }
  for (auto& worker : workers) worker.join();
  ::close(fd);
  return failed ? 3 : 0;
}

int Check(const kv::HostPort& node, const std::string& log, uint32_t r) {
  struct KeyLog {
    int64_t acked = -1;
    std::set<int64_t> attempted;
  };
  std::map<std::string, KeyLog> keys;
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    char kind;
    std::string key;
    int64_t seq;
    if (!(fields >> kind >> key >> seq)) continue;  // a torn last line from a killed writer
    KeyLog& k = keys[key];
    if (kind == 'A') k.attempted.insert(seq);
    if (kind == 'K') k.acked = std::max(k.acked, seq);
  }
  auto client = kv::Client::Connect(node, kv::testing::TestClientOptions(std::chrono::seconds(10)));
  if (!client.ok()) {
    std::cerr << "check: " << client.status().ToString() << "\n";
    return 3;
  }
  uint64_t acknowledged = 0, missing = 0, wrong = 0;
  for (const auto& [key, k] : keys) {
    auto got = (*client)->Get(key, kv::ReadOptions{.r = r});
    if (!got.ok()) {
      std::cerr << "check: " << got.status().ToString() << "\n";
      return 3;
    }
    // The newest write wins the check. A write that timed out may still land after the next
    // read of its key, leaving a sibling: any of the live versions may hold the newest sequence.
    int64_t seq = -1;
    for (const kv::Version* v : got->live()) seq = std::max(seq, SeqOf(v->value));
    if (k.acked >= 0) ++acknowledged;
    bool ok;
    if (!got->found()) {
      ok = k.acked < 0;
      if (!ok) {
        ++missing;
        std::cerr << fmt::format("missing: {} (acknowledged seq {})\n", key, k.acked);
        continue;
      }
    } else {
      ok = seq == k.acked || (seq > k.acked && k.attempted.count(seq) > 0);
    }
    if (!ok) {
      ++wrong;
      std::cerr << fmt::format("wrong: {} holds seq {}, last acknowledged {}\n", key, seq, k.acked);
    }
  }
  std::cout << fmt::format("keys={} acknowledged={} missing={} wrong={}\n", keys.size(),
                           acknowledged, missing, wrong);
  return missing == 0 && wrong == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writer and checker for the kill -9 crash test", "kv_crash_writer"};
  std::string mode, node_text, log;
  int threads = 8, keys = 64;
  uint64_t seq_base = 1, seed = 1;
  uint32_t r = 0, w = 0;
  app.add_option("MODE", mode, "write | check | fill")
      ->required()
      ->check(CLI::IsMember({"write", "check", "fill"}));
  app.add_option("--node", node_text, "HOST:PORT")->required();
  app.add_option("--log", log, "acknowledgement log")->required();
  app.add_option("--threads", threads);
  app.add_option("--keys", keys, "write: keys per thread; fill: keys in all");
  app.add_option("--seq-base", seq_base, "first sequence number (grow it across runs)");
  app.add_option("--seed", seed);
  app.add_option("--r", r, "check: read quorum (0: the node's)");
  app.add_option("--w", w, "fill: write quorum (0: the node's)");
  CLI11_PARSE(app, argc, argv);
  auto node = kv::ParseHostPort(node_text);
  if (!node.ok()) {
    std::cerr << node.status().ToString() << "\n";
    return 2;
  }
  if (mode == "write") return Write(*node, log, threads, keys, seq_base, seed);
  if (mode == "fill") return Fill(*node, log, threads, keys, seq_base, w);
  return Check(*node, log, r);
}
