package viralengine.orchestrator;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import viralengine.api.OrchestratorApi;
import viralengine.api.ParsedCodec;
import viralengine.api.Requests;
import viralengine.rpc.ErrorCodes;
import viralengine.support.TestService;

import java.time.Instant;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * Issue 24, parse once: a request parsed at the edge reaches the orchestrator as it is, over the real event bus of a
 * started service with its PostgreSQL, and is not parsed again; JSON from any other sender is still validated.
 */
class ParseOnceTest {
  static final Requests.Limits LIMITS = new Requests.Limits(16_384, 8);
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start();
    svc.resetData();
    ParsedCodec.register(svc.vertx.eventBus());
    // One active loop, so that a selection writes an exposure row naming the learner it was decided for.
    JsonObject changed = svc.admin("set_loop_active", new JsonObject().put("name", "buddy_challenge").put("active", true))
        .getJsonObject("result");
    svc.awaitConfigVersion(changed.getLong("config_version"));
    svc.rpc("upsert_learner", new JsonObject().put("user_id", "typed-learner").put("persona", "student")
        .put("parental_consent", "granted"));
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  static JsonObject send(String address, Object body) {
    return await(svc.vertx.eventBus().<JsonObject>request(address, body, new DeliveryOptions().setSendTimeout(5_000))
        .map(Message::body));
  }

  @Test
  void theOrchestratorDecidesOnTheParsedRequestWithoutParsingItsJsonAgain() {
    // The typed request names one learner and its params JSON another: a second parse would decide for the JSON's.
    Requests.Parsed parsed = Requests.parse(Requests.SELECT_LOOP, new JsonObject().put("user_id", "typed-learner").put("event_type", "practice_completed"),
        LIMITS, Instant.now());
    Requests.SelectLoop typed = (Requests.SelectLoop) parsed;
    Requests.SelectLoop disagreeing = new Requests.SelectLoop(typed.userId(), typed.eventType(), typed.requestId(),
        typed.context(), typed.dryRun(), new JsonObject().put("user_id", "json-learner"));

    JsonObject result = send(OrchestratorApi.SELECT_LOOP, disagreeing);

    assertEquals("buddy_challenge", result.getString("loop"), result.encode());
    UUID decisionId = UUID.fromString(result.getString("decision_id"));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE decision_id = $1 AND user_id = 'typed-learner'",
        decisionId));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'json-learner'"));
  }

  @Test
  void aParsedRequestSentToAnotherMethodsAddressIsParsedAsJsonThere() {
    Requests.Parsed learner = Requests.parse(Requests.GET_LEARNER, new JsonObject().put("user_id", "someone"), LIMITS,
        Instant.now());
    ReplyException err = assertThrows(ReplyException.class, () -> {
      try {
        send(OrchestratorApi.SELECT_LOOP, learner);
      } catch (AssertionError e) {
        throw e.getCause().getCause();
      }
    });
    assertEquals(ErrorCodes.INVALID_PARAMS, err.failureCode(), err.getMessage());
  }

  @Test
  void jsonFromAnyOtherSenderIsStillValidated() {
    ReplyException err = assertThrows(ReplyException.class, () -> {
      try {
        send(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", 42));
      } catch (AssertionError e) {
        throw e.getCause().getCause();
      }
    });
    assertEquals(ErrorCodes.INVALID_PARAMS, err.failureCode());
    assertTrue(err.getMessage().contains("user_id"), err.getMessage());
  }
}
