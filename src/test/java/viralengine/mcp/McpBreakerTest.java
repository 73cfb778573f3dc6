package viralengine.mcp;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.mcp.McpHttp.modernRequest;
import static viralengine.mcp.McpHttp.toolCall;

/**
 * MCP tools share the JSON-RPC endpoint's circuit breaker and fallbacks: a slow orchestrator (its first
 * two calls) gives a degraded select_loop and a degraded trigger_event (its event recorded all the same), both
 * normal tool results, opens the one breaker, and JSON-RPC callers then see it open too. Each answer is logged as
 * the caller saw it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpBreakerTest {
  static final long TIMEOUT_MS = 1_000;
  static TestService svc;
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("orchestrator", new JsonObject().put("timeout_ms", TIMEOUT_MS).put("test_delay_ms", 3_000).put("test_slow_calls", 2))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 2).put("window_ms", 60_000).put("reset_timeout_ms", 60_000)));
    svc.resetData();
    mcp = new McpHttp(svc);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  private static JsonObject call(int id, String tool, JsonObject args) {
    HttpResponse<Buffer> response = mcp.modern(modernRequest(id, "tools/call", toolCall(tool, args)));
    assertEquals(200, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getJsonObject("result");
  }

  private static Row decision(String decisionId) {
    return svc.query("SELECT * FROM agent_decisions WHERE decision_id = $1", UUID.fromString(decisionId)).iterator().next();
  }

  /** A trigger_event answered in the orchestrator's place: the default decision, naming the event it recorded. */
  private static void assertDegradedTrigger(JsonObject result) {
    assertTrue(result.getBoolean("degraded"), result.encode());
    assertTrue(result.containsKey("loop"));
    assertNull(result.getValue("loop"));
    assertEquals(new JsonArray(), result.getJsonArray("eligible_loops"));
    assertNotNull(UUID.fromString(result.getString("event_id")));
    assertNotNull(UUID.fromString(result.getString("decision_id")));
  }

  @Test
  void aSlowOrchestratorDegradesSelectLoopAndTriggerEventAndOpensTheSharedBreaker() {
    // select_loop over the SLA: the default decision, as a normal (not error) tool result.
    JsonObject degraded = call(1, "select_loop", new JsonObject().put("user_id", "slow-mcp").put("request_id", "mcp-sl-1"));
    assertEquals(false, degraded.getBoolean("isError"));
    JsonObject decision = degraded.getJsonObject("structuredContent");
    assertTrue(decision.getBoolean("degraded"));
    assertNull(decision.getValue("loop"));

    // trigger_event over the SLA: the default decision too, as a normal tool result naming the event it recorded.
    JsonObject timedOut = call(2, "trigger_event",
        new JsonObject().put("event_type", "practice_completed").put("user_id", "slow-mcp").put("request_id", "mcp-te-1"));
    assertEquals(false, timedOut.getBoolean("isError"));
    JsonObject triggered = timedOut.getJsonObject("structuredContent");
    assertDegradedTrigger(triggered);
    assertEquals("practice_completed", triggered.getString("event_type"));

    // Two failures opened the one breaker: JSON-RPC sees it open, and so does the next tool call.
    JsonObject viaJsonRpc = svc.rpc("trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "slow-mcp"))
        .getJsonObject("result");
    assertDegradedTrigger(viaJsonRpc);
    assertTrue(viaJsonRpc.getString("rationale").contains("Circuit breaker is open"), viaJsonRpc.getString("rationale"));
    JsonObject open = call(3, "trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "slow-mcp"));
    assertEquals(false, open.getBoolean("isError"));
    assertDegradedTrigger(open.getJsonObject("structuredContent"));
    assertEquals("open", call(4, "orchestrator_health", new JsonObject()).getJsonObject("structuredContent").getString("circuit_breaker"));

    // The audit trail holds what the MCP caller saw, exactly as for JSON-RPC callers (claimed under the request_id
    // before the answer was given, so already there).
    Row first = decision(decision.getString("decision_id"));
    assertFalse(first.getBoolean("success"));
    assertEquals("mcp-sl-1", first.getString("request_id"));
    assertEquals("timeout", ((JsonObject) first.getValue("features_used")).getString("fallback"));
    assertEquals(decision, first.getValue("output_result"));
    Row second = decision(triggered.getString("decision_id"));
    assertFalse(second.getBoolean("success"));
    assertNull(second.getValue("error_code"), "a default decision, not an error");
    assertEquals("degraded", second.getString("outcome"));
    assertEquals("timeout", ((JsonObject) second.getValue("features_used")).getString("fallback"));
    assertEquals("mcp-te-1", second.getString("request_id"));
    assertEquals(triggered, second.getValue("output_result"));
    Row event = svc.query("SELECT * FROM viral_events WHERE event_id = $1", UUID.fromString(triggered.getString("event_id")))
        .iterator().next();
    assertEquals("mcp-te-1", event.getString("request_id"));
    assertFalse(event.getBoolean("processed"), "recorded in the orchestrator's place: no handler ran");
  }
}
