package viralengine.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IdempotencyTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    // One failure would open the circuit (minimum_calls 1: a rate of at least 50 % over a single call, or three
    // conflicts after one success): conflicts must not count as failures. The relaxed SLA keeps a busy machine's
    // slow call from being that one failure, and from turning a request_id's answer into a retriable -32003.
    svc = TestService.start(TestService.relaxedTiming()
        .put("circuit_breaker", new JsonObject().put("minimum_calls", 1)));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  static JsonObject event(String requestId, String user) {
    return new JsonObject().put("event_type", "session_ended").put("user_id", user).put("request_id", requestId)
        .put("context", new JsonObject().put("minutes", 30));
  }

  @Test
  void aRepeatedRequestIdGetsTheOriginalResponseAndWritesNoRows() {
    JsonObject first = svc.rpc("trigger_event", event("idem-1", "u1")).getJsonObject("result");
    JsonObject again = svc.rpc("trigger_event", event("idem-1", "u1")).getJsonObject("result");
    assertEquals(first, again);
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = 'idem-1'"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'idem-1'"));
  }

  @Test
  void reusingARequestIdWithDifferentParamsIsAConflict() {
    svc.rpc("trigger_event", event("idem-2", "u2"));
    JsonObject conflict = svc.rpc("trigger_event", event("idem-2", "someone-else"));
    assertEquals(-32004, conflict.getJsonObject("error").getInteger("code"));
    assertEquals("idem-2", conflict.getJsonObject("error").getJsonObject("data").getString("request_id"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = 'idem-2'"));
  }

  @Test
  void reusingARequestIdForAnotherMethodIsAConflict() {
    svc.rpc("select_loop", new JsonObject().put("user_id", "u3").put("request_id", "idem-3"));
    JsonObject conflict = svc.rpc("trigger_event", event("idem-3", "u3"));
    assertEquals(-32004, conflict.getJsonObject("error").getInteger("code"));
  }

  @Test
  void conflictsDoNotOpenTheCircuit() {
    svc.rpc("trigger_event", event("idem-4", "u4"));
    for (int i = 0; i < 3; i++) {
      assertEquals(-32004, svc.rpc("trigger_event", event("idem-4", "other-" + i)).getJsonObject("error").getInteger("code"));
    }
    assertEquals("closed", svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getString("circuit_breaker"));
    assertNotNull(svc.rpc("select_loop", new JsonObject().put("user_id", "u4")).getJsonObject("result"));
  }

  @Test
  void concurrentDuplicatesRecordOnceAndAllGetTheSameAnswer() {
    List<io.vertx.core.Future<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>>> calls = new ArrayList<>();
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "trigger_event").put("params", event("idem-5", "u5"));
    for (int i = 0; i < 10; i++) {
      calls.add(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator").putHeader("content-type", "application/json")
          .sendBuffer(request.toBuffer()));
    }
    await(io.vertx.core.Future.all(calls));
    String decisionId = calls.get(0).result().bodyAsJsonObject().getJsonObject("result").getString("decision_id");
    for (var call : calls) {
      assertEquals(decisionId, call.result().bodyAsJsonObject().getJsonObject("result").getString("decision_id"));
    }
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE request_id = 'idem-5'"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'idem-5'"));
  }

  @Test
  void theOriginalAnswerSurvivesARestart() {
    JsonObject first = svc.rpc("trigger_event", event("idem-6", "u6")).getJsonObject("result");
    try (TestService restarted = TestService.start(TestService.relaxedTiming())) {
      JsonObject again = restarted.rpc("trigger_event", event("idem-6", "u6")).getJsonObject("result");
      assertEquals(first.getString("decision_id"), again.getString("decision_id"));
      assertEquals(first.getString("event_id"), again.getString("event_id"));
      JsonObject conflict = restarted.rpc("trigger_event", event("idem-6", "u7"));
      assertEquals(-32004, conflict.getJsonObject("error").getInteger("code"));
    }
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'idem-6'"));
  }

  @Test
  void aRequestIdWithSpacesOrOver128CharactersIsInvalid() {
    assertEquals(-32602, svc.rpc("select_loop", new JsonObject().put("user_id", "u").put("request_id", "has space"))
        .getJsonObject("error").getInteger("code"));
    JsonObject tooLong = svc.rpc("select_loop", new JsonObject().put("user_id", "u").put("request_id", "r".repeat(129)));
    assertEquals("request_id", tooLong.getJsonObject("error").getJsonObject("data").getString("field"));
    assertTrue(tooLong.getJsonObject("error").getString("message").contains("128"));
  }
}
