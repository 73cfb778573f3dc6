package viralengine.mcp;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.mcp.McpHttp.errorCode;
import static viralengine.mcp.McpHttp.headers;
import static viralengine.mcp.McpHttp.modernHeaders;
import static viralengine.mcp.McpHttp.modernRequest;
import static viralengine.mcp.McpHttp.request;
import static viralengine.mcp.McpHttp.toolCall;
import static viralengine.support.TestService.await;

/** {@code /mcp} over raw HTTP: the 2026-07-28 era, the transport's rules, and the legacy era without a client SDK. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class McpHttpTest {
  static TestService svc;
  static McpHttp mcp;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("limits", new JsonObject().put("max_body_bytes", 4096)));
    mcp = new McpHttp(svc);
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  private static JsonObject result(HttpResponse<Buffer> response) {
    assertEquals(200, response.statusCode(), response.bodyAsString());
    assertEquals("application/json", response.getHeader("content-type"));
    return response.bodyAsJsonObject().getJsonObject("result");
  }

  // ---- 2026-07-28: discover, list, call ----

  @Test
  void serverDiscoverListsTheSupportedVersionsCapabilitiesAndServerInfo() {
    JsonObject result = result(mcp.modern(modernRequest(1, "server/discover", null)));
    assertEquals(new JsonArray().add("2026-07-28").add("2025-11-25").add("2025-06-18").add("2025-03-26"),
        result.getJsonArray("supportedVersions"));
    assertTrue(result.getJsonObject("capabilities").containsKey("tools"));
    assertEquals("complete", result.getString("resultType"));
    assertTrue(result.getLong("ttlMs") >= 0);
    assertEquals("public", result.getString("cacheScope"));
    assertEquals("viral-engine-orchestrator",
        result.getJsonObject("_meta").getJsonObject("io.modelcontextprotocol/serverInfo").getString("name"));
    assertFalse(result.getString("instructions").isBlank());
  }

  @Test
  void modernToolsListReturnsTheThreeToolsWithResultTypeTtlAndCacheScope() {
    JsonObject result = result(mcp.modern(modernRequest(2, "tools/list", null)));
    assertEquals("complete", result.getString("resultType"));
    assertEquals(McpProtocol.TOOLS_TTL_MS, result.getLong("ttlMs"));
    assertEquals("public", result.getString("cacheScope"));
    JsonArray tools = result.getJsonArray("tools");
    assertEquals(McpHttp.ALL_TOOLS,
        tools.stream().map(t -> ((JsonObject) t).getString("name")).toList());
    for (Object tool : tools) {
      JsonObject t = (JsonObject) tool;
      assertFalse(t.getString("title").isBlank());
      assertTrue(t.getString("description").length() > 80, "a description an agent can act on");
      assertEquals("object", t.getJsonObject("inputSchema").getString("type"));
      assertEquals("object", t.getJsonObject("outputSchema").getString("type"));
    }
  }

  @Test
  void modernTriggerEventReturnsStructuredContentAndTheSameJsonAsTextAndRecordsTheRows() {
    JsonObject args = new JsonObject().put("event_type", "practice_completed").put("user_id", "mcp-modern-1")
        .put("request_id", "mcp-modern-req-1").put("context", new JsonObject().put("score", 0.5));
    JsonObject result = result(mcp.modern(modernRequest(3, "tools/call", toolCall("trigger_event", args))));

    assertEquals("complete", result.getString("resultType"));
    assertEquals(false, result.getBoolean("isError"));
    JsonObject structured = result.getJsonObject("structuredContent");
    assertEquals(structured, new JsonObject(result.getJsonArray("content").getJsonObject(0).getString("text")));
    assertEquals("text", result.getJsonArray("content").getJsonObject(0).getString("type"));
    assertEquals("practice_completed_handler", structured.getString("handler"));

    Row decision = svc.query("SELECT method, request_id, input_params, output_result, success FROM agent_decisions WHERE decision_id = $1",
        UUID.fromString(structured.getString("decision_id"))).iterator().next();
    assertEquals("trigger_event", decision.getString("method"));
    assertEquals("mcp-modern-req-1", decision.getString("request_id"));
    assertEquals(args, decision.getValue("input_params"));
    assertEquals(structured, decision.getValue("output_result"));
    assertTrue(decision.getBoolean("success"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE event_id = $1", UUID.fromString(structured.getString("event_id"))));
  }

  @Test
  void modernSelectLoopAndHealthAnswerWithStructuredContent() {
    JsonObject select = result(mcp.modern(modernRequest(4, "tools/call",
        toolCall("select_loop", new JsonObject().put("user_id", "mcp-modern-2"))))).getJsonObject("structuredContent");
    assertTrue(select.containsKey("loop"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE method = 'select_loop'"));
    JsonObject health = result(mcp.modern(modernRequest(5, "tools/call",
        toolCall("orchestrator_health", new JsonObject())))).getJsonObject("structuredContent");
    assertEquals("ok", health.getString("status"));
  }

  @Test
  void badArgumentsAreAToolExecutionErrorWithAClearMessageAndNothingIsRecorded() {
    JsonObject result = result(mcp.modern(modernRequest(6, "tools/call",
        toolCall("trigger_event", new JsonObject().put("event_type", "quiz_started").put("user_id", "u")))));
    assertEquals(true, result.getBoolean("isError"));
    assertEquals("complete", result.getString("resultType"));
    String text = result.getJsonArray("content").getJsonObject(0).getString("text");
    assertTrue(text.startsWith("Invalid params: unknown event_type 'quiz_started'"), text);
    assertTrue(text.contains("practice_completed"), "lists the accepted types: " + text);
    assertFalse(result.containsKey("structuredContent"));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void anUnknownToolIsAProtocolErrorMinus32602() {
    HttpResponse<Buffer> response = mcp.modern(modernRequest(7, "tools/call", toolCall("launch_rocket", new JsonObject())));
    assertEquals(200, response.statusCode());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32602, error.getInteger("code"));
    assertEquals("Unknown tool: launch_rocket", error.getString("message"));
    assertEquals(7, response.bodyAsJsonObject().getInteger("id"));
  }

  @Test
  void argumentsThatAreNotAnObjectAreAProtocolErrorMinus32602() {
    JsonObject params = new JsonObject().put("name", "select_loop").put("arguments", new JsonArray().add("x"));
    assertEquals(-32602, errorCode(mcp.modern(modernRequest(8, "tools/call", params))));
  }

  // ---- 2026-07-28: header rules ----

  @Test
  void aModernRequestWhoseMetaLacksTheProtocolVersionIs400InvalidParams() {
    JsonObject message = modernRequest(9, "tools/call", toolCall("select_loop", new JsonObject().put("user_id", "no-meta")));
    message.getJsonObject("params").getJsonObject("_meta").remove("io.modelcontextprotocol/protocolVersion");
    HttpResponse<Buffer> response = mcp.post(message,
        headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "select_loop"));
    assertEquals(400, response.statusCode());
    assertEquals(-32602, errorCode(response));
    assertTrue(response.bodyAsJsonObject().getJsonObject("error").getString("message")
        .contains("io.modelcontextprotocol/protocolVersion"));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"), "it was not served");
  }

  @Test
  void aMissingMcpMethodHeaderIs400HeaderMismatch() {
    HttpResponse<Buffer> response = mcp.post(modernRequest(10, "tools/list", null), headers("MCP-Protocol-Version", "2026-07-28"));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
    assertEquals(10, response.bodyAsJsonObject().getInteger("id"));
  }

  @Test
  void anMcpMethodThatDiffersFromTheBodyIs400HeaderMismatch() {
    HttpResponse<Buffer> response = mcp.post(modernRequest(11, "tools/list", null),
        headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call"));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
  }

  @Test
  void aMissingMcpNameOnToolsCallIs400HeaderMismatch() {
    JsonObject message = modernRequest(12, "tools/call", toolCall("select_loop", new JsonObject().put("user_id", "u")));
    HttpResponse<Buffer> response = mcp.post(message, headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call"));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void anMcpNameThatDiffersFromTheBodyIs400HeaderMismatchAndCallsNothing() {
    JsonObject message = modernRequest(13, "tools/call", toolCall("select_loop", new JsonObject().put("user_id", "u")));
    HttpResponse<Buffer> response = mcp.post(message,
        headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "orchestrator_health"));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void aBase64EncodedMcpNameIsDecodedBeforeItIsCompared() {
    JsonObject message = modernRequest(14, "tools/call", toolCall("orchestrator_health", new JsonObject()));
    String encoded = "=?base64?" + Base64.getEncoder().encodeToString("orchestrator_health".getBytes(StandardCharsets.UTF_8)) + "?=";
    HttpResponse<Buffer> response = mcp.post(message,
        headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", encoded));
    assertEquals(false, result(response).getBoolean("isError"));
  }

  @Test
  void aMalformedBase64McpNameIs400HeaderMismatch() {
    JsonObject message = modernRequest(15, "tools/call", toolCall("orchestrator_health", new JsonObject()));
    HttpResponse<Buffer> response = mcp.post(message,
        headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/call", "Mcp-Name", "=?base64?!!!?="));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
  }

  @Test
  void aHeaderValueWithCharactersOutsideVisibleAsciiIs400HeaderMismatch() {
    JsonObject message = modernRequest(23, "tools/list", null);
    HttpResponse<Buffer> response = mcp.post(message,
        headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "tools/list\u00e5"));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
    assertTrue(response.bodyAsJsonObject().getJsonObject("error").getString("message").contains("invalid characters"));
  }

  @Test
  void aProtocolVersionHeaderThatDiffersFromMetaIs400HeaderMismatch() {
    JsonObject message = modernRequest(16, "tools/list", null);
    MultiMap headers = modernHeaders(message).set("MCP-Protocol-Version", "2025-11-25");
    HttpResponse<Buffer> response = mcp.post(message, headers);
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
  }

  @Test
  void metaWithoutTheProtocolVersionHeaderIs400HeaderMismatch() {
    HttpResponse<Buffer> response = mcp.post(modernRequest(17, "tools/list", null), headers("Mcp-Method", "tools/list"));
    assertEquals(400, response.statusCode());
    assertEquals(-32020, errorCode(response));
  }

  @Test
  void anUnsupportedProtocolVersionIs400Minus32022ListingTheSupportedVersions() {
    JsonObject message = request(18, "tools/list", new JsonObject());
    HttpResponse<Buffer> response = mcp.post(message, headers("MCP-Protocol-Version", "2099-01-01"));
    assertEquals(400, response.statusCode());
    JsonObject error = response.bodyAsJsonObject().getJsonObject("error");
    assertEquals(-32022, error.getInteger("code"));
    assertEquals("2099-01-01", error.getJsonObject("data").getString("requested"));
    assertTrue(error.getJsonObject("data").getJsonArray("supported").contains("2026-07-28"));
    assertTrue(error.getJsonObject("data").getJsonArray("supported").contains("2025-11-25"));
  }

  @Test
  void aGarbageProtocolVersionHeaderIs400() {
    HttpResponse<Buffer> response = mcp.post(request(19, "ping", null), headers("MCP-Protocol-Version", "banana"));
    assertEquals(400, response.statusCode());
    assertEquals(-32022, errorCode(response));
  }

  @Test
  void aModernRequestWithoutClientCapabilitiesIs400InvalidParams() {
    JsonObject message = modernRequest(20, "tools/list", null);
    message.getJsonObject("params").getJsonObject("_meta").remove("io.modelcontextprotocol/clientCapabilities");
    HttpResponse<Buffer> response = mcp.modern(message);
    assertEquals(400, response.statusCode());
    assertEquals(-32602, errorCode(response));
  }

  @Test
  void aModernRequestWithoutMetaIs400InvalidParams() {
    JsonObject message = request(21, "tools/list", new JsonObject());
    HttpResponse<Buffer> response = mcp.post(message, modernHeaders(message));
    assertEquals(400, response.statusCode());
    assertEquals(-32602, errorCode(response));
  }

  @Test
  void unknownModernMethodsAre404MethodNotFoundIncludingTheRemovedHandshakeAndPing() {
    for (String method : new String[] {"resources/list", "initialize", "ping"}) {
      HttpResponse<Buffer> response = mcp.modern(modernRequest(22, method, null));
      assertEquals(404, response.statusCode(), method);
      assertEquals(-32601, errorCode(response), method);
    }
  }

  // ---- the transport ----

  @Test
  void getAndDeleteAre405WithAllowPost() {
    for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.DELETE}) {
      HttpResponse<Buffer> response = mcp.send(method, headers("accept", "text/event-stream", "Mcp-Session-Id", "abc"));
      assertEquals(405, response.statusCode(), method.name());
      assertEquals("POST", response.getHeader("allow"));
      assertEquals(-32600, errorCode(response));
    }
  }

  @Test
  void batchesAreRejectedInEitherEra() {
    JsonArray batch = new JsonArray().add(request(1, "ping", null)).add(request(2, "tools/list", null));
    HttpResponse<Buffer> legacy = mcp.post(batch, headers("MCP-Protocol-Version", "2025-11-25"));
    assertEquals(400, legacy.statusCode());
    assertEquals(-32600, errorCode(legacy));
    assertFalse(legacy.bodyAsJsonObject().containsKey("id"), "an error whose id could not be read has no id");
    HttpResponse<Buffer> modern = mcp.post(new JsonArray().add(modernRequest(1, "tools/list", null)), headers("MCP-Protocol-Version", "2026-07-28"));
    assertEquals(400, modern.statusCode());
    assertEquals(-32600, errorCode(modern));
  }

  @Test
  void aForeignOriginIs403WithAJsonRpcErrorAndNoId() {
    HttpResponse<Buffer> response = mcp.post(modernRequest(30, "tools/list", null),
        modernHeaders(modernRequest(30, "tools/list", null)).add("Origin", "https://evil.example"));
    assertEquals(403, response.statusCode());
    assertEquals("application/json", response.getHeader("content-type"));
    assertFalse(response.bodyAsJsonObject().containsKey("id"));
    assertTrue(response.bodyAsJsonObject().getJsonObject("error").getString("message").contains("Origin"));
  }

  @Test
  void theNullOriginOfASandboxedPageIs403() {
    assertEquals(403, mcp.post(request(31, "ping", null), headers("Origin", "null")).statusCode());
  }

  @Test
  void aLocalOriginOnAnyPortIsAllowed() {
    JsonObject message = modernRequest(32, "tools/list", null);
    assertEquals(200, mcp.post(message, modernHeaders(message).add("Origin", "http://localhost:5173")).statusCode());
    assertEquals(200, mcp.post(message, modernHeaders(message).add("Origin", "http://127.0.0.1:" + svc.port)).statusCode());
  }

  @Test
  void aForeignHostIs403EvenWithoutAnOrigin() {
    HttpResponse<Buffer> response = await(svc.http.post(svc.port, "127.0.0.1", McpEndpoint.PATH)
        .virtualHost("rebound.evil.example")
        .putHeader("content-type", "application/json").putHeader("accept", McpHttp.ACCEPT)
        .sendBuffer(Buffer.buffer(request(33, "ping", null).encode())));
    assertEquals(403, response.statusCode());
    assertTrue(response.bodyAsJsonObject().getJsonObject("error").getString("message").contains("Host"));
  }

  @Test
  void aForeignOriginIsRejectedBeforeTheMethodIsLookedAt() {
    assertEquals(403, mcp.send(HttpMethod.GET, headers("Origin", "https://evil.example")).statusCode());
  }

  @Test
  void notificationsAre202WithNoBodyInEitherEra() {
    JsonObject initialized = new JsonObject().put("jsonrpc", "2.0").put("method", "notifications/initialized");
    HttpResponse<Buffer> legacy = mcp.legacy(initialized);
    assertEquals(202, legacy.statusCode());
    assertNull(legacy.body());
    JsonObject cancelled = new JsonObject().put("jsonrpc", "2.0").put("method", "notifications/cancelled")
        .put("params", new JsonObject().put("requestId", 1));
    HttpResponse<Buffer> modern = mcp.post(cancelled, headers("MCP-Protocol-Version", "2026-07-28", "Mcp-Method", "notifications/cancelled"));
    assertEquals(202, modern.statusCode());
    assertNull(modern.body());
  }

  @Test
  void aJsonRpcResponseFromTheClientIsRejected() {
    JsonObject response = new JsonObject().put("jsonrpc", "2.0").put("id", 9).put("result", new JsonObject());
    HttpResponse<Buffer> answer = mcp.legacy(response);
    assertEquals(400, answer.statusCode());
    assertEquals(-32600, errorCode(answer));
    assertEquals(9, answer.bodyAsJsonObject().getInteger("id"));
  }

  @Test
  void aNullIdIsAnInvalidRequest() {
    HttpResponse<Buffer> response = mcp.legacy(request(null, "ping", null));
    assertEquals(400, response.statusCode());
    assertEquals(-32600, errorCode(response));
  }

  @Test
  void anAcceptHeaderWithoutEventStreamIs406() {
    HttpResponse<Buffer> response = mcp.post(request(34, "ping", null), headers("accept", "application/json"));
    assertEquals(406, response.statusCode());
    HttpResponse<Buffer> refused = mcp.post(request(35, "ping", null), headers("accept", "application/json, text/event-stream;q=0"));
    assertEquals(406, refused.statusCode());
  }

  @Test
  void aWildcardAcceptIsEnough() {
    assertEquals(200, mcp.post(request(36, "ping", null), headers("accept", "*/*")).statusCode());
  }

  @Test
  void aContentTypeOtherThanJsonIs415() {
    HttpResponse<Buffer> response = mcp.post(request(37, "ping", null), headers("content-type", "text/plain"));
    assertEquals(415, response.statusCode());
    assertEquals(-32600, errorCode(response));
  }

  @Test
  void invalidJsonIs400ParseError() {
    HttpResponse<Buffer> response = mcp.post("{\"jsonrpc\": \"2.0\", \"method\": ", headers());
    assertEquals(400, response.statusCode());
    assertEquals(-32700, errorCode(response));
  }

  @Test
  void aDuplicateKeyIsRejectedLikeOnTheJsonRpcEndpoint() {
    HttpResponse<Buffer> response = mcp.post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"method\":\"tools/list\"}", headers());
    assertEquals(400, response.statusCode());
    assertEquals(-32600, errorCode(response));
  }

  @Test
  void aBodyOverTheLimitIs413() {
    JsonObject args = new JsonObject().put("user_id", "u").put("context", new JsonObject().put("blob", "a".repeat(5000)));
    HttpResponse<Buffer> response = mcp.modern(modernRequest(38, "tools/call", toolCall("select_loop", args)));
    assertEquals(413, response.statusCode());
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void responsesCarryNoStoreAndNosniff() {
    HttpResponse<Buffer> response = mcp.modern(modernRequest(39, "server/discover", null));
    assertEquals("no-store", response.getHeader("cache-control"));
    assertEquals("nosniff", response.getHeader("x-content-type-options"));
    assertNull(response.getHeader("mcp-session-id"), "stateless: no session is minted");
  }

  // ---- the legacy era without a header (2025-03-26) ----

  @Test
  void withoutAVersionHeaderTheLegacyHandshakeWorksAndEchoesASupportedVersion() {
    JsonObject init = request(40, "initialize", new JsonObject().put("protocolVersion", "2025-03-26")
        .put("capabilities", new JsonObject()).put("clientInfo", new JsonObject().put("name", "curl").put("version", "1")));
    JsonObject result = result(mcp.post(init, headers()));
    assertEquals("2025-03-26", result.getString("protocolVersion"));
    assertTrue(result.getJsonObject("capabilities").containsKey("tools"));
    assertEquals("viral-engine-orchestrator", result.getJsonObject("serverInfo").getString("name"));
    assertFalse(result.containsKey("resultType"), "legacy results are unchanged");
  }

  @Test
  void initializeWithAnUnknownVersionAnswersTheNewestLegacyVersion() {
    JsonObject init = request(41, "initialize", new JsonObject().put("protocolVersion", "2024-11-05").put("capabilities", new JsonObject()));
    assertEquals("2025-11-25", result(mcp.legacy(init)).getString("protocolVersion"));
  }

  @Test
  void initializeWithoutAProtocolVersionIsInvalidParams() {
    assertEquals(-32602, errorCode(mcp.legacy(request(42, "initialize", new JsonObject()))));
  }

  @Test
  void legacyPingAnswersAnEmptyResult() {
    assertEquals(new JsonObject(), result(mcp.legacy(request(43, "ping", null))));
  }

  @Test
  void legacyToolsListHasNoCacheFields() {
    JsonObject result = result(mcp.legacy(request(44, "tools/list", new JsonObject())));
    assertEquals(McpHttp.ALL_TOOLS.size(), result.getJsonArray("tools").size());
    assertFalse(result.containsKey("ttlMs"));
  }

  @Test
  void aCursorIsInvalidParamsBecauseThereIsOnePage() {
    assertEquals(-32602, errorCode(mcp.legacy(request(45, "tools/list", new JsonObject().put("cursor", "x")))));
  }

  @Test
  void anUnknownLegacyMethodIsMethodNotFoundWith200() {
    HttpResponse<Buffer> response = mcp.legacy(request(46, "server/discover", new JsonObject()));
    assertEquals(200, response.statusCode());
    assertEquals(-32601, errorCode(response));
  }
}
