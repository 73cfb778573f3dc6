package viralengine.orchestrator;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.api.OrchestratorApi;
import viralengine.support.TestService;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** A co-deployed verticle calls the public event-bus API, as product verticles will. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventBusApiTest {
  static TestService svc;

  /** A stand-in for a product verticle: it calls the orchestrator with a send timeout, as the API asks. */
  static final class CallerVerticle extends VerticleBase {
    Future<JsonObject> call(String address, Object body, DeliveryOptions options) {
      return vertx.eventBus().<JsonObject>request(address, body, options.setSendTimeout(2_000)).map(Message::body);
    }

    Future<JsonObject> call(String address, Object body) {
      return call(address, body, new DeliveryOptions());
    }
  }

  static CallerVerticle caller;

  @BeforeAll
  static void start() {
    svc = TestService.start();
    svc.resetData();
    caller = new CallerVerticle();
    await(svc.vertx.deployVerticle(caller));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static int failureCode(Future<?> call) {
    Throwable err = assertThrowsFailure(call);
    return ((ReplyException) err).failureCode();
  }

  static Throwable assertThrowsFailure(Future<?> call) {
    try {
      await(call);
    } catch (AssertionError e) {
      return e.getCause().getCause();
    }
    throw new AssertionError("expected the call to fail");
  }

  @Test
  void triggerEventOverTheBusRecordsTheEvent() {
    JsonObject result = await(caller.call(OrchestratorApi.TRIGGER_EVENT,
        new JsonObject().put("event_type", "diagnostic_completed").put("user_id", "bus-1")));
    assertEquals("diagnostic_completed_handler", result.getString("handler"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE user_id = 'bus-1'"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", UUID.fromString(result.getString("decision_id"))));
  }

  @Test
  void selectLoopOverTheBusAnswersWithNoLoop() {
    JsonObject result = await(caller.call(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "bus-2")));
    assertNull(result.getValue("loop"));
    assertEquals("Phase 1: Event logged, no loops active yet", result.getString("rationale"));
  }

  @Test
  void healthOverTheBusReturnsTheHealthBody() {
    JsonObject health = await(caller.call(OrchestratorApi.HEALTH, new JsonObject()));
    assertEquals("ok", health.getString("status"));
    assertEquals("up", health.getJsonObject("database").getString("status"));
  }

  @Test
  void theDecisionIdHeaderIsUsedForTheRecord() {
    UUID id = UUID.randomUUID();
    JsonObject result = await(caller.call(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "bus-3"),
        new DeliveryOptions().addHeader(OrchestratorApi.HEADER_DECISION_ID, id.toString())));
    assertEquals(id.toString(), result.getString("decision_id"));
    // Acknowledged means durable, in PostgreSQL or in the spool: on a busy machine a flush slower than
    // spool.flush_timeout_ms (100 ms) spools its batch and replay lands it a moment later.
    long deadline = System.currentTimeMillis() + 20_000;
    while (svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", id) == 0
        && System.currentTimeMillis() < deadline) {
      await(svc.vertx.timer(20));
    }
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1", id));
  }

  @Test
  void aPassedDeadlineRecordsNothingAndFailsWithTimeout() {
    DeliveryOptions expired = new DeliveryOptions().addHeader(OrchestratorApi.HEADER_DEADLINE,
        Long.toString(System.currentTimeMillis() - 1));
    assertEquals(-32001, failureCode(caller.call(OrchestratorApi.TRIGGER_EVENT,
        new JsonObject().put("event_type", "session_ended").put("user_id", "bus-late"), expired)));
    assertEquals(0, svc.count("SELECT count(*) FROM viral_events WHERE user_id = 'bus-late'"));
  }

  @Test
  void malformedHeadersAreIgnored() {
    JsonObject result = await(caller.call(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "bus-4"),
        new DeliveryOptions().addHeader(OrchestratorApi.HEADER_DECISION_ID, "not-a-uuid").addHeader(OrchestratorApi.HEADER_DEADLINE, "soon")));
    assertEquals(36, result.getString("decision_id").length());
  }

  @Test
  void invalidParamsFailWithTheJsonRpcCode() {
    assertEquals(-32602, failureCode(caller.call(OrchestratorApi.TRIGGER_EVENT, new JsonObject().put("user_id", "bus-5"))));
    assertEquals(-32602, failureCode(caller.call(OrchestratorApi.SELECT_LOOP, "not an object")));
    assertEquals(-32602, failureCode(caller.call(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "x").put("userId", "typo"))));
  }

  @Test
  void aConflictingRequestIdFailsWithMinus32004() {
    await(caller.call(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "bus-6").put("request_id", "bus-r1")));
    int code = failureCode(caller.call(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "bus-7").put("request_id", "bus-r1")));
    assertEquals(-32004, code);
    assertTrue(svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'bus-r1'") == 1);
  }
}
