package viralengine;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import viralengine.config.AppConfig;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.support.TestService.await;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LifecycleTest {

  @Test
  void deployServeAndUndeployCleanly() {
    TestService svc = TestService.start(TestService.builtInAgents());
    assertEquals(200, svc.get("/health/ready").statusCode());
    assertEquals(7, svc.vertx.deploymentIDs().size(), "the decision log, the orchestrator, the admin agent, the"
        + " trust_safety, personalization and incentives agents and the HTTP verticles are deployed");
    await(svc.service.stop());
    assertEquals(0, svc.vertx.deploymentIDs().size(), "everything was undeployed");
    await(svc.service.stop()); // idempotent
    await(svc.vertx.close());
  }

  @Test
  void whenTheDatabaseIsDownAtStartReadyIsDownAndTheLogSaysWhy() {
    Logger serviceLog = (Logger) LoggerFactory.getLogger(Service.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    serviceLog.addAppender(logs);
    int deadPort = TestService.freePort();
    JsonObject config = TestService.baseConfig()
        .put("database", new JsonObject().put("url", "postgresql://postgres@127.0.0.1:" + deadPort + "/postgres"));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Main.newVertx(registry);
    try {
      AppConfig app = AppConfig.from(config);
      Service service = await(Service.start(vertx, app, registry));
      WebClient client = WebClient.create(vertx);
      HttpResponse<Buffer> ready = await(client.get(app.http().port(), "127.0.0.1", "/health/ready").send());
      assertEquals(503, ready.statusCode());
      String body = ready.bodyAsString();
      assertTrue(body.contains("DOWN"), body);
      assertTrue(body.contains("unreachable at startup"), body);
      HttpResponse<Buffer> health = await(client.get(app.http().port(), "127.0.0.1", "/mcp/orchestrator/health").send());
      assertEquals(503, health.statusCode());
      assertEquals("down", health.bodyAsJsonObject().getString("status"));
      JsonObject select = await(client.post(app.http().port(), "127.0.0.1", "/mcp/orchestrator/select_loop")
          .putHeader("content-type", "application/json")
          .sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
              .put("params", new JsonObject().put("user_id", "u")))).bodyAsJsonObject();
      assertTrue(select.getJsonObject("result").getBoolean("degraded"), "select_loop stays available with the default decision");
      JsonObject trigger = await(client.post(app.http().port(), "127.0.0.1", "/mcp/orchestrator/trigger_event")
          .putHeader("content-type", "application/json")
          .sendJsonObject(new JsonObject().put("jsonrpc", "2.0").put("id", 2).put("method", "trigger_event")
              .put("params", new JsonObject().put("user_id", "u").put("event_type", "session_ended")))).bodyAsJsonObject();
      JsonObject degraded = trigger.getJsonObject("result");
      assertTrue(degraded != null && degraded.getBoolean("degraded"), "no orchestrator yet: the event is kept (in the spool)"
          + " and answered with a degraded result, not an error or a hang: " + trigger);
      assertTrue(degraded.getString("event_id") != null, trigger.encode());
      assertTrue(logs.list.stream().anyMatch(e -> e.getFormattedMessage().contains("127.0.0.1:" + deadPort + "/postgres unreachable at startup")),
          "the log names the database and says why");
      await(service.stop());
    } finally {
      serviceLog.detachAppender(logs);
      await(vertx.close());
    }
  }
}
