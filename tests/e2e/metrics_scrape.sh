#!/usr/bin/env bash
# kvring metrics against a real kvnode (issue 14, "A /metrics scrape parsed line by line"): the
# text the node serves is checked line by line by a second, independent reader of the exposition
# format (Python below, besides kvring --json's own checker): every line a HELP, TYPE, comment or
# `name{labels} value`; every sample's family has a TYPE; histogram buckets cumulative, ending at
# +Inf = _count. Then the counters move with the requests made: N puts make
# kv_requests_total{op="put",outcome="ok"} grow by exactly N. The same through the HTTP API's
# GET /metrics, as Prometheus scrapes it (its Content-Type, HTTP PUTs counted). And kvring
# metrics' errors and exit codes.
source "$(dirname "$0")/node_lib.bash"

start_node "$WORK/data" 0 --http-listen 127.0.0.1:0
BASE=$(http_base)

# check FILE [SERIES...]: tests/e2e/exposition_check.py (every line checked; prints the SERIES).
check() { python3 "$(dirname "$0")/exposition_check.py" "$@" || fail "the scrape in $1 is not valid exposition text"; }
# refused FILE: the checker must refuse it (it is not blind: the scrapes it passes could fail it).
refused() { ! python3 "$(dirname "$0")/exposition_check.py" "$1" > /dev/null 2>&1 || fail "the checker passed $1"; }

PUT_OK='kv_requests_total{op="put",outcome="ok"}'
GET_NOT_FOUND='kv_requests_total{op="get",outcome="not_found"}'
PUT_COUNT='kv_request_duration_seconds_count{op="put"}'

echo "== a scrape is valid exposition text, line by line =="
expect_status 0 "kvring metrics" "$KV_BIN/kvring" metrics
cp "$WORK/out" "$WORK/before.txt"
check "$WORK/before.txt" > /dev/null
# A second scrape: the first was a request, so it has a histogram (op="metrics") to check.
"$KV_BIN/kvring" metrics > "$WORK/after_metrics.txt" || fail "the second scrape failed"
check "$WORK/after_metrics.txt" > /dev/null
grep -q '^kv_request_duration_seconds_bucket{op="metrics",le="+Inf"} 1$' "$WORK/after_metrics.txt" ||
  fail "the first scrape is not in the second's histogram"
for family in kv_requests_total kv_request_duration_seconds kv_memtable_bytes kv_tables \
  kv_compactions_total kv_write_delays_total kv_block_cache_hits_total kv_hints \
  kv_repairs_total kv_nodes kv_connections process_cpu_seconds_total \
  process_resident_memory_bytes process_start_time_seconds process_open_fds; do
  grep -q "^# TYPE $family " "$WORK/before.txt" || fail "no $family in the scrape"
done
read -r nodes_up rss fds conns < <(check "$WORK/before.txt" 'kv_nodes{status="normal",state="up"}' \
  process_resident_memory_bytes process_open_fds kv_connections | paste -sd' ')
[[ $nodes_up == 1 ]] || fail "kv_nodes{status=normal,state=up} is $nodes_up, want 1 (this node)"
[[ $rss -gt 1000000 ]] || fail "process_resident_memory_bytes is $rss"
[[ $fds -gt 3 ]] || fail "process_open_fds is $fds"
[[ $conns -ge 1 ]] || fail "kv_connections is $conns, want at least kvring's own"

# The checker's own control: a scrape made invalid in each of the ways it checks is refused.
grep -v '^# TYPE kv_tables ' "$WORK/before.txt" > "$WORK/no_type.txt"
refused "$WORK/no_type.txt"
sed 's/^\(kv_request_duration_seconds_bucket{op="metrics",le="+Inf"}\) .*/\1 0/' \
  "$WORK/after_metrics.txt" > "$WORK/not_cumulative.txt"
