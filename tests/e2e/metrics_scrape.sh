#!/usr/bin/env bash
# kvring metrics against a real kvnode (issue 14, "A /metrics scrape parsed line by line"): the
# text the node serves is checked line by line by a second, independent reader of the exposition
# format (Python below, besides kvring --json's own checker): every line a HELP, TYPE, comment or
# `name{labels} value`; every sample's family has a TYPE; histogram buckets cumulative, ending at
# +Inf = _count. Then the counters move with the requests made: N puts make
# kv_requests_total{op="put",outcome="ok"} grow by exactly N. And kvring metrics' errors and
# exit codes.
source "$(dirname "$0")/node_lib.bash"

start_node "$WORK/data"

# check_exposition FILE [SERIES...]: exits 1 naming the first bad line; prints each SERIES's value
# (a whole `name{labels}` as the text writes it; 0 when absent), one a line.
cat > "$WORK/check.py" <<'PY'
import math, re, sys

NAME = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r'^(%s)(\{(?:%s)(?:,%s)*,?\})? (\S+)( -?[0-9]+)?$' % (NAME, LABEL, LABEL))
HELP = re.compile(r'^# HELP (%s) .*$' % NAME)
TYPE = re.compile(r'^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$' % NAME)

def fail(n, line, why):
    sys.exit('line %d (%r): %s' % (n, line[:120], why))

def number(text):
    if text in ('+Inf', '-Inf', 'NaN'):
        return float(text.replace('Inf', 'inf').replace('NaN', 'nan'))
    return float(text)

text = open(sys.argv[1]).read()
if not text.endswith('\n'):
    sys.exit('no final newline')
types, values, seen = {}, {}, set()
buckets = {}  # (family, labels without le) -> [(le, count)]
current = None
for n, line in enumerate(text[:-1].split('\n'), 1):
    if m := TYPE.match(line):
        if m.group(1) in types: fail(n, line, 'second TYPE')
        types[m.group(1)] = m.group(2); current = m.group(1); continue
    if HELP.match(line) or (line.startswith('#') and not line.startswith(('# HELP', '# TYPE'))):
        continue
    m = SAMPLE.match(line)
    if not m: fail(n, line, 'neither a comment, HELP, TYPE nor a sample')
    name, labels, value = m.group(1), m.group(2) or '', m.group(3)
    try: v = number(value)
    except ValueError: fail(n, line, 'value is not a number')
    family = name
    for suffix in ('_bucket', '_sum', '_count'):
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) == 'histogram':
            family = name[:-len(suffix)]
    if family != current or family not in types: fail(n, line, 'sample without its TYPE')
    if types[family] == 'histogram' and family == name: fail(n, line, 'plain histogram sample')
    if types[family] == 'counter' and not v >= 0: fail(n, line, 'counter below 0')
    if name + labels in seen: fail(n, line, 'series twice')
    seen.add(name + labels); values[name + labels] = value
    if name.endswith('_bucket') and family != name:
        le = re.search(r'(?:^\{|,)le="([^"]*)"', labels)
        if not le: fail(n, line, 'bucket without le')
        rest = re.sub(r'(\{|,)le="[^"]*"', r'\1', labels).replace('{,', '{').replace(',}', '}')
        buckets.setdefault((family, rest if rest != '{}' else ''), []).append((number(le.group(1)), v))
for (family, rest), series in buckets.items():
    les = [le for le, _ in series]; counts = [c for _, c in series]
    if les != sorted(set(les)): sys.exit('%s%s: le not ascending' % (family, rest))
    if counts != sorted(counts): sys.exit('%s%s: buckets not cumulative' % (family, rest))
    if not math.isinf(les[-1]): sys.exit('%s%s: no +Inf bucket' % (family, rest))
    if float(values.get(family + '_count' + rest, 'nan')) != counts[-1]:
        sys.exit('%s%s: +Inf bucket differs from _count' % (family, rest))
    if family + '_sum' + rest not in values: sys.exit('%s%s: no _sum' % (family, rest))
for series in sys.argv[2:]:
    print(values.get(series, '0'))
PY
check() { python3 "$WORK/check.py" "$@" || fail "the scrape in $1 is not valid exposition text"; }
# refused FILE: the checker must refuse it (it is not blind: the scrapes it passes could fail it).
refused() { ! python3 "$WORK/check.py" "$1" > /dev/null 2>&1 || fail "the checker passed $1"; }

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
