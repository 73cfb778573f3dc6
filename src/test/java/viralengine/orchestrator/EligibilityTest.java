package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Loops activated in the database are picked up by the refresh, and each check (active, trigger,
 * cooldown, daily cap) decides what the learner may see. Exposure history lives in PostgreSQL.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EligibilityTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(new JsonObject().put("orchestrator", new JsonObject().put("loops_refresh_ms", 100).put("daily_cap", 2)));
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  /** Activates loops with short cooldowns, and waits until the orchestrator has reloaded them. */
  static void activate(int cooldownSeconds, String... loops) throws InterruptedException {
    awaitActiveLoops(0); // resetData deactivated all; let the refresh see that before the new state
    svc.query("UPDATE viral_loops SET active = name = ANY($1), cooldown_seconds = $2", loops, cooldownSeconds);
    awaitActiveLoops(loops.length);
  }

  static void awaitActiveLoops(int count) throws InterruptedException {
    for (int i = 0; i < 100 && activeLoops() != count; i++) {
      Thread.sleep(50);
    }
    assertEquals(count, activeLoops());
  }

  static int activeLoops() {
    return svc.get("/mcp/orchestrator/health").bodyAsJsonObject().getInteger("active_loops");
  }

  static JsonObject select(String user, String eventType) {
    return svc.rpc("select_loop", new JsonObject().put("user_id", user).put("event_type", eventType)).getJsonObject("result");
  }

  static JsonObject check(JsonObject decisionFeatures, String loop) {
    JsonArray checks = decisionFeatures.getJsonArray("checks");
    for (int i = 0; i < checks.size(); i++) {
      if (loop.equals(checks.getJsonObject(i).getString("loop"))) {
        return checks.getJsonObject(i);
      }
    }
    throw new AssertionError("no check for " + loop);
  }

  static JsonObject features(JsonObject result) {
    return (JsonObject) svc.query("SELECT features_used FROM agent_decisions WHERE decision_id = $1::uuid",
        result.getString("decision_id")).iterator().next().getValue("features_used");
  }

  @Test
  void anActiveTriggeredLoopIsSelectedAndItsExposureRecorded() throws Exception {
    activate(3600, "buddy_challenge", "results_rally");
    JsonObject result = select("e-1", "practice_completed");
    assertEquals("buddy_challenge", result.getString("loop"));
    assertEquals(new JsonArray().add("buddy_challenge"), result.getJsonArray("eligible_loops"));
    assertTrue(result.getString("rationale").startsWith("Selected buddy_challenge for practice_completed"));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'e-1'"));
    assertEquals(1, svc.count("SELECT count(*) FROM agent_decisions a JOIN viral_loops l ON a.loop_id = l.id"
        + " WHERE l.name = 'buddy_challenge' AND a.decision_id = $1::uuid", result.getString("decision_id")));
    assertEquals("not triggered by practice_completed", check(features(result), "results_rally").getString("reason"));
  }

  @Test
  void theCooldownBlocksASecondShowingOfTheSameLoop() throws Exception {
    activate(3600, "buddy_challenge");
    assertEquals("buddy_challenge", select("e-2", "practice_completed").getString("loop"));
    JsonObject second = select("e-2", "practice_completed");
    assertNull(second.getValue("loop"));
    JsonObject buddy = check(features(second), "buddy_challenge");
    assertEquals("cooling_down", buddy.getString("cooldown"));
    assertTrue(buddy.getString("reason").startsWith("cooling down until"));
    assertTrue(second.getString("rationale").startsWith("No eligible loop"));
    assertEquals("buddy_challenge", select("another-learner", "practice_completed").getString("loop"), "cooldown is per user");
  }

  @Test
  void theDailyCapLimitsLoopsPerLearnerAcrossLoops() throws Exception {
    activate(0, "buddy_challenge", "results_rally", "proud_parent");
    assertEquals("buddy_challenge", select("e-3", "practice_completed").getString("loop"));
    assertEquals("results_rally", select("e-3", "diagnostic_completed").getString("loop"));
    JsonObject third = select("e-3", "diagnostic_completed");
    assertNull(third.getValue("loop"));
    JsonObject features = features(third);
    assertEquals("reached", features.getJsonObject("daily_cap").getString("status"));
    assertEquals(2, features.getJsonObject("daily_cap").getInteger("fired_today"));
  }

  @Test
  void triggerEventAlsoRunsEligibilityAndCanSelectALoop() throws Exception {
    activate(3600, "tutor_spotlight");
    JsonObject result = svc.rpc("trigger_event", new JsonObject().put("event_type", "session_ended").put("user_id", "e-4"))
        .getJsonObject("result");
    assertEquals("tutor_spotlight", result.getString("loop"));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = 'e-4'"));
  }

  @Test
  void selectLoopWithoutAnEventTypeConsidersEveryActiveLoopByPriority() throws Exception {
    activate(3600, "proud_parent", "tutor_spotlight");
    JsonObject result = svc.rpc("select_loop", new JsonObject().put("user_id", "e-5")).getJsonObject("result");
    assertEquals("proud_parent", result.getString("loop"));
    assertEquals(new JsonArray().add("proud_parent").add("tutor_spotlight"), result.getJsonArray("eligible_loops"));
  }
}
