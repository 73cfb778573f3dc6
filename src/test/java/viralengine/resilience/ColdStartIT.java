package viralengine.resilience;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.Calls;
import viralengine.support.Calls.Call;
import viralengine.support.OwnDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22, item 1: a cold start. Right after /health/ready turns 200, 8 callers send select_loop steadily
 * (holdout 10 %, selection.strategy thompson, two active loops). Ready means warm: the breaker never opens, and the
 * callers get real decisions, not the default one. Today the first decisions take over 150 ms, the breaker opens
 * after 5 failures and stays open, and every answer is the default decision.
 *
 * <p>The real JAR with the default SLA (150 ms) and default breaker settings, on a database of its own whose two
 * loops are active before the service starts (so the warm-up sees them).
 */
@Timeout(value = 100, unit = TimeUnit.SECONDS)
class ColdStartIT {
  static final int CALLERS = 8;
  /** Each caller sends at most one call per this many ms: "steadily", not a flood (8 callers, up to 160 calls/s). */
  static final long INTERVAL_MS = 50;
  static final long RUN_MS = 10_000;
  /** A busy machine may turn a stray call into the default decision; a breaker that opened turns nearly all of them. */
  static final double MAX_DEGRADED_SHARE = 0.02;

  @Test
  void rightAfterReadyEightSteadyCallersGetRealDecisionsAndTheBreakerStaysClosed() throws Exception {
    OwnDatabase db = OwnDatabase.create();
    db.activate("buddy_challenge", "results_rally");
    Map<String, String> env = new HashMap<>(db.env());
    env.put("SPOOL_DIR", TestService.newSpoolDir());
    env.put("EXPERIMENTS_HOLDOUT_PERCENT", "10");
    env.put("SELECTION_STRATEGY", "thompson");
    try (db; ServiceProcess svc = ServiceProcess.start("cold-start-it", env)) {
      svc.awaitReady(90);
      long ready = System.nanoTime();
      Calls.Load load = Calls.Load.start(CALLERS, null, INTERVAL_MS, n -> new Calls.Load.Request(svc, "select_loop",
          new JsonObject().put("user_id", "cold-" + n).put("event_type", "practice_completed")));
      List<Call> calls;
      try {
        Thread.sleep(RUN_MS);
      } finally {
        calls = load.stop();
      }
      long openings = Calls.breakerOpenings(svc);
      String state = Calls.breakerState(svc);
      List<Call> ordered = calls.stream().sorted(Comparator.comparingLong(Call::startedNanos)).toList();
      List<Call> first = ordered.subList(0, Math.min(16, ordered.size()));
      long degraded = calls.stream().filter(Call::degraded).count();
      List<String> errors = calls.stream().filter(c -> c.result() == null).map(Call::summary).limit(5).toList();
      System.out.printf("ColdStartIT: %d calls in %d ms after ready: %d real decisions, %d degraded, %d errors;"
              + " first 16 latencies (ms) %s; breaker %s, opened %d times%n",
          calls.size(), (System.nanoTime() - ready) / 1_000_000, calls.stream().filter(Call::decided).count(), degraded,
          calls.size() - calls.stream().filter(c -> c.result() != null).count(),
          first.stream().map(c -> c.latencyMs() + (c.degraded() ? "d" : "")).toList(), state, openings);
      assertTrue(calls.size() > 100, "the callers ran: " + calls.size());
      assertEquals(0, openings, "the breaker never opens after a start that is ready (warm); first answers: "
          + first.stream().map(Call::summary).limit(3).toList());
      assertEquals("closed", state);
      assertEquals(List.of(), errors, "every call is answered with a result");
      assertTrue(degraded <= calls.size() * MAX_DEGRADED_SHARE, "real decisions, not the default one: " + degraded
          + " of " + calls.size() + " degraded; e.g. " + calls.stream().filter(Call::degraded).map(Call::summary).findFirst().orElse(""));
      assertTrue(calls.stream().anyMatch(c -> c.decided() && c.result().getValue("loop") != null),
          "some callers are shown a loop (two are active)");
    }
  }
}
