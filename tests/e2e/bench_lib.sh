#!/usr/bin/env bash
# The helpers the bench scripts share (bench/lib/figures.bash): they are not run in CI (the
# lead takes figures on a quiet machine), so this checks what they set up and print.
set -euo pipefail
: "${KV_SOURCE_DIR:?set KV_SOURCE_DIR to the repository}"
src=$KV_SOURCE_DIR
fail() { echo "FAIL: $*" >&2; exit 1; }
for script in "$src"/bench/*.sh "$src"/bench/lib/*.bash; do bash -n "$script" || fail "$script does not parse"; done

source "$src/bench/lib/figures.bash"
work_dir=
figures_work_dir selftest
trap 'rm -rf "$work_dir"' EXIT
[[ $work_dir == /* && -d $work_dir && $work_dir == *kv-selftest-figures.* ]] || fail "work_dir: $work_dir"
[[ -f $results && ! -s $results && -f $load_log ]] || fail "results and load log: $results $load_log"
note_load "start"
grep -qE '^start: load average [0-9.]+ [0-9.]+ [0-9.]+$' "$load_log" || fail "load log: $(cat "$load_log")"
line=$(machine_line)
[[ $line =~ ^Commit\ [0-9a-f]+|unknown ]] || fail "machine line: $line"
[[ $line == *"cores ("*"under $work_dir" ]] || fail "machine line: $line"
[[ $(print_load_log | head -n 1) == "Load average during the run (1, 5, 15 min):" ]] || fail "load log heading"
[[ $(print_load_log | tail -n 1) == "    start: load average "* ]] || fail "load log lines"
# Every figures script uses the shared helpers rather than its own copy.
for script in "$src"/bench/run-{cluster,compression,engine,failure,growth,memory,net,tls}-figures.sh; do
  grep -q 'bench/lib/figures.bash' "$script" || fail "$script does not source bench/lib/figures.bash"
  grep -q "model name" "$script" && fail "$script repeats the machine line"
done
echo "PASS"
