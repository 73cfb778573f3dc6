#!/usr/bin/env python3
"""The bandit simulator: synthetic learners against the REAL service over HTTP (see bench/simulate.sh).

  simulate.py run  BASE STRATEGY OUT.json   drive one running service (configured with selection.strategy STRATEGY)
  simulate.py plot OUT.png RUN.json...      cumulative regret and the arms' shares over time, plus a summary

The world, known to the simulator and never to the service:
  * three loops, sim_a (priority 30), sim_b (20) and sim_c (10), each following practice_completed and
    diagnostic_completed; sim_c is a "sleeping" arm: its targeting (learner.attributes.cohort = beta) makes it
    eligible for the beta cohort only (30 % of the learners);
  * a true invite_sent rate per (loop, event type), the same for every learner who may see the loop (RATES);
  * a drift halfway: from decision DECISIONS/2 on, sim_a and sim_b swap their rates for both event types.
Each decision is a trigger_event for a random learner and event type. The regret of a decision is the best true
rate among the loops eligible for that learner minus the true rate of the loop the service chose (expected, not
sampled, regret). With the chosen loop's true probability an invite_sent outcome goes back through record_outcome,
which is all the bandit learns from.

Environment: DECISIONS (50000), THREADS (8), LEARNERS (2000), SEED (1).
"""
import http.client
import json
import os
import random
import sys
import threading
import time
from urllib.parse import urlparse

EVENTS = ["practice_completed", "diagnostic_completed"]
LOOPS = ["sim_a", "sim_b", "sim_c"]
PRIORITY = {"sim_a": 30, "sim_b": 20, "sim_c": 10}
# True invite_sent rate per (loop, event type) before the drift; after it sim_a and sim_b swap.
RATES = {
    ("sim_a", "practice_completed"): 0.12, ("sim_b", "practice_completed"): 0.06, ("sim_c", "practice_completed"): 0.20,
    ("sim_a", "diagnostic_completed"): 0.04, ("sim_b", "diagnostic_completed"): 0.10, ("sim_c", "diagnostic_completed"): 0.07,
}
BETA_SHARE = 0.3


def rate(loop, event, drifted):
    if drifted and loop in ("sim_a", "sim_b"):
        loop = "sim_b" if loop == "sim_a" else "sim_a"
    return RATES[(loop, event)]


def eligible(cohort):
    return LOOPS if cohort == "beta" else ["sim_a", "sim_b"]


class Client:
    """One keep-alive HTTP/1.1 connection; JSON-RPC over /mcp/{agent}/{method}."""

    def __init__(self, base):
        url = urlparse(base)
        self.host, self.port = url.hostname, url.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def call(self, agent, method, params):
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        for attempt in range(5):
            try:
                self.conn.request("POST", f"/mcp/{agent}/{method}", body, {"content-type": "application/json"})
                answer = json.loads(self.conn.getresponse().read())
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                time.sleep(0.05 * (attempt + 1))
                continue
            if "error" in answer and answer["error"].get("code") in (-32003, -32001) and attempt < 4:
                time.sleep(0.05 * (attempt + 1))  # shed or slow under load: try again
                continue
            if "error" in answer:
                raise RuntimeError(f"{method} failed: {answer['error']}")
            return answer["result"]
        raise RuntimeError(f"{method}: no answer after 5 attempts")


def setup(client, learners):
    """The three loops through the admin agent, no frequency rule, and the learners' cohorts."""
    for rule in client.call("admin", "list_frequency_rules", {})["rules"]:
        client.call("admin", "delete_frequency_rule", {"id": rule["id"]})
    for name in LOOPS:
        loop = {"name": name, "display_name": name, "active": True, "triggers": EVENTS, "priority": PRIORITY[name],
                "cooldown_seconds": 0, "action": {"type": "show_share_modal", "headline": name}}
        if name == "sim_c":
            loop["targeting"] = {"learner.attributes.cohort": "beta"}
        client.call("admin", "upsert_loop", {"loop": loop})
    rng = random.Random(int(os.environ.get("SEED", "1")))
    cohorts = {}
    for i in range(learners):
        user = f"sim-{i}"
        cohorts[user] = "beta" if rng.random() < BETA_SHARE else "alpha"
        client.call("orchestrator", "upsert_learner", {"user_id": user, "attributes": {"cohort": cohorts[user]}})
    return cohorts


