#!/usr/bin/env bash
# The tools' progress line on a real terminal (a pty from script(1)): it fits $COLUMNS, so it
# never wraps, and is erased before the summary; without a terminal there is none (issue 17).
source "$(dirname "$0")/node_lib.bash"
command -v script >/dev/null || { echo "skip: script(1) is not installed; no pty to draw on"; exit 0; }

start_node "$WORK/data" 0 --anti-entropy-interval-s 0
for i in $(seq 20); do "$KV_BIN/kvput" --quiet "k$i" "v$i"; done

# On a 40-column terminal: every redraw of the line (the text between carriage returns) is at
# most 39 characters.
COLUMNS=40 script -qec "$KV_BIN/kvrepair --node $KV_NODE" /dev/null >"$WORK/tty.out" </dev/null ||
  fail "kvrepair on a pty: $(cat "$WORK/tty.out")"
grep -q "ranges" "$WORK/tty.out" || fail "kvrepair drew no progress on a terminal: $(cat -v "$WORK/tty.out")"
python3 - "$WORK/tty.out" <<'PY' || fail "a progress line wider than 39 columns: $(cat -v "$WORK/tty.out")"
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace", newline="").read()
drawn = [re.sub(r"\x1b\[K", "", part) for part in text.split("\r")]
progress = [p for p in drawn if p.startswith("[") and "ranges" in p]
assert progress, drawn
for p in progress:
    assert len(p) <= 39, (len(p), p)
PY
grep -q "repair of .* converged" "$WORK/tty.out" || fail "no summary: $(cat -v "$WORK/tty.out")"

# Not a terminal: no progress line at all, only the summary.
"$KV_BIN/kvrepair" >"$WORK/out" 2>"$WORK/err" || fail "kvrepair: $(cat "$WORK/err")"
grep -q $'\r' "$WORK/err" && fail "a progress line on a pipe: $(cat -v "$WORK/err")"
echo "PASS"
