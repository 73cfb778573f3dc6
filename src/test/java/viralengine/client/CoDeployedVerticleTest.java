package viralengine.client;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.Main;
import viralengine.Service;
import viralengine.api.OrchestratorApi;
import viralengine.config.AppConfig;
import viralengine.example.LearnerNudgeVerticle;
import viralengine.rpc.ErrorCodes;
import viralengine.support.TestService;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

/**
 * The co-deployment story end to end: the example verticle, deployed through {@code deploy.verticles},
 * calls every orchestrator address with the typed client; and the client maps each failure to its code.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CoDeployedVerticleTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("deploy", new JsonObject()
        .put("verticles", new JsonArray().add(LearnerNudgeVerticle.class.getName()))));
    svc.resetData(); // no loop active: the example's decisions are Phase 1's, whatever ran before on this database
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @Test
  void theExampleVerticleDeployedByConfigCallsEveryAddressAndItsDecisionsAreRecorded() {
    String user = "nudge-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject reply = await(svc.vertx.eventBus().<JsonObject>request(LearnerNudgeVerticle.ADDRESS,
        new JsonObject().put("user_id", user), new DeliveryOptions().setSendTimeout(5_000))).body();
    assertEquals("ok", reply.getString("health"));
    assertEquals("external", reply.getString("database_mode"));
    assertNull(reply.getString("loop"));
    assertEquals("Phase 1: Event logged, no loops active yet", reply.getString("rationale"));
    assertEquals(1, svc.count("SELECT count(*) FROM viral_events WHERE user_id = $1", user));
    for (String key : new String[] {"event_decision_id", "loop_decision_id"}) {
      assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1::uuid AND success",
          reply.getString(key)), key + " is recorded");
    }
  }

  @Test
  void typedCallsReturnTypedDecisionsAndTheGenericRequestReachesAnyAddress() {
    OrchestratorBusClient client = OrchestratorBusClient.create(svc.vertx);
    EventDecision event = await(client.triggerEvent(
        TriggerEvent.of("session_ended", "typed-1").withRequestId("typed-" + UUID.randomUUID())));
    assertEquals("session_ended", event.eventType());
    assertEquals("session_ended_handler", event.handler());
    LoopDecision loop = await(client.selectLoop(SelectLoop.forUser("typed-1")));
    assertEquals(List.of(), loop.eligibleLoops());
    assertTrue(await(client.health()).ok());
    assertEquals("ok", await(client.request(OrchestratorApi.HEALTH, null)).getString("status"));
  }

  @Test
  void invalidParamsArriveAsTheOrchestratorsOwnCode() {
    OrchestratorException e = failure(OrchestratorBusClient.create(svc.vertx).triggerEvent(TriggerEvent.of("quiz_started", "u-1")));
    assertEquals(ErrorCodes.INVALID_PARAMS, e.code());
    assertTrue(e.callerError());
    assertFalse(e.retryable());
  }

  /** Issue 24, parse once: the typed client parses beside a local orchestrator and sends the typed request. */
  @Test
  void typedCallsTravelParsedAndInvalidOnesNeverReachTheBus() {
    List<Object> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.vertx.core.Handler<io.vertx.core.eventbus.DeliveryContext<Object>> spy = ctx -> {
      if (ctx.message().address().startsWith("orchestrator.")) {
        sent.add(ctx.body());
      }
      ctx.next();
    };
    svc.vertx.eventBus().addOutboundInterceptor(spy);
    try {
      OrchestratorBusClient client = OrchestratorBusClient.create(svc.vertx, Duration.ofSeconds(5));
      await(client.selectLoop(SelectLoop.forUser("typed-" + UUID.randomUUID())));
      await(client.triggerEvent(TriggerEvent.of("practice_completed", "typed-" + UUID.randomUUID())));
      assertEquals(List.of(viralengine.api.Requests.SelectLoop.class, viralengine.api.Requests.TriggerEvent.class),
          sent.stream().map(Object::getClass).toList());

      sent.clear();
      OrchestratorException e = failure(client.selectLoop(SelectLoop.forUser("u-4").withEventType("quiz_started")));
      assertEquals(ErrorCodes.INVALID_PARAMS, e.code());
      assertTrue(e.getMessage().contains("event_type"), e.getMessage());
      assertEquals(List.of(), sent, "refused before the bus");
      // The generic request stays JSON, validated by the orchestrator.
      await(client.request(OrchestratorApi.SELECT_LOOP, new JsonObject().put("user_id", "json-" + UUID.randomUUID())));
      assertInstanceOf(JsonObject.class, sent.get(0));
    } finally {
      svc.vertx.eventBus().removeOutboundInterceptor(spy);
    }
  }

  @Test
  void aReusedRequestIdWithOtherParamsIsAnIdempotencyConflict() {
    OrchestratorBusClient client = OrchestratorBusClient.create(svc.vertx);
    String id = "conflict-" + UUID.randomUUID();
    await(client.triggerEvent(TriggerEvent.of("session_ended", "u-2").withRequestId(id)));
    OrchestratorException e = failure(client.triggerEvent(TriggerEvent.of("practice_completed", "u-2").withRequestId(id)));
    assertEquals(ErrorCodes.IDEMPOTENCY_CONFLICT, e.code());
  }

  @Test
  void noOrchestratorAtTheAddressIsMinus32000() {
    Vertx bare = Vertx.vertx();
    try {
      OrchestratorException e = failure(OrchestratorBusClient.create(bare).selectLoop(SelectLoop.forUser("u-3")));
      assertEquals(ErrorCodes.ORCHESTRATOR_ERROR, e.code());
      assertTrue(e.getMessage().contains("orchestrator.select_loop"), e.getMessage());
    } finally {
      await(bare.close());
    }
  }

  @Test
  void anOrchestratorSlowerThanTheSendTimeoutIsMinus32001() {
    try (TestService slow = TestService.start(new JsonObject().put("orchestrator", new JsonObject().put("test_delay_ms", 400)))) {
      OrchestratorException e = failure(OrchestratorBusClient.create(slow.vertx, Duration.ofMillis(50))
          .selectLoop(SelectLoop.forUser("u-4")));
      assertEquals(ErrorCodes.TIMEOUT, e.code());
      assertTrue(e.retryable());
    }
  }

  @Test
  void theClientRefusesAnAbsurdTimeoutAndMissingRequiredFields() {
    assertThrows(IllegalArgumentException.class, () -> OrchestratorBusClient.create(svc.vertx, Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> OrchestratorBusClient.create(svc.vertx, Duration.ofMinutes(5)));
    assertThrows(NullPointerException.class, () -> TriggerEvent.of(null, "u"));
    assertThrows(NullPointerException.class, () -> SelectLoop.forUser(null));
  }

  @Test
  void aVerticleThatDoesNotDeployFailsStartAndNamesItself() {
    AppConfig config = AppConfig.from(TestService.baseConfig().put("deploy", new JsonObject()
        .put("verticles", new JsonArray().add("com.example.Missing"))));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Main.newVertx(registry);
    try {
      ExecutionException err = assertThrows(ExecutionException.class, () -> Service.start(vertx, config, registry)
          .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS));
      assertTrue(err.getCause().getMessage().startsWith("deploy.verticles: com.example.Missing did not deploy"),
          err.getCause().getMessage());
    } finally {
      await(vertx.close());
    }
  }

  private static OrchestratorException failure(Future<?> call) {
    try {
      call.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return assertInstanceOf(OrchestratorException.class, e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the call succeeded");
  }
}
