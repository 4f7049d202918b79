// kv_nemesis_client: the clients and the checker of the fault test (tests/nemesis/nemesis.sh).
//
//   run:   --clients threads, each with its own blocking Client on one of --nodes (spread over
//          them, moving to the next node after any failure), keep an add-only set per key by
//          read-modify-write: read the key, take the union of its live siblings (a value is a
//          comma-separated set of unique element ids, "c3-1042"), add a new element, put the
//          set back with the read's context; --return-ms after a failure, back to its home node.
//          Every operation goes to the log (below) before and after its put. With --resolve lww a
//          client keeps only the newest sibling instead of the union: the positive control, which
//          must lose acknowledged elements.
//   check: after the faults are healed, reads every key of the logs at R = --r (every replica),
//          retrying until it answers, and prints the Jepsen-style table: attempted,
//          acknowledged, lost (acknowledged, missing), unexpected (present, never attempted),
//          recovered (indeterminate, present), failed-but-present (a put reported as surely not
//          applied, present), and availability overall, outside and during the fault windows of
//          --faults. Exit 0 only when lost, unexpected and failed-but-present are 0 (with
//          --expect-loss: when lost > 0 and the other two are 0, the control's verdict).
//
// Log lines, one write(2) each with O_APPEND (whole lines from many threads; a client killed
// mid-line leaves a torn last line, which the checker skips), times in ms since the epoch:
//   R MS KEY CODE NODE CLIENT  the read of an operation failed: nothing was put
//   A MS ELEMENT KEY NODE      the read worked; ELEMENT is about to be put (MS: when the read
//                              began; ELEMENT is CLIENT-SEQ)
//   O MS ELEMENT OUTCOME       the put's outcome: ok | failed (surely not applied) | indeterminate
// An A without its O (the client was killed) counts as indeterminate.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "libkv/base/json.h"
#include "libkv/client/client.h"
#include "tests/security/tls_environment.h"

namespace {

using Clock = std::chrono::steady_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find(sep, start), text.size());
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string KeyName(int i) {
  return fmt::format("nk{}", i);
}

// The elements of every live sibling: what a reader of the key can see.
std::set<std::string> UnionOf(const kv::GetResult& got) {
  std::set<std::string> elements;
  for (const kv::Version* v : got.live())
    for (std::string& e : Split(v->value, ',')) elements.insert(std::move(e));
  return elements;
}

// The positive control's mistake: the newest sibling by the coordinators' wall clocks wins.
std::set<std::string> NewestOf(const kv::GetResult& got) {
  const kv::Version* newest = nullptr;
  for (const kv::Version* v : got.live())
    if (newest == nullptr || v->timestamp_micros >= newest->timestamp_micros) newest = v;
  std::set<std::string> elements;
  if (newest != nullptr)
    for (std::string& e : Split(newest->value, ',')) elements.insert(std::move(e));
  return elements;
}

std::string Join(const std::set<std::string>& elements) {
  std::string out;
  for (const std::string& e : elements) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

enum class Outcome { kOk, kFailed, kIndeterminate };

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kOk:
      return "ok";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kIndeterminate:
      return "indeterminate";
  }
  return "indeterminate";
}

// What a put's Status says about the write. Surely not applied only when nothing reached a node:
// InvalidArgument (checked before sending, or refused by the coordinator before applying), or the
// client could not connect and hand-shake (client.cc sends the request only after that; its
// messages then start "cannot connect to"). Everything else — Timeout, a lost connection, a
// quorum not met after the coordinator applied it locally, a failed forward — may have been
// applied.
Outcome Classify(const kv::Status& s) {
  if (s.ok()) return Outcome::kOk;
  if (s.code() == kv::ErrorCode::kInvalidArgument) return Outcome::kFailed;
  if ((s.code() == kv::ErrorCode::kUnavailable || s.code() == kv::ErrorCode::kTimeout) &&
      s.message().rfind("cannot connect to ", 0) == 0)
    return Outcome::kFailed;
  return Outcome::kIndeterminate;
}

void AppendLine(int fd, const std::string& line) {
  const ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
}

struct RunOptions {
  std::vector<kv::HostPort> nodes;
  int keys = 8;
  double seconds = 30;
  int clients = 6;
  std::string log;
  uint32_t w = 0, r = 0;
  bool lww = false;
  std::string id_prefix = "c";
  int timeout_ms = 3000;
  int pause_ms = 0;
  int return_ms = 1000;
  uint64_t seed = 1;
};

