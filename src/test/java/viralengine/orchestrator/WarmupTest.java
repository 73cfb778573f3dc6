package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.auth.TokenSet;
import viralengine.http.Rehearsal;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Ready means warm: the start rehearses the decision path through the service's own HTTP port, and the rehearsal
 * leaves nothing a user can see; its pass opens nothing else.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WarmupTest {
  static final String TOKEN = "warmup-test-token-0123456789";

  @Test
  void theStartRehearsesDecisionsThroughHttpWithEveryLoopActiveAndLeavesNoRowBehind() {
    try (TestService first = TestService.start(new JsonObject())) {
      first.resetData();
      first.query("UPDATE viral_loops SET active = true");
    }
    // With tokens configured: the rehearsal has none, and must still be decided (its own pass, nothing else).
    // A budget far beyond 200 calls: the test asserts what the rehearsal does, not how fast (the machine may be busy).
    JsonObject config = new JsonObject().put("orchestrator", new JsonObject().put("warmup_calls", 200).put("warmup_ms", 60_000))
        .put("auth", new JsonObject().put("token_sha256", new JsonArray().add(TokenSet.sha256Hex(TOKEN))));
    try (TestService svc = TestService.start(config)) {
      assertEquals(200, svc.get("/health/ready").statusCode() == 200 ? warmupDecisions(svc) : -1,
          "ready only once the rehearsal decided the configured number of calls through HTTP");
      assertEquals(0, svc.count("SELECT count(*) FROM agent_decisions"));
      assertEquals(0, svc.count("SELECT count(*) FROM viral_events"));
      assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures"));
      assertEquals(0, svc.count("SELECT count(*) FROM learners WHERE user_id LIKE 'warmup-%'"));
      assertEquals(0, svc.count("SELECT count(*) FROM learner_variants WHERE user_id LIKE 'warmup-%'"));

      JsonObject guessed = new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "select_loop")
          .put("params", new JsonObject().put("user_id", "guesser"));
      assertEquals(401, TestService.await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/select_loop")
          .putHeader("content-type", "application/json").putHeader(Rehearsal.HEADER, "0".repeat(64))
          .sendJsonObject(guessed)).statusCode(),
          "a wrong rehearsal secret is no pass: the token check runs");
      JsonObject real = TestService.await(svc.http.post(svc.port, "127.0.0.1", "/mcp/orchestrator/select_loop")
          .putHeader("content-type", "application/json").putHeader("authorization", "Bearer " + TOKEN)
          .sendJsonObject(guessed)).bodyAsJsonObject().getJsonObject("result");
      assertNotNull(real, "a real caller is decided as usual");
      assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions"));
      svc.query("UPDATE viral_loops SET active = false");
    }
  }

  static long warmupDecisions(TestService svc) {
    String metrics = TestService.await(svc.http.get(svc.port, "127.0.0.1", "/metrics")
        .putHeader("authorization", "Bearer " + TOKEN).send()).bodyAsString();
    return metrics.lines().filter(line -> line.startsWith("viral_warmup_decisions "))
        .mapToLong(line -> (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1))).findFirst().orElse(-1);
  }
}
