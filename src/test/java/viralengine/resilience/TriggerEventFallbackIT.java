package viralengine.resilience;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import viralengine.support.Calls;
import viralengine.support.Calls.Call;
import viralengine.support.OwnDatabase;
import viralengine.support.ServiceProcess;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 22, item 5: a trigger_event answered in the orchestrator's place (its deadline passed, or the breaker is
 * open) keeps its viral_events row, and the caller gets a degraded result, not an error:
 * {@code {decision_id, event_id, event_type, loop: null, degraded: true, rationale, latency_ms}}; the agent_decisions
 * row has success = false and features_used.fallback naming why (timeout, circuit_open).
 *
 * <p>The real JAR with every orchestrator call slow (orchestrator.test_delay_ms 600 against the default 150 ms
 * SLA); breaker settings are the defaults.
 */
@Timeout(value = 100, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TriggerEventFallbackIT {
  static OwnDatabase db;
  static ServiceProcess svc;

  @BeforeAll
  static void start() throws Exception {
    db = OwnDatabase.create();
    Map<String, String> env = new HashMap<>(db.env());
    env.put("SPOOL_DIR", TestService.newSpoolDir());
    env.put("ORCHESTRATOR_TEST_DELAY_MS", "600");
    svc = ServiceProcess.start("trigger-fallback-it", env);
    svc.awaitReady(90);
  }

  @AfterAll
  static void stop() {
    if (svc != null) {
      svc.close();
    }
    if (db != null) {
      db.close();
    }
  }

  static JsonObject trigger(String requestId) {
    return new JsonObject().put("event_type", "practice_completed").put("user_id", "fallback-" + requestId)
        .put("request_id", requestId);
  }

  @Test
  @Order(1)
  void aTriggerEventPastItsDeadlineGetsADegradedResultAndKeepsItsEvent() throws Exception {
    Call answer = Calls.call(svc, "trigger_event", trigger("te-deadline-1"));
    checkDegradedResult(answer, "te-deadline-1", "timeout");
  }

  @Test
  @Order(2)
  void aTriggerEventWhileTheBreakerIsOpenGetsADegradedResultAndKeepsItsEvent() throws Exception {
    // Open the breaker: a burst of calls that all time out (30 in well under a second: over minimum_calls 20, 100 % failed).
    List<CompletableFuture<Call>> burst = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      burst.add(Calls.send(svc, "trigger_event", trigger("te-burst-" + i), null));
    }
    List<Call> answers = new ArrayList<>();
    for (CompletableFuture<Call> call : burst) {
      answers.add(call.get(60, TimeUnit.SECONDS));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!"open".equals(Calls.breakerState(svc))) {
      if (System.nanoTime() > deadline) {
        fail("the breaker never opened after 30 timed-out calls; it is " + Calls.breakerState(svc));
      }
      Thread.sleep(20);
    }
    Call whileOpen = Calls.call(svc, "trigger_event", trigger("te-open-1"));
    assertTrue(whileOpen.latencyMs() < 150 * 5, "an open breaker answers at once: " + whileOpen.latencyMs());
    checkDegradedResult(whileOpen, "te-open-1", "circuit_open");
    // Every call of the burst was answered in the orchestrator's place too: degraded results, each event kept.
    for (Call call : answers) {
      assertNotNull(call.result(), "a burst call got a result, not an error: " + call.summary());
      assertTrue(call.degraded(), call.summary());
    }
    assertEquals(30, db.rows("SELECT count(*) FROM viral_events WHERE request_id LIKE 'te-burst-%'"),
        "every burst call's event is recorded");
  }

  /** The answer is the degraded result of the contract, and the database has its event and its failed decision. */
  static void checkDegradedResult(Call answer, String requestId, String fallback) throws Exception {
    JsonObject result = answer.result();
    assertNotNull(result, "trigger_event answered in the orchestrator's place is a degraded RESULT, not an error: "
        + answer.summary());
    assertEquals(true, result.getBoolean("degraded"), result.encode());
    assertTrue(result.containsKey("loop") && result.getValue("loop") == null, "loop: null: " + result.encode());
    assertEquals("practice_completed", result.getString("event_type"), result.encode());
    assertNotNull(result.getString("rationale"), result.encode());
    assertNotNull(result.getValue("latency_ms"), result.encode());
    String decisionId = UUID.fromString(result.getString("decision_id")).toString();
    String eventId = UUID.fromString(result.getString("event_id")).toString();

    // Rows are written through the decision log: wait (generously) until they are there.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (db.rows("SELECT count(*) FROM agent_decisions WHERE decision_id = '" + decisionId + "'") == 0
        || db.rows("SELECT count(*) FROM viral_events WHERE request_id = '" + requestId + "'") == 0) {
      if (System.nanoTime() > deadline) {
        fail("no agent_decisions row for " + decisionId + " or no viral_events row for " + requestId + " (events: "
            + db.rows("SELECT count(*) FROM viral_events WHERE request_id = '" + requestId + "'") + ")");
      }
      Thread.sleep(50);
    }
    assertEquals(eventId, db.text("SELECT event_id FROM viral_events WHERE request_id = '" + requestId + "'"),
        "the event row is the one the answer names");
    assertEquals("practice_completed", db.text("SELECT event_type FROM viral_events WHERE request_id = '" + requestId + "'"));
    assertEquals("f", db.text("SELECT success FROM agent_decisions WHERE decision_id = '" + decisionId + "'"));
    assertEquals(fallback, db.text("SELECT features_used->>'fallback' FROM agent_decisions WHERE decision_id = '" + decisionId + "'"));
    assertEquals(requestId, db.text("SELECT request_id FROM agent_decisions WHERE decision_id = '" + decisionId + "'"));
  }
}
