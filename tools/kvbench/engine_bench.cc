#include "tools/kvbench/engine_bench.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "tools/kvbench/ops_progress.h"
#include "tools/kvbench/workload_runner.h"

namespace kv::bench {

namespace {

constexpr const char* kFillRecordName = "kvbench.fill";

struct FillRecord {
  uint64_t num = 0;
  size_t key_size = 0;
  size_t value_size = 0;
  uint64_t seed = 0;
};

std::string FillRecordPath(const std::string& dir) {
  return dir + "/" + kFillRecordName;
}

// "key=value" lines. Written after a fill completes, so a crashed fill leaves no record.
Status WriteFillRecord(const std::string& dir, const WorkloadKeys& keys) {
  std::string tmp = FillRecordPath(dir) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "num=" << keys.num() << "\nkey_size=" << keys.key_size()
        << "\nvalue_size=" << keys.value_size() << "\nseed=" << keys.seed() << "\n";
    if (!out.flush()) return Status::IOError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, FillRecordPath(dir), ec);
  if (ec) return Status::IOError(fmt::format("cannot rename {}: {}", tmp, ec.message()));
  return Status::Ok();
}

Result<std::optional<FillRecord>> ReadFillRecord(const std::string& dir) {
  std::ifstream in(FillRecordPath(dir));
  if (!in) return std::optional<FillRecord>();
  std::map<std::string, uint64_t> fields;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    try {
      fields[line.substr(0, eq)] = std::stoull(line.substr(eq + 1));
    } catch (const std::exception&) {
      return Status::Corruption(FillRecordPath(dir) + ": bad line '" + line +
                                "'; delete the file and fill the directory again");
    }
  }
  for (const char* name : {"num", "key_size", "value_size", "seed"}) {
    if (!fields.count(name)) {
      return Status::Corruption(FillRecordPath(dir) + ": no " + name +
                                "; delete the file and fill the directory again");
    }
  }
  return std::optional<FillRecord>(
      FillRecord{fields["num"], fields["key_size"], fields["value_size"], fields["seed"]});
}

}  // namespace

Status VerifyReads(const BenchReport& report) {
  if ((report.workload == "readrandom" || report.workload == "get") && report.not_found > 0) {
    return Status::NotFound(fmt::format("{} of {} reads missed keys an earlier fill or put wrote",
                                        report.not_found, report.ops));
  }
  if ((report.workload == "a" || report.workload == "b" || report.workload == "c") &&
      report.not_found > 0) {
    return Status::NotFound(fmt::format(
        "{} of {} gets missed keys of the key space; load it first (--load, or the put workload "
        "with the same key space and seed)",
        report.not_found, report.found + report.not_found));
  }
  if (report.workload == "readmissing" && report.found > 0) {
    return Status::NotFound(
        fmt::format("{} of {} keys that no fill writes were found", report.found, report.ops));
  }
  return Status::Ok();
}

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kOk:
      return 0;
    case ErrorCode::kNotFound:
      return 1;
    case ErrorCode::kInvalidArgument:
      return 2;
    default:
      return 3;
  }
}

Result<BenchReport> RunEngineBench(const EngineBenchOptions& options, const std::string& system,
                                   const OpenTargetFn& open) {
  KV_ASSIGN_OR_RETURN(Workload workload, ParseWorkload(options.workload));
  if (workload == Workload::kPut || workload == Workload::kGet) {
    return Status::InvalidArgument("put and get are network workloads: use `kvbench net`");
  }
  if (options.threads < 1) return Status::InvalidArgument("--threads must be at least 1");
  // Option errors before anything touches the directory.
  KV_ASSIGN_OR_RETURN(ValueKind values, ParseValueKind(options.values));
  KV_ASSIGN_OR_RETURN(KeyDistribution distribution, ParseKeyDistribution(options.distribution));
  KV_ASSIGN_OR_RETURN(auto requested, WorkloadKeys::Make(options.num, options.key_size,
                                                         options.value_size, options.seed, values));
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) {
    return Status::IOError(fmt::format("cannot create --dir {}: {}", options.dir, ec.message()));
  }

  const bool write = IsWrite(workload);
  KV_ASSIGN_OR_RETURN(auto opened, open(options.dir, workload == Workload::kFillSync));
  BenchTarget& target = *opened.target;
  OpsProgress progress(options.progress);

  // The key space: this run's for a fill; the earlier fill's for reads.
  KV_ASSIGN_OR_RETURN(auto record, ReadFillRecord(options.dir));
  std::optional<WorkloadKeys> keys;
  if (write || !record) {
    keys = std::move(requested);
  } else {
    KV_ASSIGN_OR_RETURN(keys, WorkloadKeys::Make(record->num, record->key_size, record->value_size,
                                                 record->seed, values));
  }
  if (!write) {
    if (!record) {
      RunSpec prefill{Workload::kFillRandom, 0, options.threads, options.seed, 0};
      KV_ASSIGN_OR_RETURN(auto filled, RunWorkload(target, *keys, prefill, progress));
      (void)filled;
      KV_RETURN_IF_ERROR(WriteFillRecord(options.dir, *keys));
    }
    KV_RETURN_IF_ERROR(target.CompactAll());
  }

  std::optional<KeyChooser> chooser;
  if (distribution != KeyDistribution::kUniform) chooser.emplace(distribution, keys->num());
  RunSpec spec{workload,         options.num, options.threads,
               options.seed + 1, 0,           chooser ? &*chooser : nullptr};
  const auto cache_before = target.CacheLookups();
  const auto written_before = WrittenBytes();
  KV_ASSIGN_OR_RETURN(RunResult run, RunWorkload(target, *keys, spec, progress));
  const auto written_after = WrittenBytes();
  const auto cache_after = target.CacheLookups();
  if (write) KV_RETURN_IF_ERROR(WriteFillRecord(options.dir, *keys));

  BenchReport report;
  report.system = system;
  report.workload = std::string(WorkloadName(workload));
  report.workers = options.threads;
  report.ops = run.ops;
  report.seconds = run.seconds;
  report.latency = run.latency;
  report.is_read = !write;
  report.found = run.found;
  report.not_found = run.not_found;
  if (write) report.sync = opened.sync;
  if (!write && chooser) report.distribution = std::string(KeyDistributionName(distribution));
  report.compression = options.compression;
  report.cache_bytes = options.cache_bytes;
  if (!write && cache_before && cache_after) {
    const uint64_t hits = cache_after->first - cache_before->first;
    const uint64_t lookups = hits + cache_after->second - cache_before->second;
    if (lookups > 0)
      report.cache_hit_ratio = static_cast<double>(hits) / static_cast<double>(lookups);
  }
  report.disk_bytes = DirectoryBytes(options.dir);
  report.peak_rss_bytes = PeakRssBytes();
  if (write && written_before && written_after) {
    report.bytes_written = *written_after - *written_before;
    report.user_bytes = run.ops * (options.key_size + options.value_size);
  }
  return report;
}

}  // namespace kv::bench
