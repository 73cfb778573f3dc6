package viralengine.mcp;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** loop_report as an MCP tool: listed for a decide token, read-only, answering the same rows as JSON-RPC. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpLoopReportToolTest {
  static final String DECIDE = "decide-token-0123456789";
  static TestService svc;
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("ORCHESTRATOR_API_TOKENS", "app:decide:" + DECIDE));
    mcp = new McpHttp(svc);
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  static JsonObject call(JsonObject message) {
    return mcp.post(message, MultiMap.caseInsensitiveMultiMap().add("MCP-Protocol-Version", "2025-11-25")
        .add("authorization", "Bearer " + DECIDE)).bodyAsJsonObject().getJsonObject("result");
  }

  @Test
  void theToolIsListedAsReadOnly() {
    JsonObject tool = call(McpHttp.request(1, "tools/list", new JsonObject())).getJsonArray("tools").stream()
        .map(JsonObject.class::cast).filter(t -> "loop_report".equals(t.getString("name"))).findFirst().orElseThrow();
    assertEquals(true, tool.getJsonObject("annotations").getBoolean("readOnlyHint"));
    assertEquals(java.util.List.of("from", "to"), tool.getJsonObject("inputSchema").getJsonArray("required").getList());
  }

  @Test
  void theToolAnswersTheReport() {
    long loop = svc.query("SELECT id FROM viral_loops WHERE name = 'proud_parent'").iterator().next().getLong(0);
    svc.query("INSERT INTO agent_decisions (decision_id, agent_id, method, input_params, loop_id, latency_ms, success,"
        + " created_at, user_id, event_type, outcome) VALUES ($1, 'orchestrator', 'select_loop', '{}', $2, 1, true, $3,"
        + " 'mcp-learner', 'session_ended', 'selected')", UUID.randomUUID(), loop, OffsetDateTime.parse("2026-11-02T08:15:00Z"));
    JsonObject result = call(McpHttp.request(2, "tools/call", McpHttp.toolCall("loop_report",
        new JsonObject().put("from", "2026-11-02T00:00:00Z").put("to", "2026-11-03T00:00:00Z"))));
    assertEquals(false, result.getBoolean("isError"), result.encode());
    JsonObject row = result.getJsonObject("structuredContent").getJsonArray("rows").getJsonObject(0);
    assertEquals("proud_parent", row.getString("loop"));
    assertEquals(1, row.getLong("selections"));
    assertEquals(1, row.getLong("learners_selected"));
  }

  @Test
  void badArgumentsAreAToolErrorNamingTheField() {
    JsonObject result = call(McpHttp.request(3, "tools/call", McpHttp.toolCall("loop_report",
        new JsonObject().put("from", "2026-11-03T00:00:00Z").put("to", "2026-11-02T00:00:00Z"))));
    assertEquals(true, result.getBoolean("isError"));
    String text = result.getJsonArray("content").getJsonObject(0).getString("text");
    assertTrue(text.contains("-32602") && text.contains("\"field\":\"to\""), text);
  }
}
