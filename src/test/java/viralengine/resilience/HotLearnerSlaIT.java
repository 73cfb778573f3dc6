package viralengine.resilience;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import viralengine.support.Calls;
import viralengine.support.Calls.Call;
import viralengine.support.OwnDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 22, item 2: one hot learner. 50 concurrent select_loop calls for the same learner, spread over two
 * processes (two JARs) on one database, with one active loop under a frequency rule of 1 per calendar_day. All 50
 * are answered with real decisions within the SLA (none degraded): exactly one "selected", the other 49
 * "no_eligible_loop" with the loop's check at reason cap_reached (read back with explain_decision); neither
 * process's breaker opens, and other learners keep getting real decisions.
 *
 * <p>Before issue 22 the learner's calls queued behind each other (each waited for the previous call's durable
 * write), later ones passed 150 ms, the breaker opened, and every other learner got the default decision. Both JARs
 * run the default SLA (150 ms) and breaker settings.
 *
 * <p>It needs real timing, so it is opt-in: two JVMs, PostgreSQL and 50 clients on a shared 2-core machine miss a
 * 150 ms SLA whenever something else takes the cores (12 of 50 degraded beside another suite's run). The behaviour
 * itself, that a learner's calls do not wait for each other's writes, is held without timing in the default suite
 * by DecisionsHttpTest's whileASelectionsWriteIsHeldTheLearnersOtherCallsAreStillDecided.
 */
@Timeout(value = 110, unit = TimeUnit.SECONDS)
@EnabledIfSystemProperty(named = "load.tests", matches = "true",
    disabledReason = "50 calls against a real 150 ms SLA over two JVMs: run it on a quiet machine with -Dload.tests=true")
class HotLearnerSlaIT {
  static final int CALLS = 50;
  static final String LOOP = "buddy_challenge";
  /** How long both processes carry a steady load before the burst (a load generator's pace, not a sleep for time logic). */
  static final long WARM_MS = 8_000;
  /** Calls that may miss the SLA on a loaded machine: the race loser's first call (see the assertion). */
  static final int MAX_LATE = 2;

  @Test
  void fiftyConcurrentCallsForOneLearnerOverTwoProcessesAreAllDecidedAndNoBreakerOpens() throws Exception {
    OwnDatabase db = OwnDatabase.create();
    db.activate(LOOP);
    db.dailyCap(1);
    try (db; ServiceProcess a = ServiceProcess.start("hot-learner-a-it", env(db));
         ServiceProcess b = ServiceProcess.start("hot-learner-b-it", env(db))) {
      a.awaitReady(90);
      b.awaitReady(90);
      assertEquals(1, a.health().getInteger("active_loops"));
      assertEquals(1, b.health().getInteger("active_loops"));

      // Both processes carry a steady load of other learners first, as in production: the burst below is about one
      // learner's queue, not a cold JVM (ColdStartIT covers that). With the old queueing, warm processes still had 40
      // to 50 of the 50 calls over 150 ms.
      Calls.Load warming = Calls.Load.start(4, null, 25, n -> new Calls.Load.Request(n % 2 == 0 ? a : b, "select_loop",
          new JsonObject().put("user_id", "steady-" + n % 200).put("event_type", "practice_completed")));
      try {
        Thread.sleep(WARM_MS);
      } finally {
        warming.stop();
      }
      long warmOpeningsA = Calls.breakerOpenings(a);
      long warmOpeningsB = Calls.breakerOpenings(b);

      String user = "hot-learner";
      List<CompletableFuture<Call>> sent = new ArrayList<>();
      for (int i = 0; i < CALLS; i++) {
        sent.add(Calls.send(i % 2 == 0 ? a : b, "select_loop", new JsonObject().put("user_id", user), null));
      }
      List<Call> calls = new ArrayList<>();
      for (CompletableFuture<Call> call : sent) {
        calls.add(call.get(60, TimeUnit.SECONDS));
      }
      // Every other learner, on both processes, right after.
      List<Call> others = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        others.add(Calls.call(a, "select_loop", new JsonObject().put("user_id", "other-a-" + i)));
        others.add(Calls.call(b, "select_loop", new JsonObject().put("user_id", "other-b-" + i)));
      }
      long openingsA = Calls.breakerOpenings(a) - warmOpeningsA;
      long openingsB = Calls.breakerOpenings(b) - warmOpeningsB;
      long degraded = calls.stream().filter(Call::degraded).count();
      long selected = calls.stream().filter(c -> c.decided() && "selected".equals(c.result().getString("outcome"))).count();
      long none = calls.stream().filter(c -> c.decided() && "no_eligible_loop".equals(c.result().getString("outcome"))).count();
      System.out.printf("HotLearnerSlaIT: %d calls for one learner: %d selected, %d no_eligible_loop, %d degraded, %d errors;"
              + " latencies (ms, client) %s; breaker openings a=%d b=%d (now %s, %s); other learners: %d of %d degraded%n",
          CALLS, selected, none, degraded, calls.stream().filter(c -> c.result() == null).count(),
          calls.stream().map(Call::latencyMs).sorted().toList(), openingsA, openingsB, Calls.breakerState(a),
          Calls.breakerState(b), others.stream().filter(c -> !c.decided()).count(), others.size());

      // The process that loses the race for the selection must wait for the winner's commit, learn its guard is stale,
      // read the learner again and decide again: two round trips, which on a loaded 2-core machine (two JVMs, PostgreSQL
      // and this client on it) can pass 150 ms for that one first call. Every other call is decided on the learner's
      // kept state without waiting for a write. A queue (the bug) makes dozens late, not one or two.
      List<Call> late = calls.stream().filter(c -> !c.decided()).toList();
      assertTrue(late.size() <= MAX_LATE, "all but at most " + MAX_LATE + " of the 50 calls are real decisions ("
          + degraded + " of 50 degraded): " + late.stream().map(Call::summary).limit(3).toList());
      for (Call call : calls.stream().filter(Call::decided).toList()) {
        assertTrue(call.result().getDouble("latency_ms") <= 150, "within the SLA: " + call.summary());
      }
      assertEquals(1, selected, "exactly one call selects the loop");
      assertEquals(CALLS - 1 - late.size(), none, "the other calls find no eligible loop");
      assertEquals(1, db.rows("SELECT count(*) FROM loop_exposures WHERE user_id = '" + user + "'"));
      for (Call call : calls.stream().filter(Call::decided).toList()) {
        if ("no_eligible_loop".equals(call.result().getString("outcome"))) {
          JsonObject explained = Calls.call(a, "explain_decision",
              new JsonObject().put("decision_id", call.result().getString("decision_id"))).result();
          assertTrue(explained != null, "explain_decision answers for " + call.result().getString("decision_id"));
          JsonObject check = explained.getJsonArray("checks").stream().map(JsonObject.class::cast)
              .filter(c -> LOOP.equals(c.getString("loop"))).findFirst().orElseThrow();
          assertEquals("cap_reached", check.getString("reason"), check.encode());
        }
      }
      assertEquals(0, openingsA, "process a's breaker never opened");
      assertEquals(0, openingsB, "process b's breaker never opened");
      assertEquals(List.of(), others.stream().filter(c -> !c.decided()).map(Call::summary).limit(3).toList(),
          "every other learner gets a real decision");
    }
  }

  static Map<String, String> env(OwnDatabase db) {
    Map<String, String> env = new HashMap<>(db.env());
    env.put("SPOOL_DIR", TestService.newSpoolDir());
    return env;
  }
}