def run(base, strategy, out):
    decisions = int(os.environ.get("DECISIONS", "50000"))
    threads = int(os.environ.get("THREADS", "8"))
    learners = int(os.environ.get("LEARNERS", "2000"))
    seed = int(os.environ.get("SEED", "1"))
    cohorts = setup(Client(base), learners)
    users = sorted(cohorts)
    time.sleep(1.5)  # the catalog change reaches the orchestrator within a second; the bandit's first refresh follows
    lock = threading.Lock()
    counter = [0]
    log = [None] * decisions  # (event, cohort, chosen, regret) in the order the decisions were started
    errors = []

    def worker(index):
        client = Client(base)
        rng = random.Random(seed * 1000 + index)
        while True:
            with lock:
                n = counter[0]
                if n >= decisions:
                    return
                counter[0] += 1
            drifted = n >= decisions // 2
            user = rng.choice(users)
            event = rng.choice(EVENTS)
            try:
                answer = client.call("orchestrator", "trigger_event", {"user_id": user, "event_type": event})
            except RuntimeError as e:
                errors.append(str(e))
                return
            loop = answer.get("loop")
            best = max(rate(l, event, drifted) for l in eligible(cohorts[user]))
            if loop is None:
                log[n] = (event, cohorts[user], None, best)
                continue
            p = rate(loop, event, drifted)
            log[n] = (event, cohorts[user], loop, best - p)
            if rng.random() < p:
                client.call("orchestrator", "record_outcome", {"decision_id": answer["decision_id"], "outcome": "invite_sent"})

    started = time.time()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise SystemExit(f"{strategy}: {len(errors)} calls failed, first: {errors[0]}")
    seconds = time.time() - started
    with open(out, "w") as f:
        json.dump({"strategy": strategy, "decisions": decisions, "seconds": seconds, "log": log}, f)
    total = sum(entry[3] for entry in log)
    print(f"{strategy}: {decisions} decisions in {seconds:.0f} s ({decisions / seconds:.0f}/s), cumulative regret {total:.1f}")


def cumulative(log):
    out, total = [], 0.0
    for entry in log:
        total += entry[3]
        out.append(total)
    return out


def shares(log, event, bin_size):
    """Per loop, its share of the decisions for this event type in each bin of bin_size decisions."""
    series = {loop: [] for loop in LOOPS}
    xs = []
    for start in range(0, len(log), bin_size):
        chunk = [e for e in log[start:start + bin_size] if e[0] == event]
        xs.append(start + bin_size / 2)
        for loop in LOOPS:
            series[loop].append(sum(1 for e in chunk if e[2] == loop) / max(1, len(chunk)))
    return xs, series


def window_regret(log, start, end):
    return sum(entry[3] for entry in log[start:end])


def plot(png, paths):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    runs = {}
    for path in paths:
        with open(path) as f:
            run_data = json.load(f)
        runs[run_data["strategy"]] = run_data
    decisions = next(iter(runs.values()))["decisions"]
    half = decisions // 2
    fig, axes = plt.subplots(3, 1, figsize=(9, 11))
    for name, run_data in runs.items():
        axes[0].plot(range(1, decisions + 1), cumulative(run_data["log"]), label=name)
    axes[0].axvline(half, color="grey", linestyle="--", linewidth=1)
    axes[0].set_title(f"Cumulative regret over {decisions:,} decisions (drift at {half:,}: sim_a and sim_b swap rates)")
    axes[0].set_xlabel("decisions")
    axes[0].set_ylabel("expected invites lost")
    axes[0].legend()
    thompson = runs.get("thompson")
    bin_size = max(100, decisions // 50)
    for ax, event in zip(axes[1:], EVENTS):
        if thompson is None:
            break
        xs, series = shares(thompson["log"], event, bin_size)
        for loop in LOOPS:
            ax.plot(xs, series[loop], label=loop)
        ax.axvline(half, color="grey", linestyle="--", linewidth=1)
        ax.set_ylim(0, 1)
        ax.set_title(f"Thompson: each arm's share of {event} decisions (bins of {bin_size:,})")
        ax.set_xlabel("decisions")
        ax.set_ylabel("share")
        ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    summary(runs, decisions)


def summary(runs, decisions):
    half = decisions // 2
    tail = max(1, decisions // 10)
    uniform = runs.get("random")
    print(f"| strategy | decisions/s | cumulative regret | before drift | after drift | last {tail:,} decisions | vs uniform |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("priority", "random", "thompson"):
        if name not in runs:
            continue
        log = runs[name]["log"]
        total = window_regret(log, 0, decisions)
        ratio = f"{100 * total / window_regret(uniform['log'], 0, decisions):.1f} %" if uniform else "-"
        print(f"| {name} | {decisions / runs[name]['seconds']:.0f} | {total:.1f} | {window_regret(log, 0, half):.1f}"
              f" | {window_regret(log, half, decisions):.1f} | {window_regret(log, decisions - tail, decisions):.1f} | {ratio} |")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 4 and sys.argv[1] == "plot":
        plot(sys.argv[2], sys.argv[3:])
    else:
        print(__doc__)
        sys.exit(2)
