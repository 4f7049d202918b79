# What the bench scripts (bench/run-*-figures.sh) share: a work directory with its results file
# and load log, building the programs they time, and the machine line and load averages that
# head every report. Sourced; needs $src (the repository), $build_dir and $work_dir (empty: a
# new temporary directory).
#
#   source "$src/bench/lib/figures.bash"
#   figures_work_dir compression            # sets work_dir (absolute), results, load_log
#   build_kv -DKV_PEERS=ON kvbench kvbench-peers
#   note_load "after the puts"              # a line of the load log
#   echo "$(machine_line)."                 # Commit abc1234. Machine: 2 cores (...), ...
#   print_load_log
#   engine_json kv --workload fillrandom --num 1000   # one kvbench engine / kvbench-peers JSON line
#   disk_bandwidth "$work_dir"               # the disk's sequential MB/s (fio)

# figures_work_dir NAME: work_dir (a new kv-NAME-figures.XXXXXX when empty), made absolute;
# results (JSON lines) and load_log in it, both emptied.
figures_work_dir() {
  if [[ -z $work_dir ]]; then
    work_dir=$(mktemp -d "${TMPDIR:-/tmp}/kv-$1-figures.XXXXXX")
  fi
  mkdir -p "$work_dir"
  work_dir=$(cd "$work_dir" && pwd)
  results=$work_dir/results.jsonl
  : >"$results"
  load_log=$work_dir/load.txt
  : >"$load_log"
}

# build_kv [-DCMAKE_FLAG...] TARGET...: configures build_dir (Release) and builds the targets,
# with build_jobs jobs (default 2).
build_kv() {
  local arg cmake_flags=() targets=()
  for arg in "$@"; do
    if [[ $arg == -D* ]]; then cmake_flags+=("$arg"); else targets+=("$arg"); fi
  done
  echo "building ${targets[*]} in $build_dir" >&2
  cmake -S "$src" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_flags[@]}" >/dev/null
  ninja -C "$build_dir" -j"${build_jobs:-2}" "${targets[@]}" >/dev/null
}

# The 1, 5 and 15 minute load averages now.
load_now() { cut -d' ' -f1-3 /proc/loadavg; }

# note_load WHEN: a line of the load log.
note_load() { echo "$1: load average $(load_now)" >>"$load_log"; }

# "Commit abc1234. Machine: N cores (CPU), KERNEL, FS under WORK_DIR" (no final period).
machine_line() {
  local cpu
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
  echo "Commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown). Machine: $(nproc) cores ($cpu), $(uname -sr), $(df -T "$work_dir" | awk 'NR == 2 { print $2 }') under $work_dir"
}

# The load log, indented, under its heading.
print_load_log() {
  echo "Load average during the run (1, 5, 15 min):"
  echo
  sed 's/^/    /' "$load_log"
}

# disk_bandwidth DIR: "write MB/s, read MB/s" of sequential 1 MiB direct I/O over a 1 GiB file
# in DIR (fio; the file is removed), the yardstick for streaming figures; "unknown (no fio)"
# without fio.
disk_bandwidth() {
  command -v fio >/dev/null || { echo "unknown (no fio)"; return; }
  local file=$1/fio-seq.tmp w r
  w=$(fio --name=seqwrite --filename="$file" --rw=write --bs=1M --size=1G --direct=1 \
    --end_fsync=1 --output-format=json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["bw_bytes"] / 1e6))')
  r=$(fio --name=seqread --filename="$file" --rw=read --bs=1M --size=1G --direct=1 \
    --output-format=json | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["bw_bytes"] / 1e6))')
  rm -f "$file"
  echo "write $w MB/s, read $r MB/s"
}

# engine_json SYSTEM ARGS...: one engine workload in one process (kvbench engine for kv,
# kvbench-peers --db SYSTEM for a peer, from $build_dir/bin); prints its JSON line.
engine_json() {
  local system=$1
  shift
  if [[ $system == kv ]]; then
    "$build_dir/bin/kvbench" engine "$@" --json
  else
    "$build_dir/bin/kvbench-peers" --db "$system" "$@" --json
  fi
}
