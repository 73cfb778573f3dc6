package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ready means warm: the start rehearses the decision path, and the rehearsal leaves nothing a user can see. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WarmupTest {

  @Test
  void theStartRehearsesDecisionsWithEveryLoopActiveAndLeavesNoRowBehind() {
    JsonObject loopsActive = new JsonObject().put("orchestrator", new JsonObject().put("warmup_calls", 200));
    try (TestService first = TestService.start(new JsonObject())) {
      first.resetData();
      first.query("UPDATE viral_loops SET active = true");
    }
    try (TestService svc = TestService.start(loopsActive)) {
      assertEquals(200, svc.get("/health/ready").statusCode() == 200 ? warmupDecisions(svc) : -1,
          "ready only once the rehearsal ran, through the configured number of decisions");
      assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
      assertEquals(0, svc.count("SELECT count(*) FROM viral_events"));
      assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures"));
      assertEquals(0, svc.count("SELECT count(*) FROM learners WHERE user_id LIKE 'warmup-%'"));
      JsonObject real = svc.rpc("select_loop", new JsonObject().put("user_id", "warmup-1").put("request_id", "warmup-0"))
          .getJsonObject("result");
      assertTrue(real.getString("decision_id") != null, "a rehearsed request_id is free for a real caller: " + real);
      assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions WHERE request_id = 'warmup-0'"));
      svc.query("UPDATE viral_loops SET active = false");
    }
  }

  static long warmupDecisions(TestService svc) {
    String metrics = svc.get("/metrics").bodyAsString();
    return metrics.lines().filter(line -> line.startsWith("viral_warmup_decisions "))
        .mapToLong(line -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1))).findFirst().orElse(-1);
  }
}
