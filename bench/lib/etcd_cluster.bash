# A 3-member etcd cluster for the bench scripts (Debian's etcd-server, 3.4): each member its own
# data dir under WORK_DIR/etcdI, client and peer URLs on free ports of 127.0.0.1, stopped by pid
# (kv_nodes.bash's stop_all: the pids are appended to pids). Sourced after kv_nodes.bash.
#
#   start_etcd TOKEN        # sets etcd_pids and etcd_leader (the leader's client URL)
#   ... wrk -s bench/etcd-wrk.lua "$etcd_leader" -- put KEYS 100 ...
#   stop_all; rm -rf "$work_dir"/etcd[0-9]

etcd_pids=()
etcd_leader=

start_etcd() {
  local token=$1 ports cluster i endpoints
  etcd_pids=()
  read -r -a ports <<<"$(free_ports 6)"
  cluster="e1=http://127.0.0.1:${ports[3]},e2=http://127.0.0.1:${ports[4]},e3=http://127.0.0.1:${ports[5]}"
  for i in 1 2 3; do
    rm -rf "$work_dir/etcd$i"
    etcd --name "e$i" --data-dir "$work_dir/etcd$i" \
      --listen-client-urls "http://127.0.0.1:${ports[i - 1]}" \
      --advertise-client-urls "http://127.0.0.1:${ports[i - 1]}" \
      --listen-peer-urls "http://127.0.0.1:${ports[i + 2]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${ports[i + 2]}" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token "$token" --logger zap --log-level error \
      2>>"$work_dir/etcd$i.log" &
    pids+=($!)
    etcd_pids+=($!)
  done
  endpoints="http://127.0.0.1:${ports[0]},http://127.0.0.1:${ports[1]},http://127.0.0.1:${ports[2]}"
  etcd_leader=
  for _ in $(seq 150); do
    etcd_leader=$(ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --command-timeout 1s endpoint status \
      -w json 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    s = e["Status"]
    if s["leader"] == s["header"]["member_id"]:
        print(e["Endpoint"])' 2>/dev/null) || true
    [[ -n $etcd_leader ]] && break
    sleep 0.2
  done
  [[ -n $etcd_leader ]] || { echo "$(basename "$0"): the etcd cluster elected no leader" >&2; exit 3; }
}
