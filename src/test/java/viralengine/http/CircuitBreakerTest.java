package viralengine.http;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The orchestrator is made slow for its first two calls (test_delay_ms, test_slow_calls). The story of
 * one breaker, told in order: timeouts, the circuit opening, degraded answers, and recovery.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CircuitBreakerTest {
  static final long TIMEOUT_MS = 100;
  static final long RESET_MS = 1_000;
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("orchestrator", new JsonObject().put("timeout_ms", TIMEOUT_MS).put("test_delay_ms", 400).put("test_slow_calls", 2))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 2).put("reset_timeout_ms", RESET_MS)));
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

  @Test
  void timeoutsOpenTheCircuitSelectLoopDegradesAndTheCircuitClosesAfterTheReset() throws Exception {
    // 1. select_loop times out: the caller gets the default decision, not an error.
    JsonObject degraded = svc.rpc("select_loop", new JsonObject().put("user_id", "slow-learner").put("request_id", "sl-1"))
        .getJsonObject("result");
    assertTrue(degraded.getBoolean("degraded"));
    assertNull(degraded.getValue("loop"));
    assertTrue(degraded.getString("rationale").contains("within " + TIMEOUT_MS + " ms"), degraded.getString("rationale"));

    // 2. trigger_event times out: -32001 comes first, naming the decision it logged.
    JsonObject timedOut = svc.rpc("trigger_event", trigger("te-1"));
    assertEquals(-32001, timedOut.getJsonObject("error").getInteger("code"));
    String timedOutDecision = timedOut.getJsonObject("error").getJsonObject("data").getString("decision_id");

    // 3. Two failures opened the circuit: -32002 without calling the orchestrator.
    long start = System.nanoTime();
    JsonObject open = svc.rpc("trigger_event", trigger("te-2"));
    assertEquals(-32002, open.getJsonObject("error").getInteger("code"));
    assertTrue((System.nanoTime() - start) / 1_000_000 < TIMEOUT_MS * 5, "an open circuit answers at once");
    JsonObject degradedOpen = svc.rpc("select_loop", new JsonObject().put("user_id", "slow-learner")).getJsonObject("result");
    assertTrue(degradedOpen.getBoolean("degraded"));
    assertEquals("open", svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getString("circuit_breaker"));
    assertEquals("degraded", svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getString("status"));

    // 4. The audit trail shows what each caller saw, and the late orchestrator work recorded nothing.
    Thread.sleep(600);
    Row first = decision(degraded.getString("decision_id"));
    assertFalse(first.getBoolean("success"));
    assertEquals("sl-1", first.getString("request_id"));
    assertTrue(((JsonObject) first.getValue("output_result")).getBoolean("degraded"));
    assertEquals("timeout", ((JsonObject) first.getValue("features_used")).getString("fallback"));
    assertEquals("degraded", first.getString("outcome"), "the default decision's plain outcome column");
    assertEquals("slow-learner", first.getString("user_id"));
    Row second = decision(timedOutDecision);
    assertFalse(second.getBoolean("success"));
    assertEquals(-32001, second.getInteger("error_code"));
    assertNull(second.getValue("outcome"), "a failed call decided nothing");
    Row third = svc.query("SELECT * FROM agent_decisions WHERE request_id = 'te-2'").iterator().next();
    assertEquals(-32002, third.getInteger("error_code"));
    assertEquals(4, svc.count("SELECT count(*) FROM agent_decisions"), "one row per answer, no late orchestrator rows");
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events"), "no event was recorded behind a timeout");

    // 5. After the reset timeout the breaker lets a call through; the orchestrator is fast again, so it closes.
    Thread.sleep(RESET_MS + 200);
    JsonObject recovered = svc.rpc("trigger_event", trigger("te-3")).getJsonObject("result");
    assertEquals("no_eligible_loop", recovered.getString("outcome"));
    assertEquals("closed", svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getString("circuit_breaker"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = 'te-3'"));

    // 6. A repeated request_id gets the answer its caller saw the first time, even one the breaker gave.
    assertEquals(-32001, svc.rpc("trigger_event", trigger("te-1")).getJsonObject("error").getInteger("code"));
    assertTrue(svc.rpc("select_loop", new JsonObject().put("user_id", "slow-learner").put("request_id", "sl-1"))
        .getJsonObject("result").getBoolean("degraded"));
  }
}
