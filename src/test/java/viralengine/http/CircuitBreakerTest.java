package viralengine.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * The orchestrator is made slow for its first two calls (test_delay_ms, test_slow_calls). The story of
 * one breaker, told in order: timeouts answered with the default decision (claimed under their request_id, and
 * for trigger_event with its event recorded), the failure rate opening the circuit, degraded answers while it is
 * open, recovery through half-open, and repeated request_ids getting the answer their caller saw first.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CircuitBreakerTest {
  static final long TIMEOUT_MS = 1_000;
  static final long RESET_MS = 1_000;
  /** How long a poll waits for what must happen: generous, for a starved test machine. */
  static final long POLL_MS = 30_000;
  static TestService svc;

  @BeforeAll
  static void start() {
    // Two calls are enough to judge the rate, and the window is long enough that both timeouts fall in it.
    svc = TestService.start(new JsonObject()
        .put("orchestrator", new JsonObject().put("timeout_ms", TIMEOUT_MS).put("test_delay_ms", 3_000).put("test_slow_calls", 2))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 2).put("window_ms", 60_000)
            .put("reset_timeout_ms", RESET_MS)));
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static JsonObject trigger(String requestId) {
    return new JsonObject().put("event_type", "practice_completed").put("user_id", "slow-learner").put("request_id", requestId);
  }

  static Row decision(String decisionId) {
    return svc.query("SELECT * FROM agent_decisions WHERE decision_id = $1", UUID.fromString(decisionId)).iterator().next();
  }

  static Row event(String eventId) {
    return svc.query("SELECT * FROM viral_events WHERE event_id = $1", UUID.fromString(eventId)).iterator().next();
  }

  static JsonObject health() {
    return svc.get("/mcp/orchestrator/health").bodyAsJsonObject();
  }

  static void poll(String what, BooleanSupplier condition) {
    long deadline = System.currentTimeMillis() + POLL_MS;
    while (!condition.getAsBoolean()) {
      assertTrue(System.currentTimeMillis() < deadline, what + " within " + POLL_MS + " ms");
      await(svc.vertx.timer(20));
    }
  }

  /** A trigger_event answered in the orchestrator's place: the default decision, with the event it recorded. */
  static void assertDegradedTrigger(JsonObject result) {
    assertNotNull(result, "a result, not an error");
    assertTrue(result.getBoolean("degraded"), result.encode());
    assertTrue(result.containsKey("loop"), result.encode());
    assertNull(result.getValue("loop"));
    assertEquals(new JsonArray(), result.getJsonArray("eligible_loops"));
    assertEquals("practice_completed", result.getString("event_type"));
    assertNotNull(UUID.fromString(result.getString("event_id")));
    assertNotNull(UUID.fromString(result.getString("decision_id")));
    assertTrue(result.getString("rationale").startsWith("Default decision (no loop): "), result.getString("rationale"));
    assertNotNull(result.getDouble("latency_ms"));
  }

  /** The audit row holds exactly what the caller saw, as a fallback (not a decision), and why it was given. */
  static void assertFallbackRow(JsonObject answer, String requestId, String fallback) {
    Row row = decision(answer.getString("decision_id"));
    assertFalse(row.getBoolean("success"));
    assertEquals(requestId, row.getString("request_id"));
    assertEquals(answer, row.getJsonObject("output_result"), "stored as what the caller saw");
    assertEquals(fallback, row.getJsonObject("features_used").getString("fallback"));
    assertNull(row.getValue("error_code"), "a default decision, not an error");
    assertEquals("degraded", row.getString("outcome"), "the default decision's plain outcome column");
    assertEquals("slow-learner", row.getString("user_id"));
  }

  /** The trigger_event's event is recorded beside its fallback row, unprocessed: no handler ran. */
  static void assertUnprocessedEvent(JsonObject answer, String requestId) {
    Row event = event(answer.getString("event_id"));
    assertEquals(requestId, event.getString("request_id"));
    assertEquals("practice_completed", event.getString("event_type"));
    assertEquals("slow-learner", event.getString("user_id"));
    assertFalse(event.getBoolean("processed"));
  }

  @Test
  void timeoutsOpenTheCircuitTheEdgeAnswersWithDefaultDecisionsAndTheCircuitClosesAfterTheReset() {
    // 1. select_loop times out: the caller gets the default decision, claimed under its request_id.
    JsonObject degraded = svc.rpc("select_loop", new JsonObject().put("user_id", "slow-learner").put("request_id", "sl-1"))
        .getJsonObject("result");
    assertTrue(degraded.getBoolean("degraded"));
    assertNull(degraded.getValue("loop"));
    assertTrue(degraded.getString("rationale").contains("within " + TIMEOUT_MS + " ms"), degraded.getString("rationale"));
    assertFallbackRow(degraded, "sl-1", "timeout");

    // 2. trigger_event times out: a degraded result too, naming the event recorded in the orchestrator's place.
    JsonObject timedOut = svc.rpc("trigger_event", trigger("te-1")).getJsonObject("result");
    assertDegradedTrigger(timedOut);
    assertTrue(timedOut.getString("rationale").contains("within " + TIMEOUT_MS + " ms"), timedOut.getString("rationale"));
    assertFallbackRow(timedOut, "te-1", "timeout");
    assertUnprocessedEvent(timedOut, "te-1");

    // 3. Two failures out of two calls (minimum_calls 2, at least 50 %) opened the circuit: the edge answers at
    //    once without calling the orchestrator.
    assertEquals("open", health().getString("circuit_breaker"));
    long start = System.nanoTime();
    JsonObject open = svc.rpc("trigger_event", trigger("te-2")).getJsonObject("result");
    assertTrue((System.nanoTime() - start) / 1_000_000 < TIMEOUT_MS, "an open circuit answers at once, not after the SLA");
    assertDegradedTrigger(open);
    assertFallbackRow(open, "te-2", "circuit_open");
    assertUnprocessedEvent(open, "te-2");
    JsonObject degradedOpen = svc.rpc("select_loop", new JsonObject().put("user_id", "slow-learner")).getJsonObject("result");
    assertTrue(degradedOpen.getBoolean("degraded"));
    JsonObject openHealth = health();
    assertEquals("open", openHealth.getString("circuit_breaker"));
    assertEquals("degraded", openHealth.getString("status"));

    // 4. After the reset timeout the breaker lets a trial call through; the orchestrator is fast again, so it closes.
    poll("the circuit goes half-open after reset_timeout_ms", () -> "half_open".equals(health().getString("circuit_breaker")));
    JsonObject recovered = svc.rpc("trigger_event", trigger("te-3")).getJsonObject("result");
    assertNotNull(recovered, "the trial call is decided");
    assertEquals("no_eligible_loop", recovered.getString("outcome"));
    assertNull(recovered.getValue("degraded"), "a decision of the orchestrator's own");
    assertEquals("closed", health().getString("circuit_breaker"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = 'te-3' AND processed"));

    // 5. A repeated request_id gets the answer its caller saw the first time, even one given in the orchestrator's place.
    assertEquals(timedOut, svc.rpc("trigger_event", trigger("te-1")).getJsonObject("result"));
    assertEquals(degraded, svc.rpc("select_loop", new JsonObject().put("user_id", "slow-learner").put("request_id", "sl-1"))
        .getJsonObject("result"));

    // 6. One row per answer (the anonymous select_loop's is written asynchronously), one event per trigger_event:
    //    the late orchestrator work and the repeats recorded nothing.
    poll("the open circuit's anonymous default decision is recorded",
        () -> svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1",
            UUID.fromString(degradedOpen.getString("decision_id"))) == 1);
    assertFallbackRow(degradedOpen, null, "circuit_open");
    assertEquals(5, svc.count("SELECT count(*) FROM agent_decisions"), "sl-1, te-1, te-2, the anonymous select_loop, te-3");
    assertEquals(3, svc.count("SELECT count(*) FROM viral_events"), "te-1, te-2, te-3");
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'te-1'"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'sl-1'"));
  }
}