refused "$WORK/not_cumulative.txt"
sed 's/^kv_tables \(.*\)/kv_tables{x=\1} \1/' "$WORK/before.txt" > "$WORK/bad_label.txt"
refused "$WORK/bad_label.txt"

echo "== N puts make the put counter grow by N =="
N=20
for i in $(seq 1 "$N"); do "$KV_BIN/kvput" --quiet --blind "key$i" "value$i"; done
expect_status 1 "kvget of a missing key" "$KV_BIN/kvget" no-such-key
"$KV_BIN/kvring" metrics > "$WORK/after.txt" || fail "the second scrape failed"
read -r put_before get_nf_before count_before < <(check "$WORK/before.txt" "$PUT_OK" \
  "$GET_NOT_FOUND" "$PUT_COUNT" | paste -sd' ')
read -r put_after get_nf_after count_after < <(check "$WORK/after.txt" "$PUT_OK" \
  "$GET_NOT_FOUND" "$PUT_COUNT" | paste -sd' ')
[[ $((put_after - put_before)) -eq $N ]] ||
  fail "$PUT_OK went from $put_before to $put_after after $N puts"
[[ $((count_after - count_before)) -eq $N ]] ||
  fail "$PUT_COUNT went from $count_before to $count_after after $N puts"
[[ $((get_nf_after - get_nf_before)) -eq 1 ]] ||
  fail "$GET_NOT_FOUND went from $get_nf_before to $get_nf_after after one missing get"

echo "== GET /metrics over HTTP: the same text, as Prometheus scrapes it =="
status=$(curl -sS -o "$WORK/http_before.txt" -D "$WORK/headers" -w '%{http_code}' "$BASE/metrics") ||
  fail "curl $BASE/metrics failed"
[[ $status == 200 ]] || fail "GET /metrics: HTTP $status: $(head -c 300 "$WORK/http_before.txt")"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$WORK/headers" ||
  fail "GET /metrics has the wrong Content-Type: $(grep -i '^Content-Type' "$WORK/headers")"
read -r http_put_before < <(check "$WORK/http_before.txt" "$PUT_OK")
[[ $http_put_before -ge $put_after ]] || fail "/metrics counts $http_put_before puts, kvring $put_after"
for i in $(seq 1 "$N"); do
  curl -sS -f -o /dev/null -X PUT --data-binary "v$i" "$BASE/v1/kv/http$i?blind=true" ||
    fail "HTTP PUT http$i failed"
done
curl -sS -f -o "$WORK/http_after.txt" "$BASE/metrics" || fail "the second GET /metrics failed"
read -r http_put_after < <(check "$WORK/http_after.txt" "$PUT_OK")
[[ $((http_put_after - http_put_before)) -eq $N ]] ||
  fail "$PUT_OK went from $http_put_before to $http_put_after after $N HTTP PUTs"

echo "== --json: the same text, checked by kvring, as JSON =="
expect_status 0 "kvring metrics --json" "$KV_BIN/kvring" metrics --json
json_put=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
[f] = [f for f in d["families"] if f["name"] == "kv_requests_total"]
print(int(sum(s["value"] for s in f["samples"] if s["labels"] == {"op": "put", "outcome": "ok"})))
' "$WORK/out") || fail "kvring metrics --json is not the JSON expected: $(head -c 300 "$WORK/out")"
[[ $json_put -ge $put_after ]] || fail "--json counts $json_put puts, the text $put_after"

echo "== errors =="
expect_status 2 "kvring metrics --key" "$KV_BIN/kvring" metrics --key k
grep -q "metrics takes no --key" "$WORK/err" || fail "metrics --key said: $(cat "$WORK/err")"
expect_status 2 "kvring metrics --bogus" "$KV_BIN/kvring" metrics --bogus
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
expect_status 3 "kvring metrics, no node there" "$KV_BIN/kvring" metrics --node "127.0.0.1:$dead_port" --timeout-ms 2000
kill -0 "$NODE_PID" || fail "kvnode died"
echo "PASS"
