package viralengine.mcp;

import io.vertx.core.buffer.Buffer;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.mcp.McpHttp.modernRequest;
import static viralengine.mcp.McpHttp.toolCall;

/**
 * MCP tools share the JSON-RPC endpoint's circuit breaker and fallbacks: a slow orchestrator (its first
 * two calls) gives a degraded select_loop and a -32001 tool error, opens the one breaker, and JSON-RPC
 * callers then see it open too. Each answer is logged as the caller saw it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpBreakerTest {
  static final long TIMEOUT_MS = 100;
  static TestService svc;
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject()
        .put("orchestrator", new JsonObject().put("timeout_ms", TIMEOUT_MS).put("test_delay_ms", 400).put("test_slow_calls", 2))
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 2).put("reset_timeout_ms", 60_000)));
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

  @Test
  void aSlowOrchestratorDegradesSelectLoopFailsTriggerEventAndOpensTheSharedBreaker() throws Exception {
    // select_loop over the SLA: the default decision, as a normal (not error) tool result.
    JsonObject degraded = call(1, "select_loop", new JsonObject().put("user_id", "slow-mcp").put("request_id", "mcp-sl-1"));
    assertEquals(false, degraded.getBoolean("isError"));
    JsonObject decision = degraded.getJsonObject("structuredContent");
    assertTrue(decision.getBoolean("degraded"));
    assertNull(decision.getValue("loop"));

    // trigger_event over the SLA: a tool error naming -32001 and the decision it logged.
    JsonObject timedOut = call(2, "trigger_event",
        new JsonObject().put("event_type", "practice_completed").put("user_id", "slow-mcp").put("request_id", "mcp-te-1"));
    assertEquals(true, timedOut.getBoolean("isError"));
    String text = timedOut.getJsonArray("content").getJsonObject(0).getString("text");
    assertTrue(text.contains("\"code\":-32001"), text);
    String failedDecision = new JsonObject(text.substring(text.indexOf('\n') + 1)).getJsonObject("data").getString("decision_id");

    // Two failures opened the one breaker: JSON-RPC sees it open, and so does the next tool call.
    JsonObject viaJsonRpc = svc.rpc("trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "slow-mcp"));
    assertEquals(-32002, viaJsonRpc.getJsonObject("error").getInteger("code"));
    JsonObject open = call(3, "trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "slow-mcp"));
    assertEquals(true, open.getBoolean("isError"));
    assertTrue(open.getJsonArray("content").getJsonObject(0).getString("text").contains("\"code\":-32002"));
    assertEquals("open", call(4, "orchestrator_health", new JsonObject()).getJsonObject("structuredContent").getString("circuit_breaker"));

    // The audit trail holds what the MCP caller saw, exactly as for JSON-RPC callers.
    Thread.sleep(600);
    Row first = decision(decision.getString("decision_id"));
    assertFalse(first.getBoolean("success"));
    assertEquals("mcp-sl-1", first.getString("request_id"));
    assertEquals("timeout", ((JsonObject) first.getValue("features_used")).getString("fallback"));
    Row second = decision(failedDecision);
    assertFalse(second.getBoolean("success"));
    assertEquals(-32001, second.getInteger("error_code"));
    assertEquals("mcp-te-1", second.getString("request_id"));
  }
}
