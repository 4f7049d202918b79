# What a server process costs, for the bench scripts' "CPU µs/op" of the servers kvbench cannot
# ask (Redis, etcd): the user + system CPU time of processes, read from /proc/PID/stat, taken
# before and after a run and divided by its operations. kv's own figure comes from kvbench
# (server_cpu_us_per_op), which asks each node for the same two times (getrusage).
#
#   source "$src/bench/lib/proc_cpu.bash"
#   before=$(proc_cpu_micros "$pid1" "$pid2")
#   ... the run ...
#   after=$(proc_cpu_micros "$pid1" "$pid2")
#   cpu_us_per_op "$before" "$after" "$ops"      # e.g. 12.34
#
# The figure covers every thread of each process (the stat of a process sums its threads), not
# its children; the kernel counts in clock ticks (getconf CLK_TCK, 100 a second on Linux), so a
# run should take at least a few seconds of CPU for two digits to mean something.

# proc_cpu_micros PID...: the processes' utime + stime so far, summed, in microseconds. Fails
# (status 1, a message on stderr) when a process is gone: a figure without it would be wrong.
proc_cpu_micros() {
  local tick pid stat rest fields total=0
  tick=$(getconf CLK_TCK)
  for pid in "$@"; do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || {
      echo "proc_cpu_micros: no process $pid" >&2
      return 1
    }
    # Fields 14 and 15 (utime, stime) are the 12th and 13th after the command name, which is in
    # parentheses and may itself hold spaces and parentheses: split after the last ')'.
    rest=${stat##*)}
    read -r -a fields <<<"$rest"
    total=$((total + (fields[11] + fields[12]) * 1000000 / tick))
  done
  echo "$total"
}

# cpu_us_per_op BEFORE AFTER OPS: (AFTER - BEFORE) / OPS microseconds, two decimals.
cpu_us_per_op() {
  awk -v b="$1" -v a="$2" -v n="$3" 'BEGIN { if (n <= 0) exit 1; printf "%.2f\n", (a - b) / n }'
}
