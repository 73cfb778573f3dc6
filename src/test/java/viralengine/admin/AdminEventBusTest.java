package viralengine.admin;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/** A co-deployed verticle manages loops over the {@link AdminApi} addresses, as the HTTP edge does. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminEventBusTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start();
  }

  @AfterAll
  static void stop() {
    AdminFixtures.restoreSeeds(svc);
    svc.close();
  }

  @BeforeEach
  void reset() {
    AdminFixtures.restoreSeeds(svc);
  }

  static Future<JsonObject> send(String method, JsonObject params, DeliveryOptions options) {
    return svc.vertx.eventBus().<JsonObject>request(AdminApi.address(method), params,
        options.setSendTimeout(AdminApi.SEND_TIMEOUT_MS)).map(Message::body);
  }

  static AdminApi.Failure failure(Future<?> call) {
    try {
      await(call);
    } catch (AssertionError e) {
      return assertInstanceOf(AdminApi.Failure.class, e.getCause().getCause());
    }
    throw new AssertionError("expected the call to fail");
  }

  @Test
  void theActorHeaderIsWhoTheAuditTrailRecords() {
    await(send(AdminApi.SET_LOOP_ACTIVE, new JsonObject().put("name", "tutor_spotlight").put("active", true),
        new DeliveryOptions().addHeader(AdminApi.HEADER_ACTOR, "growth-bot")));
    assertEquals("growth-bot", svc.query("SELECT actor FROM config_changes").iterator().next().getString(0));
  }

  @Test
  void withoutAnActorHeaderTheChangeIsRecordedAsTheEventBus() {
    await(send(AdminApi.SET_LOOP_ACTIVE, new JsonObject().put("name", "tutor_spotlight").put("active", true), new DeliveryOptions()));
    assertEquals(AdminApi.BUS_ACTOR, svc.query("SELECT actor FROM config_changes").iterator().next().getString(0));
  }

  @Test
  void failuresCarryTheJsonRpcCodeAndData() {
    AdminApi.Failure invalid = failure(send(AdminApi.UPSERT_LOOP,
        new JsonObject().put("loop", AdminFixtures.streakShare().put("priority", "high")), new DeliveryOptions()));
    assertEquals(-32602, invalid.failureCode());
    assertEquals("loop.priority", invalid.data().getString("field"));

    AdminApi.Failure missing = failure(send(AdminApi.GET_LOOP, new JsonObject().put("name", "nope"), new DeliveryOptions()));
    assertEquals(-32006, missing.failureCode());

    await(send(AdminApi.SET_LOOP_ACTIVE, new JsonObject().put("name", "buddy_challenge").put("active", true), new DeliveryOptions()));
    AdminApi.Failure stale = failure(send(AdminApi.SET_LOOP_ACTIVE,
        new JsonObject().put("name", "buddy_challenge").put("active", false).put("expected_version", 1), new DeliveryOptions()));
    assertEquals(-32005, stale.failureCode());
    assertEquals(2, stale.data().getInteger("current_version"));
    assertTrue(stale.getMessage().contains("version 2"), stale.getMessage());
  }

  @Test
  void aBodyThatIsNotAnObjectIsInvalidParams() {
    assertEquals(-32602, failure(send(AdminApi.LIST_LOOPS, new JsonObject().put("x", 1), new DeliveryOptions())).failureCode());
    assertEquals(-32602, failure(svc.vertx.eventBus().<JsonObject>request(AdminApi.address(AdminApi.GET_LOOP), "buddy_challenge",
        new DeliveryOptions().setSendTimeout(AdminApi.SEND_TIMEOUT_MS)).map(Message::body)).failureCode());
  }
}
