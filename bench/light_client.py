#!/usr/bin/env python3
"""A light steady caller for bench/abuse.sh: select_loop at RATE requests/s for SECONDS over one keep-alive
connection, as token TOKEN. Prints one line:
BENCH_B sent=.. decided=.. degraded=.. shed=.. other=.. p50_ms=.. p99_ms=.. max_ms=..
decided = HTTP 200 with a result that is not the degraded default; shed = HTTP 503 (-32003)."""
import http.client, json, sys, time

port, token, rate, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
lat, counts = [], {"decided": 0, "degraded": 0, "shed": 0, "other": 0}
start = time.monotonic()
i = 0
while time.monotonic() - start < seconds:
    due = start + i / rate
    pause = due - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "select_loop", "params": {"user_id": "light-%d" % (i % 50)}})
    t0 = time.monotonic()
    try:
        conn.request("POST", "/mcp/orchestrator/select_loop", body,
                     {"Content-Type": "application/json", "Authorization": "Bearer " + token})
        resp = conn.getresponse()
        data = resp.read()
        lat.append((time.monotonic() - t0) * 1000)
        if resp.status == 503:
            counts["shed"] += 1
        elif resp.status == 200 and b'"result"' in data:
            counts["degraded" if b'"degraded":true' in data else "decided"] += 1
        else:
            counts["other"] += 1
    except Exception:
        lat.append((time.monotonic() - t0) * 1000)
        counts["other"] += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    i += 1
lat.sort()
pct = lambda q: lat[min(len(lat) - 1, max(0, int(round(q * len(lat) + 0.5)) - 1))] if lat else 0
print("BENCH_B sent=%d decided=%d degraded=%d shed=%d other=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f" % (
    len(lat), counts["decided"], counts["degraded"], counts["shed"], counts["other"], pct(0.5), pct(0.99), lat[-1] if lat else 0))
