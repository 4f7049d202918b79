#include "tools/kvbench/bench_report.h"

#include <filesystem>
#include <fstream>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "libkv/base/json.h"

namespace kv::bench {

namespace {

double Micros(uint64_t nanos) {
  return static_cast<double>(nanos) / 1000.0;
}

std::string MiB(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", bytes / 1048576.0);
}

// The latency figures of one histogram, in microseconds to 3 decimals.
void PutLatency(boost::json::object& out, const LatencyHistogram& h) {
  out["p50_us"] = json::Round(Micros(h.PercentileNanos(0.50)), 3);
  out["p99_us"] = json::Round(Micros(h.PercentileNanos(0.99)), 3);
  out["p999_us"] = json::Round(Micros(h.PercentileNanos(0.999)), 3);
  out["max_us"] = json::Round(Micros(h.max_nanos()), 3);
  out["mean_us"] = json::Round(h.mean_nanos() / 1000.0, 3);
}

}  // namespace

std::string FormatHuman(const BenchReport& r) {
  std::string out =
      fmt::format("{:<12} {:<8} {} ops, {} {}, {:.3f} s: {:.0f} ops/s\n", r.workload, r.system,
                  r.ops, r.workers, r.workers_name, r.seconds, r.ops_per_sec());
  const auto& h = r.latency;
  out +=
      fmt::format("  latency us: p50 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max {:.1f}  mean {:.1f}\n",
                  Micros(h.PercentileNanos(0.50)), Micros(h.PercentileNanos(0.99)),
                  Micros(h.PercentileNanos(0.999)), Micros(h.max_nanos()), h.mean_nanos() / 1000.0);
  for (const OpTypeReport& t : r.op_types) {
    const auto& th = t.latency;
    const double rate = r.seconds > 0 ? static_cast<double>(t.ops) / r.seconds : 0;
    out += fmt::format(
        "  {:<7} {} ops, {:.0f} ops/s; latency us: p50 {:.1f}  p99 {:.1f}  p99.9 {:.1f}  max "
        "{:.1f}\n",
        t.name, t.ops, rate, Micros(th.PercentileNanos(0.50)), Micros(th.PercentileNanos(0.99)),
        Micros(th.PercentileNanos(0.999)), Micros(th.max_nanos()));
  }
  if (r.is_read) {
    out += fmt::format("  found {}  not found {}", r.found, r.not_found);
    if (r.siblings) out += fmt::format("  with siblings {}", *r.siblings);
    out += "\n";
  }
  std::string tail;
  if (!r.distribution.empty()) tail += fmt::format("  key distribution {}", r.distribution);
  if (r.load_ops && r.load_seconds)
    tail += fmt::format("  loaded {} keys first in {:.3f} s", *r.load_ops, *r.load_seconds);
  if (r.target_rate) tail += fmt::format("  paced at {:.0f} ops/s", *r.target_rate);
  if (!r.sync.empty()) tail += fmt::format("  sync {}", r.sync);
  if (!r.compression.empty()) tail += fmt::format("  compression {}", r.compression);
  if (r.cache_bytes) tail += fmt::format("  cache {}", MiB(*r.cache_bytes));
  if (r.cache_hit_ratio) tail += fmt::format(" (hit ratio {:.3f})", *r.cache_hit_ratio);
  if (r.peak_rss_bytes) tail += fmt::format("  peak RSS {}", MiB(*r.peak_rss_bytes));
  if (r.disk_bytes) tail += fmt::format("  on disk {}", MiB(*r.disk_bytes));
  if (r.bytes_written && r.user_bytes > 0)
    tail += fmt::format("  wrote {} (write amplification {:.2f})", MiB(*r.bytes_written),
                        static_cast<double>(*r.bytes_written) / static_cast<double>(r.user_bytes));
  if (!tail.empty()) out += tail + "\n";
  if (r.server_cpu_us_per_op) {
    out +=
        fmt::format("  server CPU: {:.1f} µs/op (user+system, {} node{}", *r.server_cpu_us_per_op,
                    r.server_cpu_nodes, r.server_cpu_nodes == 1 ? "" : "s");
    out += r.server_cpu_note.empty() ? ")\n" : fmt::format("; {})\n", r.server_cpu_note);
  } else if (!r.server_cpu_note.empty()) {
    out += fmt::format("  server CPU: unknown ({})\n", r.server_cpu_note);
  }
  return out;
}

std::string FormatJson(const BenchReport& r) {
  // Names and workload strings here are ours, but Boost.JSON escapes them anyway.
  boost::json::object out;
  out["system"] = r.system;
  out["workload"] = r.workload;
  out["ops"] = r.ops;
  out["seconds"] = json::Round(r.seconds, 6);
  out["ops_per_sec"] = json::Round(r.ops_per_sec(), 1);
  out[r.workers_name] = r.workers;
  PutLatency(out, r.latency);
  for (const OpTypeReport& t : r.op_types) {
    boost::json::object op;
    op["ops"] = t.ops;
    op["ops_per_sec"] = json::Round(r.seconds > 0 ? static_cast<double>(t.ops) / r.seconds : 0, 1);
    PutLatency(op, t.latency);
    out[t.name] = std::move(op);
  }
  if (r.is_read) {
    out["found"] = r.found;
    out["not_found"] = r.not_found;
  }
  if (r.siblings) out["siblings"] = *r.siblings;
  if (!r.distribution.empty()) out["distribution"] = r.distribution;
  if (r.load_ops) out["load_ops"] = *r.load_ops;
  if (r.load_seconds) out["load_seconds"] = json::Round(*r.load_seconds, 6);
  if (r.target_rate) out["target_rate"] = json::Round(*r.target_rate, 1);
  if (!r.sync.empty()) out["sync"] = r.sync;
  if (!r.compression.empty()) out["compression"] = r.compression;
  if (r.cache_bytes) out["cache_bytes"] = *r.cache_bytes;
  if (r.cache_hit_ratio) out["cache_hit_ratio"] = json::Round(*r.cache_hit_ratio, 4);
  if (r.peak_rss_bytes) out["peak_rss_bytes"] = *r.peak_rss_bytes;
  if (r.disk_bytes) out["disk_bytes"] = *r.disk_bytes;
  if (r.bytes_written && r.user_bytes > 0) {
    out["bytes_written"] = *r.bytes_written;
    out["user_bytes"] = r.user_bytes;
  }
  if (r.server_cpu_us_per_op || !r.server_cpu_note.empty()) {
    if (r.server_cpu_us_per_op) {
      out["server_cpu_us_per_op"] = json::Round(*r.server_cpu_us_per_op, 3);
    } else {
      out["server_cpu_us_per_op"] = nullptr;
    }
    out["server_cpu_nodes"] = r.server_cpu_nodes;
  }
  if (!r.server_cpu_note.empty()) out["server_cpu_note"] = r.server_cpu_note;
  return json::Serialize(out);
}

namespace {

// The number on the line of `path` that starts with `field` ("VmHWM:	  123456 kB").
std::optional<uint64_t> ProcField(const char* path, std::string_view field) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) != 0) continue;
    uint64_t value = 0;
    for (char c : line.substr(field.size())) {
      if (c >= '0' && c <= '9') value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> PeakRssBytes() {
  const auto kib = ProcField("/proc/self/status", "VmHWM:");
  if (!kib) return std::nullopt;
  return *kib * 1024;
}

std::optional<uint64_t> WrittenBytes() {
  return ProcField("/proc/self/io", "wchar:");
}

std::optional<uint64_t> DirectoryBytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      uint64_t size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  if (ec) return std::nullopt;
  return total;
}

}  // namespace kv::bench
