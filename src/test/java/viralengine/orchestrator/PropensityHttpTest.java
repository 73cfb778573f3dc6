package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.awaitActiveLoops;
import static viralengine.orchestrator.DecisionsHttpTest.result;
import static viralengine.support.TestService.await;

/**
 * Every selection logs its propensity in features_used, and explain_decision shows it: exact while Thompson
 * explores, a Monte Carlo estimate once both arms have 100 selections, consistent with the logged draws' rule.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PropensityHttpTest {
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming().put("selection", new JsonObject().put("strategy", "thompson")
        .put("seed", 11).put("refresh_ms", 100)).put("experiments", new JsonObject().put("holdout_percent", 0)));
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  static JsonObject features(JsonObject answer) {
    return (JsonObject) svc.query("SELECT features_used FROM agent_decisions WHERE decision_id = $1::uuid",
        answer.getString("decision_id")).iterator().next().getValue(0);
  }

  static JsonObject featuresWhenLogged(JsonObject answer) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (svc.count("SELECT count(*) FROM agent_decisions WHERE decision_id = $1::uuid", answer.getString("decision_id")) == 0) {
      assertTrue(System.nanoTime() < deadline, "the decision was never logged");
      await(svc.vertx.timer(20));
    }
    return features(answer);
  }

  @Test
  void everySelectionLogsItsPropensityAndExplainShowsIt() {
    svc.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}' WHERE name IN ('buddy_challenge', 'results_rally')");
    awaitActiveLoops(svc, 2);
    JsonObject first = HoldoutHttpTest.trigger(svc, "p-0");
    JsonObject exploring = featuresWhenLogged(first);
    assertEquals("exact", exploring.getString("propensity_method"));
    assertEquals(0.01 + 0.98 / 2, exploring.getDouble("propensity"), 1e-12, "floor plus half of explore-first");
    assertEquals("buddy_challenge", exploring.getString("priority_choice"));

    // Explore until both arms have 100 selections; every invite goes to buddy_challenge's decisions.
    int i = 1;
    while (svc.count("SELECT count(*) FROM loop_exposures e JOIN viral_loops l ON l.id = e.loop_id"
        + " GROUP BY l.name ORDER BY 1 LIMIT 1") < 100 || svc.count("SELECT count(DISTINCT loop_id) FROM loop_exposures") < 2) {
      JsonObject answer = HoldoutHttpTest.trigger(svc, "p-" + i++);
      if ("buddy_challenge".equals(answer.getString("loop")) && i % 2 == 0) {
        result(svc.rpc("record_outcome", new JsonObject().put("decision_id", answer.getString("decision_id"))
            .put("outcome", "invite_sent")));
      }
      assertTrue(i < 1_000, "both arms never reached 100 selections");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    JsonObject answer;
    JsonObject drawn;
    do {
      assertTrue(System.nanoTime() < deadline, "the snapshot never showed both arms explored");
      await(svc.vertx.timer(150)); // the snapshot refreshes every 100 ms
      answer = HoldoutHttpTest.trigger(svc, "p-" + i++);
      drawn = featuresWhenLogged(answer);
    } while (!"monte_carlo".equals(drawn.getString("propensity_method")));

    JsonObject all = drawn.getJsonObject("propensities");
    assertEquals(2, all.size());
    assertEquals(1.0, all.getDouble("buddy_challenge") + all.getDouble("results_rally"), 1e-9);
    assertTrue(all.getDouble("buddy_challenge") > 0.9, "the arm with invites wins nearly every draw: " + all);
    assertTrue(all.getDouble("results_rally") >= 0.01, "the floor: " + all);
    assertEquals(all.getDouble(answer.getString("loop")), drawn.getDouble("propensity"), "the chosen loop's");

    JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", first.getString("decision_id"))));
    assertEquals(0.5, explained.getDouble("propensity"), 1e-12);
    assertEquals("exact", explained.getJsonObject("features_used").getString("propensity_method"));
  }
}
