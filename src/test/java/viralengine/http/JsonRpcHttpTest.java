package viralengine.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.UUID;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JsonRpcHttpTest {
  static final String PHASE_1 = "Phase 1: Event logged, no loops active yet";
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("limits", new JsonObject().put("max_batch", 5).put("max_body_bytes", 4096)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  static JsonObject request(Object id, String method, JsonObject params) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", method).put("params", params);
  }

  static JsonObject trigger(String type, String user) {
    return new JsonObject().put("event_type", type).put("user_id", user);
  }

  static int errorCode(JsonObject response) {
    return response.getJsonObject("error").getInteger("code");
  }

  @Test
  void triggerEventRecordsTheEventAndTheDecisionAndAnswersWithThePhase1Rationale() {
    JsonObject params = trigger("practice_completed", "learner-1").put("context", new JsonObject().put("score", 0.9));
    JsonObject response = svc.rpc("trigger_event", params);

    JsonObject result = response.getJsonObject("result");
    assertEquals(1, response.getInteger("id"));
    assertEquals("2.0", response.getString("jsonrpc"));
    assertEquals("practice_completed", result.getString("event_type"));
    assertEquals("practice_completed_handler", result.getString("handler"));
    assertEquals("no_eligible_loop", result.getString("outcome"));
    assertTrue(result.containsKey("action"));
    assertNull(result.getValue("action"), "no loop, so nothing to render");
    assertTrue(result.containsKey("loop"));
    assertNull(result.getValue("loop"));
    assertEquals(PHASE_1, result.getString("rationale"));
    assertTrue(result.getDouble("latency_ms") > 0, "latency is measured");

    Row event = svc.query("SELECT * FROM viral_events WHERE event_id = $1", UUID.fromString(result.getString("event_id"))).iterator().next();
    assertEquals("learner-1", event.getString("user_id"));
    assertEquals("practice_completed", event.getString("event_type"));
    assertEquals(0.9, ((JsonObject) event.getValue("context")).getDouble("score"));
    assertTrue(event.getBoolean("processed"));

    Row decision = svc.query("SELECT * FROM agent_decisions WHERE decision_id = $1", UUID.fromString(result.getString("decision_id"))).iterator().next();
    assertEquals("orchestrator", decision.getString("agent_id"));
    assertEquals("trigger_event", decision.getString("method"));
    assertEquals(params, decision.getValue("input_params"));
    assertEquals(result, decision.getValue("output_result"));
    assertEquals(PHASE_1, decision.getString("rationale"));
    assertTrue(decision.getBoolean("success"));
    assertNull(decision.getInteger("error_code"));
    assertEquals(result.getDouble("latency_ms"), decision.getDouble("latency_ms"), 1e-9);
    assertEquals(UUID.fromString(result.getString("event_id")), decision.getUUID("event_id"));
    JsonObject features = (JsonObject) decision.getValue("features_used");
    assertEquals(4, features.getInteger("loops_evaluated"));
    assertEquals("inactive", features.getJsonArray("checks").getJsonObject(0).getString("reason"));
  }

  @Test
  void eachEventTypeRoutesToItsOwnHandler() {
    for (String type : new String[] {"practice_completed", "session_ended", "diagnostic_completed"}) {
      JsonObject result = svc.rpc("trigger_event", trigger(type, "learner-2")).getJsonObject("result");
      assertEquals(type + "_handler", result.getString("handler"));
    }
    assertEquals(3, svc.count("SELECT count(*) FROM viral_events WHERE user_id = 'learner-2'"));
  }

  @Test
  void occurredAtIsStoredAsGiven() {
    JsonObject result = svc.rpc("trigger_event", trigger("session_ended", "learner-3")
        .put("occurred_at", "2026-01-02T03:04:05Z")).getJsonObject("result");
    Row event = svc.query("SELECT occurred_at FROM viral_events WHERE event_id = $1", UUID.fromString(result.getString("event_id"))).iterator().next();
    assertEquals("2026-01-02T03:04:05Z", event.getOffsetDateTime("occurred_at").toInstant().toString());
  }

  @Test
  void selectLoopLogsADecisionWithTheEligibilityChecks() {
    JsonObject result = svc.rpc("select_loop", new JsonObject().put("user_id", "learner-4").put("event_type", "session_ended"))
        .getJsonObject("result");
    assertNull(result.getValue("loop"));
    assertEquals(new JsonArray(), result.getJsonArray("eligible_loops"));
    assertEquals(PHASE_1, result.getString("rationale"));
    assertTrue(result.getDouble("latency_ms") > 0);
    Row decision = svc.query("SELECT method, success, features_used FROM agent_decisions WHERE decision_id = $1",
        UUID.fromString(result.getString("decision_id"))).iterator().next();
    assertEquals("select_loop", decision.getString("method"));
    JsonArray checks = ((JsonObject) decision.getValue("features_used")).getJsonArray("checks");
    assertEquals(4, checks.size());
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events"), "select_loop records no event");
  }

  @Test
  void healthMethodReturnsTheHealthBody() {
    JsonObject result = svc.rpc("health", new JsonObject()).getJsonObject("result");
    assertEquals("ok", result.getString("status"));
    assertEquals("closed", result.getString("circuit_breaker"));
    assertEquals("up", result.getJsonObject("database").getString("status"));
    for (String key : new String[] {"uptime_seconds", "started_at", "version", "active_loops", "cache_size", "last_error", "pending_writes"}) {
      assertTrue(result.containsKey(key), key);
    }
  }

  @Test
  void healthRouteReturnsTheSameBodyShape() {
    HttpResponse<Buffer> response = svc.get("/mcp/orchestrator/health");
    assertEquals(200, response.statusCode());
    assertEquals(0, response.bodyAsJsonObject().getInteger("active_loops"));
  }

  @Test
  void theAgentEndpointTakesAnyMethod() {
    JsonObject response = svc.post("/mcp/orchestrator", request("x", "select_loop", new JsonObject().put("user_id", "u"))).bodyAsJsonObject();
    assertEquals("x", response.getString("id"));
    assertNotNull(response.getJsonObject("result").getString("decision_id"));
  }

  @Test
  void aBodyMethodDifferentFromThePathIsAnInvalidRequest() {
    JsonObject response = svc.post("/mcp/orchestrator/trigger_event", request(7, "select_loop", new JsonObject().put("user_id", "u"))).bodyAsJsonObject();
    assertEquals(-32600, errorCode(response));
    assertEquals(7, response.getInteger("id"));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void invalidJsonIsAParseErrorWithNullId() {
    HttpResponse<Buffer> response = svc.post("/mcp/orchestrator", "{\"jsonrpc\": \"2.0\", \"method\": ");
    assertEquals(200, response.statusCode());
    JsonObject body = response.bodyAsJsonObject();
    assertEquals(-32700, errorCode(body));
    assertTrue(body.containsKey("id"));
    assertNull(body.getValue("id"));
  }

  @Test
  void aWrongJsonrpcVersionIsAnInvalidRequestThatEchoesTheId() {
    JsonObject body = svc.post("/mcp/orchestrator", new JsonObject().put("jsonrpc", "1.0").put("id", "abc").put("method", "health")).bodyAsJsonObject();
    assertEquals(-32600, errorCode(body));
    assertEquals("abc", body.getString("id"));
  }

  @Test
  void anUnknownMethodIsMethodNotFound() {
    JsonObject body = svc.post("/mcp/orchestrator", request(3, "launch_rocket", new JsonObject())).bodyAsJsonObject();
    assertEquals(-32601, errorCode(body));
    assertEquals(3, body.getInteger("id"));
  }

  @Test
  void anUnknownEventTypeIsInvalidParamsListingTheAcceptedTypes() {
    JsonObject body = svc.rpc("trigger_event", trigger("quiz_started", "learner-5"));
    assertEquals(-32602, errorCode(body));
    JsonObject data = body.getJsonObject("error").getJsonObject("data");
    assertEquals("event_type", data.getString("field"));
    assertEquals(new JsonArray().add("practice_completed").add("session_ended").add("diagnostic_completed"), data.getJsonArray("accepted"));
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events"));
  }

  @Test
  void aNumericUserIdIsInvalidParamsNamingTheField() {
    JsonObject body = svc.rpc("select_loop", new JsonObject().put("user_id", 42));
    assertEquals(-32602, errorCode(body));
    assertEquals("user_id", body.getJsonObject("error").getJsonObject("data").getString("field"));
  }

  @Test
  void arrayParamsAreInvalidParams() {
    JsonObject body = svc.post("/mcp/orchestrator", new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
        .put("params", new JsonArray().add("learner"))).bodyAsJsonObject();
    assertEquals(-32602, errorCode(body));
  }

  @Test
  void aBatchAnswersEachRequestAndSkipsNotifications() {
    JsonArray batch = new JsonArray()
        .add(request(1, "select_loop", new JsonObject().put("user_id", "b1")))
        .add(new JsonObject().put("jsonrpc", "2.0").put("method", "trigger_event").put("params", trigger("session_ended", "b2")))
        .add(request(2, "nope", new JsonObject()))
        .add("not an object");
    JsonArray responses = new JsonArray(svc.post("/mcp/orchestrator", batch).bodyAsString());
    assertEquals(3, responses.size());
    assertEquals(1, responses.getJsonObject(0).getInteger("id"));
    assertNotNull(responses.getJsonObject(0).getJsonObject("result"));
    assertEquals(-32601, errorCode(responses.getJsonObject(1)));
    assertEquals(-32600, errorCode(responses.getJsonObject(2)));
    assertNull(responses.getJsonObject(2).getValue("id"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE user_id = 'b2'"), "the notification was processed");
  }

  @Test
  void aNotificationIsProcessedAndAnsweredWith204() {
    JsonObject notification = new JsonObject().put("jsonrpc", "2.0").put("method", "trigger_event")
        .put("params", trigger("diagnostic_completed", "n1"));
    HttpResponse<Buffer> response = svc.post("/mcp/orchestrator", notification);
    assertEquals(204, response.statusCode());
    assertNull(response.body());
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE user_id = 'n1'"));
  }

  @Test
  void aBatchOfOnlyNotificationsGets204() {
    JsonArray batch = new JsonArray().add(new JsonObject().put("jsonrpc", "2.0").put("method", "health"));
    assertEquals(204, svc.post("/mcp/orchestrator", batch).statusCode());
  }

  @Test
  void anEmptyBatchIsAnInvalidRequest() {
    JsonObject body = svc.post("/mcp/orchestrator", new JsonArray()).bodyAsJsonObject();
    assertEquals(-32600, errorCode(body));
  }

  @Test
  void aBatchOverTheLimitIsRejectedWhole() {
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 6; i++) {
      batch.add(request(i, "select_loop", new JsonObject().put("user_id", "big")));
    }
    JsonObject body = svc.post("/mcp/orchestrator", batch).bodyAsJsonObject();
    assertEquals(-32600, errorCode(body));
    assertEquals(5, body.getJsonObject("error").getJsonObject("data").getInteger("limit"));
    assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
  }

  @Test
  void aBodyOverTheLimitGets413() {
    JsonObject params = trigger("practice_completed", "x").put("context", new JsonObject().put("blob", "a".repeat(5000)));
    HttpResponse<Buffer> response = svc.post("/mcp/orchestrator", request(1, "trigger_event", params));
    assertEquals(413, response.statusCode());
    assertEquals(-32600, errorCode(response.bodyAsJsonObject()));
  }

  @Test
  void aWrongContentTypeGets415() {
    HttpResponse<Buffer> response = await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator")
        .putHeader("content-type", "text/plain").sendBuffer(Buffer.buffer("{}")));
    assertEquals(415, response.statusCode());
    assertEquals("application/json", response.getHeader("content-type"));
  }

  @Test
  void unknownRoutesAndAgentsGet404WithAJsonBody() {
    HttpResponse<Buffer> route = svc.get("/nowhere");
    assertEquals(404, route.statusCode());
    assertEquals("not_found", route.bodyAsJsonObject().getString("error"));
    HttpResponse<Buffer> agent = svc.post("/mcp/billing/select_loop", request(1, "select_loop", new JsonObject()));
    assertEquals(404, agent.statusCode());
    assertEquals("not_found", agent.bodyAsJsonObject().getString("error"));
  }

  @Test
  void apiResponsesCarrySecurityHeadersAndNoServerVersion() {
    HttpResponse<Buffer> response = svc.post("/mcp/orchestrator", request(1, "health", new JsonObject()));
    assertEquals("no-store", response.getHeader("cache-control"));
    assertEquals("nosniff", response.getHeader("x-content-type-options"));
    assertNull(response.getHeader("server"));
  }

  @Test
  void metricsAreServedInPrometheusFormatWithVertxHttpAndPoolMetrics() {
    svc.rpc("select_loop", new JsonObject().put("user_id", "m1"));
    String metrics = svc.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("vertx_http_server_requests_total"), "HTTP server metrics");
    assertTrue(metrics.contains("vertx_eventbus_"), "event-bus metrics");
    assertTrue(metrics.contains("vertx_pool_"), "pool metrics");
  }

  @Test
  void liveAndReadyAreUp() {
    assertEquals(200, svc.get("/health/live").statusCode());
    HttpResponse<Buffer> ready = svc.get("/health/ready");
    assertEquals(200, ready.statusCode());
    assertEquals("UP", ready.bodyAsJsonObject().getString("status"));
  }

  @Test
  void healthAnswersWhatHealthReadyAnswers() {
    HttpResponse<Buffer> health = svc.get("/health");
    HttpResponse<Buffer> ready = svc.get("/health/ready");
    assertEquals(200, health.statusCode());
    assertEquals(checkIds(ready.bodyAsJsonObject()), checkIds(health.bodyAsJsonObject()));
    assertEquals(ready.bodyAsJsonObject().getString("outcome"), health.bodyAsJsonObject().getString("outcome"));
  }

  static List<String> checkIds(JsonObject health) {
    return health.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id")).sorted().toList();
  }

  @Test
  void aNotFoundListsTheRoutesAndEachListedRouteAnswers() {
    JsonObject body = svc.get("/healthz").bodyAsJsonObject();
    List<String> routes = body.getJsonArray("routes").stream().map(String.class::cast).toList();
    assertEquals(HttpVerticle.ROUTES, routes);
    assertTrue(routes.contains("GET /health/ready"), body.encode());
    HttpClient client = svc.vertx.createHttpClient();
    try {
      for (String route : routes) {
        String[] parts = route.split(" ");
        String path = parts[1].replace("{method}", "health");
        // Only the status line is read: /dashboard/events is a stream that never ends.
        int status = await(client.request(HttpMethod.valueOf(parts[0]), svc.port, "127.0.0.1", path)
            .compose(request -> request.putHeader("content-type", "application/json")
                .putHeader("accept", "application/json, text/event-stream")
                .send(parts[0].equals("POST") ? request(1, "health", new JsonObject()).encode() : "")
                .map(response -> {
                  response.request().reset();
                  return response.statusCode();
                })));
        assertNotEquals(404, status, route + " is listed but has no route");
      }
    } finally {
      client.close();
    }
  }

  @Test
  void aRequestWithNullIdIsAnsweredWithNullId() {
    JsonObject body = svc.post("/mcp/orchestrator", request(null, "health", new JsonObject())).bodyAsJsonObject();
    assertTrue(body.containsKey("id"));
    assertNull(body.getValue("id"));
    assertFalse(body.containsKey("error"));
  }
}