int Run(const RunOptions& o) {
  const int fd = ::open(o.log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) {
    std::cerr << "run: cannot open " << o.log << "\n";
    return 2;
  }
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.seconds * 1000));
  std::atomic<uint64_t> ok_count{0}, failed_count{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < o.clients; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(o.seed * 1000 + t);
      const kv::ClientOptions options =
          kv::testing::TestClientOptions(std::chrono::milliseconds(o.timeout_ms));
      // A client has a home node; after a failure it moves to the next node, and returns home
      // once --return-ms have passed, so a faulty node keeps being asked, as a client pinned
      // to it with a fallback would.
      const size_t home = t % o.nodes.size();
      size_t at = home;
      auto client = kv::Client::Lazy(o.nodes[at], options);
      Clock::time_point moved_at;
      auto next_node = [&] {
        at = (at + 1) % o.nodes.size();
        client = kv::Client::Lazy(o.nodes[at], options);
        moved_at = Clock::now();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      };
      for (uint64_t seq = 1; Clock::now() < deadline; ++seq) {
        if (at != home && o.return_ms > 0 &&
            Clock::now() - moved_at > std::chrono::milliseconds(o.return_ms)) {
          at = home;
          client = kv::Client::Lazy(o.nodes[at], options);
        }
        const std::string key = KeyName(static_cast<int>(rng() % o.keys));
        const std::string node = o.nodes[at].ToString();
        const int64_t start = NowMs();
        kv::Result<kv::GetResult> got = client->Get(key, kv::ReadOptions{.r = o.r});
        if (!got.ok()) {
          AppendLine(fd, fmt::format("R {} {} {} {} {}{}\n", start, key,
                                     kv::ErrorCodeName(got.status().code()), node, o.id_prefix, t));
          ++failed_count;
          next_node();
          continue;
        }
        std::set<std::string> elements = o.lww ? NewestOf(*got) : UnionOf(*got);
        const std::string element = fmt::format("{}{}-{}", o.id_prefix, t, seq);
        elements.insert(element);
        AppendLine(fd, fmt::format("A {} {} {} {}\n", start, element, key, node));
        const kv::Status put =
            client->Put(key, Join(elements), kv::WriteOptions{.context = got->context, .w = o.w});
        const Outcome outcome = Classify(put);
        AppendLine(fd, fmt::format("O {} {} {}\n", NowMs(), element, OutcomeName(outcome)));
        if (outcome == Outcome::kOk) {
          ++ok_count;
          if (o.pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.pause_ms));
        } else {
          ++failed_count;
          next_node();
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  ::close(fd);
  std::cerr << fmt::format("run: {} operations acknowledged, {} not\n", ok_count.load(),
                           failed_count.load());
  return 0;
}

struct Element {
  std::string key;
  int64_t start_ms = 0;
  Outcome outcome = Outcome::kIndeterminate;  // until its O line is read
};

struct Op {
  int64_t start_ms;
  bool acknowledged;
  std::string client;  // "c3": the thread that ran it
};

struct FaultWindow {
  int64_t start_ms, end_ms;
  std::string kind;
};

// Two measures: of the operations begun, those acknowledged; and of the client-seconds (each
// client thread in each second of the run), those in which an operation begun was acknowledged.
// The first is Jepsen's; the second is what a user pinned to a node sees, since a client that
// waits out a 3 s timeout begins few operations and so weighs little in the first.
struct Availability {
  uint64_t ops = 0, acknowledged = 0;
  uint64_t client_seconds = 0, client_seconds_ok = 0;
  void AddOp(bool ok) {
    ++ops;
    if (ok) ++acknowledged;
  }
  void AddClientSecond(bool ok) {
    ++client_seconds;
    if (ok) ++client_seconds_ok;
  }
  static double Percent(uint64_t part, uint64_t all) {
    return all == 0 ? 100.0 : 100.0 * part / all;
  }
  std::string Text() const {
    return fmt::format("{:5.1f}% of ops ({} of {}), {:5.1f}% of client-seconds ({} of {})",
                       Percent(acknowledged, ops), acknowledged, ops,
                       Percent(client_seconds_ok, client_seconds), client_seconds_ok,
                       client_seconds);
  }
  boost::json::object Json() const {
    return {
        {"ops", ops},
        {"acknowledged", acknowledged},
        {"percent", kv::json::Round(Percent(acknowledged, ops), 2)},
        {"client_seconds", client_seconds},
        {"client_seconds_ok", client_seconds_ok},
        {"client_seconds_percent", kv::json::Round(Percent(client_seconds_ok, client_seconds), 2)}};
  }
};

struct CheckOptions {
  std::vector<kv::HostPort> nodes;
  std::vector<std::string> logs;
  std::string faults;
  uint32_t r = 3;
  int read_timeout_s = 60;
  bool json = false;
  std::string json_out;  // also write the JSON here
  bool expect_loss = false;
  std::string title;
};

int Check(const CheckOptions& o) {
  std::unordered_map<std::string, Element> elements;
  std::vector<std::pair<int64_t, std::string>> failed_reads;  // start, client
  std::set<std::string> keys;
  for (const std::string& path : o.logs) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "check: cannot read " << path << "\n";
      return 2;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string kind, a, b, c, d;
      int64_t ms;
      if (!(fields >> kind >> ms >> a >> b)) continue;  // a torn last line
      if (kind == "R") {
        if (!(fields >> c >> d)) continue;
        failed_reads.emplace_back(ms, d);
      } else if (kind == "A") {
        elements[a] = Element{.key = b, .start_ms = ms, .outcome = Outcome::kIndeterminate};
        keys.insert(b);
      } else if (kind == "O") {
        auto it = elements.find(a);
        if (it == elements.end()) continue;
        if (b == "ok") it->second.outcome = Outcome::kOk;
        if (b == "failed") it->second.outcome = Outcome::kFailed;
      }
    }
  }
  std::vector<FaultWindow> windows;
  if (!o.faults.empty()) {
    std::ifstream in(o.faults);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      FaultWindow w;
      if (fields >> w.start_ms >> w.end_ms >> w.kind) windows.push_back(w);
    }
  }

  // Every key, read at R = every replica, once the cluster answers.
  std::map<std::string, std::set<std::string>> present;  // key -> elements read
  size_t at = 0;
  auto client =
      kv::Client::Lazy(o.nodes[at], kv::testing::TestClientOptions(std::chrono::seconds(5)));
  for (const std::string& key : keys) {
    const auto give_up = Clock::now() + std::chrono::seconds(o.read_timeout_s);
    for (;;) {
      kv::Result<kv::GetResult> got = client->Get(key, kv::ReadOptions{.r = o.r});
      if (got.ok()) {
        present[key] = UnionOf(*got);
        break;
      }
      if (Clock::now() > give_up) {
        std::cerr << fmt::format("check: cannot read {} at R={} within {} s: {}\n", key, o.r,
                                 o.read_timeout_s, got.status().ToString());
        return 3;
      }
      at = (at + 1) % o.nodes.size();
      client =
          kv::Client::Lazy(o.nodes[at], kv::testing::TestClientOptions(std::chrono::seconds(5)));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  uint64_t attempted = elements.size(), acknowledged = 0, lost = 0, unexpected = 0, recovered = 0,
           indeterminate = 0, failed = 0, failed_present = 0;
  std::vector<std::string> lost_examples, unexpected_examples;
  std::vector<Op> ops;
  for (const auto& [name, e] : elements) {
    const bool there = present[e.key].count(name) > 0;
    switch (e.outcome) {
      case Outcome::kOk:
        ++acknowledged;
        if (!there) {
          ++lost;
          if (lost_examples.size() < 10) lost_examples.push_back(name + "@" + e.key);
        }
        break;
      case Outcome::kIndeterminate:
        ++indeterminate;
        if (there) ++recovered;
        break;
      case Outcome::kFailed:
        ++failed;
        if (there) ++failed_present;
        break;
    }
    ops.push_back(Op{e.start_ms, e.outcome == Outcome::kOk, name.substr(0, name.find('-'))});
  }
  for (const auto& [key, read] : present) {
    for (const std::string& name : read) {
      auto it = elements.find(name);
      if (it == elements.end() || it->second.key != key) {
        ++unexpected;
        if (unexpected_examples.size() < 10) unexpected_examples.push_back(name + "@" + key);
      }
    }
  }
  for (const auto& [ms, client] : failed_reads) ops.push_back(Op{ms, false, client});

  // Availability: every operation (a failed read included) by when it began.
  Availability overall, quiet;
  std::map<std::string, Availability> by_kind;
  // Calls add(availability) for `overall`, and for `quiet` or each fault window holding `ms`.
  auto account = [&](int64_t ms, auto add) {
    add(overall);
    bool in_fault = false;
    for (const FaultWindow& w : windows) {
      if (ms >= w.start_ms && ms <= w.end_ms) {
        add(by_kind[w.kind]);
        in_fault = true;
      }
    }
    add(in_fault ? by_kind["any fault"] : quiet);
  };
  int64_t first_ms = INT64_MAX, last_ms = 0;
  for (const Op& op : ops) {
    account(op.start_ms, [&](Availability& a) { a.AddOp(op.acknowledged); });
    first_ms = std::min(first_ms, op.start_ms);
    last_ms = std::max(last_ms, op.start_ms);
  }
  // Per second of the run: acknowledged and other operations; the longest stretch of seconds
  // without an acknowledgement is the worst unavailability a client saw.
  const size_t seconds = ops.empty() ? 0 : static_cast<size_t>((last_ms - first_ms) / 1000 + 1);
  std::vector<uint64_t> ok_per_s(seconds), bad_per_s(seconds);
  for (const Op& op : ops) {
    const size_t s = static_cast<size_t>((op.start_ms - first_ms) / 1000);
    (op.acknowledged ? ok_per_s : bad_per_s)[s]++;
  }
  std::map<std::string, std::vector<bool>> acked_in_second;  // client -> second -> any ack
  for (const Op& op : ops) {
    std::vector<bool>& acked = acked_in_second[op.client];
    acked.resize(seconds);
    if (op.acknowledged) acked[static_cast<size_t>((op.start_ms - first_ms) / 1000)] = true;
  }
  for (const auto& [client, acked] : acked_in_second) {
    for (size_t s = 0; s < seconds; ++s) {
      const int64_t middle = first_ms + static_cast<int64_t>(s) * 1000 + 500;
      account(middle, [&](Availability& a) { a.AddClientSecond(acked[s]); });
    }
  }
  size_t longest_gap = 0, gap = 0;
  for (size_t s = 0; s < seconds; ++s) {
    gap = ok_per_s[s] == 0 ? gap + 1 : 0;
    longest_gap = std::max(longest_gap, gap);
  }

  const bool passed = o.expect_loss ? lost > 0 && unexpected == 0 && failed_present == 0
                                    : lost == 0 && unexpected == 0 && failed_present == 0;
  {
    boost::json::object faults;
    for (const auto& [kind, a] : by_kind) faults[kind] = a.Json();
    const std::string json =
        kv::json::Serialize(boost::json::object{
            {"keys", keys.size()},
            {"attempted", attempted},
            {"acknowledged", acknowledged},
            {"lost", lost},
            {"unexpected", unexpected},
            {"recovered", recovered},
            {"indeterminate", indeterminate},
            {"failed", failed},
            {"failed_but_present", failed_present},
            {"failed_reads", failed_reads.size()},
            {"availability",
             {{"overall", overall.Json()}, {"outside_faults", quiet.Json()}, {"faults", faults}}},
            {"longest_gap_s", longest_gap},
            {"acknowledged_per_s", boost::json::array(ok_per_s.begin(), ok_per_s.end())},
            {"failed_per_s", boost::json::array(bad_per_s.begin(), bad_per_s.end())},
            {"passed", passed}}) +
        "\n";
    if (o.json) std::cout << json;
    if (!o.json_out.empty()) {
      std::ofstream(o.json_out) << json;
    }
  }
  if (!o.json) {
    std::string out;
    if (!o.title.empty()) out += o.title + "\n";
    auto row = [&](std::string_view name, uint64_t n, std::string_view note) {
      out += fmt::format("  {:<20} {:>8}  {}\n", name, n, note);
    };
    row("keys", keys.size(), "");
    row("attempted", attempted, "puts sent (a read before them worked)");
    row("acknowledged", acknowledged, "");
    row("lost", lost,
        o.expect_loss ? "acknowledged but missing: the control must lose some"
                      : "acknowledged but missing: must be 0");
    row("unexpected", unexpected, "present but never attempted: must be 0");
    row("indeterminate", indeterminate, "timed out, quorum not met, connection lost");
    row("recovered", recovered, "indeterminate and present");
    row("failed", failed, "surely not applied");
    row("failed-but-present", failed_present, "must be 0");
    row("failed reads", failed_reads.size(), "operations that stopped at their read");
    out += fmt::format("  availability\n    {:<10} {}\n", "overall", overall.Text());
    out += fmt::format("    {:<10} {}\n", "no fault", quiet.Text());
    for (const auto& [kind, a] : by_kind) out += fmt::format("    {:<10} {}\n", kind, a.Text());
    out += fmt::format("  longest stretch without an acknowledged op: {} s of {} s\n", longest_gap,
                       seconds);
    for (const std::string& e : lost_examples) out += fmt::format("  lost: {}\n", e);
    for (const std::string& e : unexpected_examples) out += fmt::format("  unexpected: {}\n", e);
    out += fmt::format(
        "  verdict: {}\n",
        passed ? (o.expect_loss ? "PASS (the control lost acknowledged writes)" : "PASS")
               : (o.expect_loss ? "FAIL (the control lost nothing: the checker "
                                  "cannot be trusted)"
                                : "FAIL"));
    std::cout << out;
  }
  return passed ? 0 : 1;
}

kv::Result<std::vector<kv::HostPort>> ParseNodes(std::string_view text) {
  std::vector<kv::HostPort> nodes;
  for (const std::string& part : Split(text, ',')) {
    kv::Result<kv::HostPort> hp = kv::ParseHostPort(part);
    if (!hp.ok()) return hp.status();
    nodes.push_back(*hp);
  }
  if (nodes.empty()) return kv::Status::InvalidArgument("--nodes: give at least one HOST:PORT");
  return nodes;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Clients and checker of the nemesis fault test", "kv_nemesis_client"};
  app.require_subcommand(1);
  std::string nodes_text;
  RunOptions run;
  CheckOptions check;
  std::string resolve = "union";

  CLI::App* run_cmd = app.add_subcommand("run", "write add-only sets by read-modify-write");
  run_cmd->add_option("--nodes", nodes_text, "HOST:PORT,... of the cluster")->required();
  run_cmd->add_option("--keys", run.keys, "keys written")->check(CLI::Range(1, 1000000));
  run_cmd->add_option("--seconds", run.seconds, "how long to write");
  run_cmd->add_option("--clients", run.clients, "client threads")->check(CLI::Range(1, 1000));
  run_cmd->add_option("--log", run.log, "operation log to append to")->required();
  run_cmd->add_option("--w", run.w, "write quorum (0: the node's default)");
  run_cmd->add_option("--r", run.r, "read quorum (0: the node's default)");
  run_cmd->add_option("--resolve", resolve, "union of siblings, or lww (the positive control)")
      ->check(CLI::IsMember({"union", "lww"}));
  run_cmd->add_option("--id-prefix", run.id_prefix, "prefix of this process's element ids");
  run_cmd->add_option("--timeout-ms", run.timeout_ms, "client timeout per call");
  run_cmd->add_option("--pause-ms", run.pause_ms, "pause after each acknowledged operation");
  run_cmd->add_option("--return-ms", run.return_ms,
                      "after a failure, go back to the home node after this long (0: never)");
  run_cmd->add_option("--seed", run.seed);

  CLI::App* check_cmd = app.add_subcommand("check", "read every key and print the verdict");
  check_cmd->add_option("--nodes", nodes_text, "HOST:PORT,... of the cluster")->required();
  check_cmd->add_option("--log", check.logs, "operation logs")->required();
  check_cmd->add_option("--faults", check.faults, "fault windows: START_MS END_MS KIND per line");
  check_cmd->add_option("--r", check.r, "read quorum of the check (give N)");
  check_cmd->add_option("--read-timeout-s", check.read_timeout_s, "retry a key's read this long");
  check_cmd->add_option("--title", check.title, "first line of the table");
  check_cmd->add_flag("--json", check.json, "print JSON instead of the table");
  check_cmd->add_option("--json-out", check.json_out, "also write the JSON to this file");
  check_cmd->add_flag("--expect-loss", check.expect_loss,
                      "the positive control: pass only when acknowledged writes were lost");
  CLI11_PARSE(app, argc, argv);

  kv::Result<std::vector<kv::HostPort>> nodes = ParseNodes(nodes_text);
  if (!nodes.ok()) {
    std::cerr << nodes.status().ToString() << "\n";
    return 2;
  }
  if (run_cmd->parsed()) {
    run.nodes = *nodes;
    run.lww = resolve == "lww";
    return Run(run);
  }
  check.nodes = *nodes;
  return Check(check);
}
