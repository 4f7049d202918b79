#!/usr/bin/env python3
"""Pollers for bench/run-failure-figures.sh: they ask nodes for kvring --json every 0.1 s.

  failure_poll.py status KVRING TARGET WANT T0 TIMEOUT PORT...
      Until every node on PORT... shows node TARGET with status WANT (up or down) in the same
      round. Prints one JSON object: seconds (from T0, a time.time() value, to that round),
      per_observer (seconds until each observer first showed WANT), polls, false_down (other
      nodes any observer showed down meanwhile: false suspicions) and timed_out.

  failure_poll.py settle KVRING TIMEOUT PORT...
      Until the hints every node on PORT... holds stop changing (the same in rounds 2 s apart).
      Prints {"pending": {asker: {target: hints}}, "total": N}.

  failure_poll.py ownership KVRING TARGET PORT
      The share of the key space TARGET stores a replica of, as the node on PORT sees it.

  failure_poll.py handoff KVRING T0 TIMEOUT TIMELINE PORT... [-- CMD...]
      Until no node on PORT... holds a hint. With -- CMD, CMD (a kvbench run) is started as soon
      as the hints held start to go down (the handoff has begun) and waited for; its stdout is
      returned as "client". Prints seconds from T0 to the first round that showed fewer hints
      (handoff_start) and to the first that showed none (handoff_done), the hints at the first
      round, the client's start and end (from T0) and the share of its run during which hints were
      still pending (overlap). TIMELINE gets one line a round: seconds from T0, hints left.
"""
import json
import subprocess
import sys
import time

POLL = 0.1


def ring(kvring, port):
    try:
        out = subprocess.run([kvring, "--node", f"127.0.0.1:{port}", "--json", "--timeout-ms",
                              "1000"], capture_output=True, text=True, timeout=3).stdout
        r = json.loads(out)
        return r if "nodes" in r else None
    except (subprocess.SubprocessError, ValueError):
        return None


def tick(next_at):
    now = time.time()
    if next_at > now:
        time.sleep(next_at - now)
    return max(next_at, now) + POLL


def pending(kvring, ports):
    """{port: {target: hints}}, or None when a node did not answer."""
    out = {}
    for p in ports:
        r = ring(kvring, p)
        if r is None:
            return None
        out[r["self"]] = {n["id"]: n.get("hints_pending", 0) for n in r["nodes"]
                          if n.get("hints_pending", 0)}
    return out


def total(p):
    return sum(sum(v.values()) for v in p.values())


def status(kvring, target, want, t0, timeout, ports):
    first = {}
    false_down = set()
    polls = 0
    next_at = time.time()
    while time.time() - t0 < timeout:
        next_at = tick(next_at)
        polls += 1
        now_all = True
        for p in ports:
            r = ring(kvring, p)
            t = time.time() - t0
            st = None
            if r is not None:
                for n in r["nodes"]:
                    if n["id"] == target:
                        st = n["status"]
                    elif n["id"] != r["self"] and n["status"] == "down":
                        false_down.add(f'{r["self"]} saw {n["id"]} down')
            if st == want:
                first.setdefault(str(p), round(t, 3))
            else:
                now_all = False
        if now_all:
            return {"seconds": round(time.time() - t0, 3), "per_observer": first, "polls": polls,
                    "false_down": sorted(false_down), "timed_out": False}
    return {"seconds": None, "per_observer": first, "polls": polls,
            "false_down": sorted(false_down), "timed_out": True}


def settle(kvring, timeout, ports):
    start = time.time()
    last = None
    while time.time() - start < timeout:
        p = pending(kvring, ports)
        if p is not None and p == last:
            return {"pending": p, "total": total(p)}
        last = p
        time.sleep(2)
    return {"pending": last, "total": total(last or {}), "timed_out": True}


def handoff(kvring, t0, timeout, timeline, ports, cmd):
    initial = None
    start = done = None
    client = None
    client_start = client_end = None
    client_out = None
    with open(timeline, "w") as tl:
        next_at = time.time()
        while time.time() - t0 < timeout:
            next_at = tick(next_at)
            p = pending(kvring, ports)
            t = time.time() - t0
            if p is not None:
                left = total(p)
                tl.write(f"{t:.3f} {left}\n")
                if initial is None:
                    initial = left
                if start is None and left < initial:
                    start = t
                    if cmd:
                        client_start = time.time() - t0
                        client = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
                if left == 0 and done is None:
                    done = t
                    if start is None:
                        start = t
            if client is not None and client_end is None and client.poll() is not None:
                client_end = time.time() - t0
                client_out = client.stdout.read()
            if done is not None and (not cmd or client_end is not None):
                break
    if client is not None and client_end is None:
        client.wait()
        client_end = time.time() - t0
        client_out = client.stdout.read()
    result = {"initial": initial, "handoff_start": start, "handoff_done": done,
              "timed_out": done is None}
    if cmd:
        result.update({"client_start": client_start, "client_end": client_end})
        if client_start is not None and client_end and done is not None:
            span = client_end - client_start
            result["overlap"] = max(0.0, min(done, client_end) - client_start) / span if span else 0
        try:
            result["client"] = json.loads(client_out) if client_out else None
        except ValueError:
            result["client"] = None
            result["client_error"] = client_out
        if client is not None:
            result["client_exit"] = client.returncode
    return result


def main(argv):
    cmd, kvring = argv[1], argv[2]
    if cmd == "status":
        target, want, t0, timeout = argv[3], argv[4], float(argv[5]), float(argv[6])
        print(json.dumps(status(kvring, target, want, t0, timeout, argv[7:])))
    elif cmd == "ownership":  # ownership KVRING TARGET PORT: TARGET's replica share, as PORT sees it
        r = ring(kvring, argv[4]) or {"nodes": []}
        print(next((n["ownership"] for n in r["nodes"] if n["id"] == argv[3]), "null"))
    elif cmd == "settle":
        print(json.dumps(settle(kvring, float(argv[3]), argv[4:])))
    elif cmd == "handoff":
        t0, timeout, timeline = float(argv[3]), float(argv[4]), argv[5]
        rest = argv[6:]
        client = []
        if "--" in rest:
            i = rest.index("--")
            rest, client = rest[:i], rest[i + 1:]
        print(json.dumps(handoff(kvring, t0, timeout, timeline, rest, client)))
    else:
        sys.exit(f"failure_poll.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
