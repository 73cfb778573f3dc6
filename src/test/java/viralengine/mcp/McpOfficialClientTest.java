package viralengine.mcp;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official MCP Java SDK (2.1.0, {@code HttpClientStreamableHttpTransport}, protocol 2025-11-25) against the
 * running service: handshake, tool discovery, every tool with good and bad arguments, and the rows in PostgreSQL.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpOfficialClientTest {
  static final String PHASE_1 = "Phase 1: Event logged, no loops active yet";
  static TestService svc;
  McpSyncClient client;

  @BeforeAll
  static void start() {
    svc = TestService.start();
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void connect() {
    svc.resetData();
    HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + svc.port)
        .endpoint(McpEndpoint.PATH)
        .build();
    client = McpClient.sync(transport)
        .clientInfo(new McpSchema.Implementation("viral-engine-test", "1.0.0"))
        .requestTimeout(Duration.ofSeconds(10))
        .build();
  }

  @AfterEach
  void disconnect() {
    client.closeGracefully();
  }

  private static JsonObject structured(McpSchema.CallToolResult result) {
    return new JsonObject((Map<String, Object>) result.structuredContent());
  }

  private static String text(McpSchema.CallToolResult result) {
    return ((McpSchema.TextContent) result.content().get(0)).text();
  }

  @Test
  void theHandshakeNegotiates20251125AndAdvertisesTools() {
    McpSchema.InitializeResult init = client.initialize();
    assertEquals("2025-11-25", init.protocolVersion());
    assertNotNull(init.capabilities().tools());
    assertEquals("viral-engine-orchestrator", init.serverInfo().name());
    assertFalse(init.instructions().isBlank());
    assertNotNull(client.ping());
  }

  @Test
  void listToolsReturnsTheThreeToolsWithTitlesDescriptionsAndSchemas() {
    client.initialize();
    List<McpSchema.Tool> tools = client.listTools().tools();
    assertEquals(McpHttp.ALL_TOOLS, tools.stream().map(McpSchema.Tool::name).toList());
    for (McpSchema.Tool tool : tools) {
      assertFalse(tool.title().isBlank(), tool.name());
      assertTrue(tool.description().length() > 80, tool.name());
      assertEquals("object", tool.inputSchema().get("type"), tool.name());
      assertNotNull(tool.outputSchema(), tool.name());
    }
    McpSchema.Tool trigger = tools.get(0);
    assertEquals(List.of("event_type", "user_id"), trigger.inputSchema().get("required"));
    assertEquals(Boolean.FALSE, trigger.inputSchema().get("additionalProperties"));
    assertEquals(Boolean.TRUE, tools.get(2).annotations().readOnlyHint());
  }

  @Test
  void triggerEventRecordsTheEventAndTheDecisionInPostgres() {
    client.initialize();
    client.listTools(); // the SDK validates structured results against the listed output schemas
    Map<String, Object> args = Map.of("event_type", "practice_completed", "user_id", "mcp-learner-1",
        "request_id", "mcp-req-1", "context", Map.of("skill", "fractions", "score", 0.92));
    McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("trigger_event", args));

    assertEquals(Boolean.FALSE, result.isError());
    JsonObject decision = structured(result);
    assertEquals(decision, new JsonObject(text(result)), "the text block carries the same JSON");
    assertEquals("practice_completed_handler", decision.getString("handler"));
    assertEquals(PHASE_1, decision.getString("rationale"));

    Row row = svc.query("SELECT agent_id, method, request_id, input_params, output_result, success FROM agent_decisions WHERE decision_id = $1",
        UUID.fromString(decision.getString("decision_id"))).iterator().next();
    assertEquals("orchestrator", row.getString("agent_id"));
    assertEquals("trigger_event", row.getString("method"));
    assertEquals("mcp-req-1", row.getString("request_id"));
    assertEquals(new JsonObject(args), row.getValue("input_params"));
    assertEquals(decision, row.getValue("output_result"));
    assertTrue(row.getBoolean("success"));
    Row event = svc.query("SELECT user_id, event_type, context FROM viral_events WHERE event_id = $1",
        UUID.fromString(decision.getString("event_id"))).iterator().next();
    assertEquals("mcp-learner-1", event.getString("user_id"));
    assertEquals("fractions", ((JsonObject) event.getValue("context")).getString("skill"));
  }

  @Test
  void aRepeatedRequestIdOverMcpAndJsonRpcGetsTheFirstAnswerAndWritesNothing() {
    client.initialize();
    Map<String, Object> args = Map.of("event_type", "session_ended", "user_id", "mcp-learner-2", "request_id", "mcp-req-2");
    JsonObject first = structured(client.callTool(new McpSchema.CallToolRequest("trigger_event", args)));
    JsonObject again = structured(client.callTool(new McpSchema.CallToolRequest("trigger_event", args)));
    JsonObject viaJsonRpc = svc.rpc("trigger_event", new JsonObject(args)).getJsonObject("result");
    assertEquals(first, again);
    assertEquals(first, viaJsonRpc, "one idempotency store and decision log behind both endpoints");
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events"));
  }

  @Test
  void triggerEventWithBadArgumentsIsAToolErrorWithAClearMessage() {
    client.initialize();
    McpSchema.CallToolResult unknownType = client.callTool(new McpSchema.CallToolRequest("trigger_event",
        Map.of("event_type", "quiz_started", "user_id", "mcp-learner-3")));
    assertEquals(Boolean.TRUE, unknownType.isError());
    assertTrue(text(unknownType).startsWith("Invalid params: unknown event_type 'quiz_started'"), text(unknownType));

    McpSchema.CallToolResult missingUser = client.callTool(new McpSchema.CallToolRequest("trigger_event",
        Map.of("event_type", "session_ended")));
    assertEquals(Boolean.TRUE, missingUser.isError());
    assertTrue(text(missingUser).startsWith("Invalid params: user_id is required"), text(missingUser));

    McpSchema.CallToolResult unknownParam = client.callTool(new McpSchema.CallToolRequest("trigger_event",
        Map.of("event_type", "session_ended", "user_id", "u", "colour", "red")));
    assertEquals(Boolean.TRUE, unknownParam.isError());
    assertTrue(text(unknownParam).contains("colour"), text(unknownParam));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events"));
  }

  @Test
  void selectLoopLogsADecisionAndRejectsBadArguments() {
    client.initialize();
    client.listTools();
    McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("select_loop",
        Map.of("user_id", "mcp-learner-4", "event_type", "diagnostic_completed")));
    assertEquals(Boolean.FALSE, result.isError());
    JsonObject decision = structured(result);
    assertNull(decision.getValue("loop"));
    assertTrue(decision.getJsonArray("eligible_loops").isEmpty());
    assertEquals("select_loop", svc.query("SELECT method FROM agent_decisions WHERE decision_id = $1",
        UUID.fromString(decision.getString("decision_id"))).iterator().next().getString("method"));

    McpSchema.CallToolResult numericUser = client.callTool(new McpSchema.CallToolRequest("select_loop", Map.of("user_id", 42)));
    assertEquals(Boolean.TRUE, numericUser.isError());
    assertTrue(text(numericUser).startsWith("Invalid params: user_id must be a string"), text(numericUser));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void orchestratorHealthAnswersTheHealthBodyAndRejectsArguments() {
    client.initialize();
    client.listTools();
    McpSchema.CallToolResult health = client.callTool(new McpSchema.CallToolRequest("orchestrator_health", Map.of()));
    assertEquals(Boolean.FALSE, health.isError());
    assertEquals("ok", structured(health).getString("status"));
    assertEquals("up", structured(health).getJsonObject("database").getString("status"));

    McpSchema.CallToolResult withArgs = client.callTool(new McpSchema.CallToolRequest("orchestrator_health", Map.of("verbose", true)));
    assertEquals(Boolean.TRUE, withArgs.isError());
    assertTrue(text(withArgs).contains("takes no arguments"), text(withArgs));
  }

  @Test
  void anUnknownToolIsAJsonRpcErrorMinus32602() {
    client.initialize();
    McpError error = assertThrows(McpError.class,
        () -> client.callTool(new McpSchema.CallToolRequest("launch_rocket", Map.of())));
    assertEquals(-32602, error.getJsonRpcError().code());
    assertTrue(error.getMessage().contains("Unknown tool: launch_rocket"), error.getMessage());
  }
}
