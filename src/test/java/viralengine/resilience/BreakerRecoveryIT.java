package viralengine.resilience;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.Calls;
import viralengine.support.Calls.Call;
import viralengine.support.OwnDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 22, item 6: a hung orchestrator still opens the breaker within about a second under load, and the service
 * recovers (breaker closed again, real decisions) within a few seconds once the orchestrator answers again.
 *
 * <p>"Hung, then answering again" is modelled with the test hooks: the orchestrator's first {@link #SLOW_CALLS}
 * calls take {@link #HANG_MS} ms (far past the 150 ms SLA), every later call is fast. {@link #HUNG_CALLERS} callers
 * start at once, so the first wave is exactly the slow calls: they all time out together (over minimum_calls, 100 %
 * failed), and no slow call is left for the breaker's trial call once it half-opens. The breaker runs on its
 * defaults (reset_timeout_ms 5000 under the new contract), so recovery must come within reset + a margin.
 */
@Timeout(value = 100, unit = TimeUnit.SECONDS)
class BreakerRecoveryIT {
  static final int CALLERS = 8;
  static final int HUNG_CALLERS = 32;
  static final int SLOW_CALLS = HUNG_CALLERS;
  static final long HANG_MS = 1_000;
  /** Each of the 32 callers sends at most one call per this many ms: up to 160 calls/s, as in ColdStartIT. */
  static final long HUNG_INTERVAL_MS = 200;
  /** "Within about a second": the breaker's window is one second; the margin is for a busy machine. */
  static final long OPEN_WITHIN_MS = 2_000;
  /** "Within a few seconds": the default reset_timeout_ms (5 s) and a margin for the trial call. */
  static final long RECOVER_WITHIN_MS = 5_000 + 3_000;

  @Test
  void aHungOrchestratorOpensTheBreakerWithinASecondAndTheServiceRecoversWithinSecondsOnceItAnswers() throws Exception {
    OwnDatabase db = OwnDatabase.create();
    Map<String, String> env = new HashMap<>(db.env());
    env.put("SPOOL_DIR", TestService.newSpoolDir());
    env.put("ORCHESTRATOR_TEST_DELAY_MS", Long.toString(HANG_MS));
    env.put("ORCHESTRATOR_TEST_SLOW_CALLS", Integer.toString(SLOW_CALLS));
    try (db; ServiceProcess svc = ServiceProcess.start("breaker-recovery-it", env)) {
      svc.awaitReady(90);
      assertEquals(0, Calls.breakerOpenings(svc), "the breaker has not opened before the load");

      Calls.openConnections(svc, HUNG_CALLERS);
      long loadStart = System.nanoTime();
      Calls.Load load = Calls.Load.start(HUNG_CALLERS, null, HUNG_INTERVAL_MS,
          n -> new Calls.Load.Request(svc, "select_loop", new JsonObject().put("user_id", "recovery-" + n)));
      try {
        // 1. The breaker opens, soon.
        long openedAt = 0;
        long openDeadline = loadStart + TimeUnit.SECONDS.toNanos(15);
        while (openedAt == 0 && System.nanoTime() < openDeadline) {
          if ("open".equals(Calls.breakerState(svc)) || Calls.breakerOpenings(svc) > 0) {
            openedAt = System.nanoTime();
          } else {
            Thread.sleep(20);
          }
        }
        if (openedAt == 0) {
          fail("the breaker never opened while the orchestrator hung: " + summary(load.snapshot()));
        }
        // A call answered "circuit open" started after the breaker opened: the earlier of that and the poll that saw
        // it open is when it opened, whatever the polling cost on a busy machine.
        openedAt = Math.min(openedAt, load.snapshot().stream().filter(Call::degraded)
            .filter(c -> c.result().getString("rationale", "").contains("Circuit breaker is open"))
            .mapToLong(Call::startedNanos).min().orElse(Long.MAX_VALUE));
        long openMs = (openedAt - loadStart) / 1_000_000;
        System.out.printf("BreakerRecoveryIT: breaker open %d ms after the load started%n", openMs);

        // 2. It closes again, and real decisions come back, once the orchestrator answers. "Once it answers" is the
        //    later of the opening and the end of the last call that reached the orchestrator and timed out: a slow
        //    call the first wave left over is taken by a trial call, and the hang lasts until that one is done.
        long recoveredAt = 0;
        long recoverDeadline = openedAt + TimeUnit.SECONDS.toNanos(25);
        while (recoveredAt == 0 && System.nanoTime() < recoverDeadline) {
          final long since = openedAt;
          boolean decidedAgain = load.snapshot().stream().anyMatch(c -> c.startedNanos() > since && c.decided());
          if (decidedAgain && "closed".equals(Calls.breakerState(svc))) {
            recoveredAt = System.nanoTime();
          } else {
            Thread.sleep(50);
          }
        }
        String stateThen = Calls.breakerState(svc);
        List<Call> hung = load.snapshot().stream().filter(Call::degraded)
            .filter(c -> !c.result().getString("rationale", "").contains("Circuit breaker is open")).toList();
        long answersAgainAt = Math.max(openedAt,
            hung.stream().mapToLong(c -> c.startedNanos() + c.latencyMs() * 1_000_000).max().orElse(openedAt));
        System.out.printf("BreakerRecoveryIT: %d calls reached the hung orchestrator and timed out, the last ending %d ms"
                + " after the breaker opened; recovered %s after it opened (state now %s)%n", hung.size(),
            (answersAgainAt - openedAt) / 1_000_000,
            recoveredAt == 0 ? "not within 25 s" : (recoveredAt - openedAt) / 1_000_000 + " ms", stateThen);
        assertTrue(openMs <= OPEN_WITHIN_MS, "the breaker opens within about a second under load: " + openMs + " ms");
        assertTrue(recoveredAt != 0, "the service recovers (breaker closed, real decisions) within seconds once the"
            + " orchestrator answers again; 25 s after opening the breaker is " + stateThen + "; " + summary(load.snapshot()));
        long recoverMs = (recoveredAt - answersAgainAt) / 1_000_000;
        assertTrue(recoverMs <= RECOVER_WITHIN_MS, "recovered within " + RECOVER_WITHIN_MS + " ms of the orchestrator"
            + " answering again: " + recoverMs);

        long openingsAtRecovery = Calls.breakerOpenings(svc);

        // 3. And stays recovered: the breaker does not open again, and the calls started a moment after recovery are
        //    real decisions.
        Thread.sleep(2_000);
        long settled = recoveredAt + TimeUnit.MILLISECONDS.toNanos(300);
        List<Call> after = load.stop().stream().filter(c -> c.startedNanos() > settled).toList();
        long notDecided = after.stream().filter(c -> !c.decided()).count();
        System.out.printf("BreakerRecoveryIT: after recovery %s: %s%n", summary(after), kinds(after));
        assertTrue(after.size() > 10, "the load kept running after recovery: " + after.size());
        assertEquals(openingsAtRecovery, Calls.breakerOpenings(svc), "the breaker does not open again after recovery");
        // Real decisions: a stray call over the SLA on a busy machine is tolerated, not a pattern.
        assertTrue(notDecided <= after.size() * 0.05, "after recovery the answers are real decisions: " + summary(after)
            + ": " + kinds(after));
      } finally {
        load.stop();
      }
    }
  }

  /**
   * The breaker opens on a failure rate, not a failure count: a handful of slow calls (8, all at once, under
   * minimum_calls 20) among many fast ones over the one-second window do not open it. Today 5 failures do.
   */
  @Test
  void aFewSlowCallsAmongManyFastOnesDoNotOpenTheBreaker() throws Exception {
    OwnDatabase db = OwnDatabase.create();
    Map<String, String> env = new HashMap<>(db.env());
    env.put("SPOOL_DIR", TestService.newSpoolDir());
    env.put("ORCHESTRATOR_TEST_DELAY_MS", Long.toString(HANG_MS));
    env.put("ORCHESTRATOR_TEST_SLOW_CALLS", Integer.toString(CALLERS));
    try (db; ServiceProcess svc = ServiceProcess.start("breaker-sparse-it", env)) {
      svc.awaitReady(90);
      Calls.openConnections(svc, CALLERS);
      Calls.Load load = Calls.Load.start(CALLERS, null, 50,
          n -> new Calls.Load.Request(svc, "select_loop", new JsonObject().put("user_id", "sparse-" + n)));
      List<Call> calls;
      try {
        Thread.sleep(4_000);
      } finally {
        calls = load.stop();
      }
      long openings = Calls.breakerOpenings(svc);
      System.out.printf("BreakerRecoveryIT (sparse): %s (%s); breaker %s, opened %d times%n", summary(calls), kinds(calls),
          Calls.breakerState(svc), openings);
      assertEquals(0, openings, "8 slow calls among " + calls.size() + " do not open the breaker: " + summary(calls));
      assertTrue(calls.stream().filter(c -> !c.decided()).count() <= calls.size() * 0.10,
          "the slow calls (and a few more on a busy machine) get the default decision, not the rest: " + summary(calls)
              + ": " + kinds(calls));
    }
  }

  /** How many calls that were not real decisions ended which way: by error code, HTTP status or rationale. */
  static java.util.Map<String, Long> kinds(List<Call> calls) {
    return calls.stream().filter(c -> !c.decided()).collect(java.util.stream.Collectors.groupingBy(c ->
        c.error() != null ? "transport error" : c.errorCode() != null ? "error " + c.errorCode()
            : c.result() == null ? "HTTP " + c.status() : "degraded: " + c.result().getString("rationale"),
        java.util.TreeMap::new, java.util.stream.Collectors.counting()));
  }

  static String summary(List<Call> calls) {
    long decided = calls.stream().filter(Call::decided).count();
    long degraded = calls.stream().filter(Call::degraded).count();
    return calls.size() + " calls: " + decided + " decided, " + degraded + " degraded, " + (calls.size() - decided - degraded) + " errors";
  }
}
