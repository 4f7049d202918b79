# One wrk run with the servers' CPU per request, for the bench scripts that drive an HTTP server
# with wrk (etcd's JSON gateway, kv's HTTP API). The wrk scripts print a "JSON {...}" line
# (bench/lib/wrk_report.lua); this prints that object with "server_cpu_us_per_op" added (null
# when the run was too short to count), and appends wrk's whole output to WRK_LOG.
#
#   source "$src/bench/lib/proc_cpu.bash"; source "$src/bench/lib/wrk.bash"
#   json=$(wrk_json CONNECTIONS SECONDS SCRIPT URL "MODE KEYS VALUE_SIZE" WRK_LOG PID...)

wrk_json() {
  local connections=$1 seconds=$2 script=$3 url=$4 args=$5 log=$6 out line before after
  local requests cpu
  shift 6
  before=$(proc_cpu_micros "$@")
  # shellcheck disable=SC2086 # args are the script's words
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$script" "$url" -- $args)
  after=$(proc_cpu_micros "$@")
  echo "$url $args: $out" >>"$log"
  line=$(sed -n 's/^JSON //p' <<<"$out")
  requests=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["requests"])' "$line")
  cpu=$(cpu_us_per_op "$before" "$after" "$requests") || cpu=null
  python3 -c 'import json,sys; r = json.loads(sys.argv[1]); r["server_cpu_us_per_op"] = json.loads(sys.argv[2]); print(json.dumps(r))' \
    "$line" "$cpu"
}
