package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.decision.Buckets;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.awaitActiveLoops;
import static viralengine.orchestrator.DecisionsHttpTest.result;
import static viralengine.support.TestService.await;

/**
 * selection.holdback_percent through the real service: half the learners are decided by priority (always the
 * high-priority loop, which earns no joins here), the rest by Thompson (which explores the loop that earns a join
 * every time), and loop_report{group_by: strategy} gives each policy's joins per learner and the lift of the
 * strategy over the holdback with its fixed and always-valid intervals.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HoldbackHttpTest {
  static final String SALT = "holdback-test";
  static final int LEARNERS = 240;
  static TestService svc;
  /** The seed loops' priorities, put back after the tests change them (the database outlives this class). */
  static final java.util.Map<String, Integer> PRIORITIES = new java.util.HashMap<>();

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming()
        .put("experiments", new JsonObject().put("holdout_percent", 0).put("salt", SALT))
        .put("selection", new JsonObject().put("strategy", "thompson").put("seed", 5).put("holdback_percent", 50))
        .put("report", new JsonObject().put("sequential_tuning_n", 500)));
    svc.resetData();
    svc.query("SELECT name, priority FROM viral_loops").forEach(r -> PRIORITIES.put(r.getString(0), r.getInteger(1)));
  }

  @AfterAll
  static void stop() {
    PRIORITIES.forEach((name, priority) -> svc.query("UPDATE viral_loops SET priority = $2 WHERE name = $1", name, priority));
    svc.resetData();
    svc.close();
  }

  @BeforeEach
  void reset() {
    svc.resetData();
  }

  @Test
  void theHoldbackIsDecidedByPriorityAndTheReportComparesThePolicies() {
    svc.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}', priority = CASE name WHEN 'buddy_challenge' THEN 10"
        + " ELSE 5 END WHERE name IN ('buddy_challenge', 'results_rally')");
    awaitActiveLoops(svc, 2);
    long strategyLearners = 0;
    long strategyJoins = 0;
    long heldBackLearners = 0;
    for (int i = 0; i < LEARNERS; i++) {
      String user = "hb-" + i;
      JsonObject answer = HoldoutHttpTest.trigger(svc, user);
      boolean heldBack = Buckets.heldBack(SALT, 50, user);
      assertEquals(heldBack, result(svc.rpc("get_learner", new JsonObject().put("user_id", user)))
          .getJsonObject("experiments").getBoolean("holdback"));
      if (heldBack) {
        heldBackLearners++;
        assertEquals("buddy_challenge", answer.getString("loop"), "priority's choice: " + answer.encode());
        assertTrue(answer.getString("rationale").contains("50% holdback of selection.strategy thompson"),
            answer.getString("rationale"));
      } else {
        strategyLearners++;
      }
      if ("results_rally".equals(answer.getString("loop"))) {
        strategyJoins++;
        result(svc.rpc("record_outcome", new JsonObject().put("decision_id", answer.getString("decision_id"))
            .put("outcome", "joined")));
      }
    }
    assertTrue(heldBackLearners > 80 && strategyJoins > 20, heldBackLearners + " held back, " + strategyJoins + " joins");

    JsonObject report = awaitReport(LEARNERS);
    JsonObject thompson = row(report.getJsonArray("rows"), "thompson");
    JsonObject holdback = row(report.getJsonArray("rows"), "holdback");
    assertEquals(strategyLearners, thompson.getLong("learners"));
    assertEquals(heldBackLearners, holdback.getLong("learners"));
    assertEquals(strategyJoins, thompson.getLong("joined"));
    assertEquals(0, holdback.getLong("joined"));
    assertEquals((double) strategyJoins / strategyLearners, thompson.getJsonObject("joins_per_learner").getDouble("value"), 1e-12);

    JsonObject lift = report.getJsonObject("lift");
    assertEquals("thompson", lift.getString("of"));
    assertEquals("holdback", lift.getString("over"));
    assertEquals((double) strategyJoins / strategyLearners, lift.getDouble("value"), 1e-12);
    JsonObject sequential = lift.getJsonObject("sequential");
    assertEquals("msprt", sequential.getString("method"));
    assertTrue(lift.getDouble("low") > 0, "the fixed interval excludes 0: " + lift.encode());
    assertTrue(sequential.getDouble("low") > 0, "so does the always-valid one here: " + lift.encode());
    assertTrue(sequential.getDouble("low") < lift.getDouble("low") && sequential.getDouble("high") > lift.getDouble("high"),
        "and it is wider: " + lift.encode());
    assertFalse(report.getJsonObject("srm").getBoolean("alarm"), report.getJsonObject("srm").encode());
    assertEquals(LEARNERS / 2.0, report.getJsonObject("srm").getJsonObject("expected").getDouble("holdback"), 1e-9);
  }

  /**
   * "What would priority have earned?" from Thompson's logged decisions and propensities alone, against what the
   * holdback (priority, really run on other learners) measured: here a buddy_challenge decision earns a join for
   * every other learner, results_rally never, so priority (always buddy_challenge) earns 0.5 per decision.
   */
  @Test
  void theOffPolicyEstimateOfPriorityLandsOnWhatTheHoldbackMeasured() {
    svc.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}', priority = CASE name WHEN 'buddy_challenge' THEN 10"
        + " ELSE 5 END WHERE name IN ('buddy_challenge', 'results_rally')");
    awaitActiveLoops(svc, 2);
    for (int i = 0; i < LEARNERS; i++) {
      JsonObject answer = HoldoutHttpTest.trigger(svc, "ope-" + i);
      if ("buddy_challenge".equals(answer.getString("loop")) && i % 2 == 0) {
        result(svc.rpc("record_outcome", new JsonObject().put("decision_id", answer.getString("decision_id"))
            .put("outcome", "joined")));
      }
    }
    JsonObject offPolicy = awaitReport(LEARNERS).getJsonObject("off_policy");
    assertEquals("priority", offPolicy.getString("policy"));
    JsonObject estimate = offPolicy.getJsonObject("estimate");
    JsonObject measured = offPolicy.getJsonObject("measured");
    assertEquals("snips", estimate.getString("method"));
    assertTrue(offPolicy.getLong("matched") > 20 && offPolicy.getLong("matched") < offPolicy.getLong("decisions"),
        offPolicy.encode());
    double value = measured.getDouble("value");
    assertTrue(value > 0.3 && value < 0.7, "the holdback measured about 0.5: " + offPolicy.encode());
    assertTrue(estimate.getDouble("low") <= value && value <= estimate.getDouble("high"),
        "the measured value lies within the estimate's interval: " + offPolicy.encode());
  }

  static JsonObject row(JsonArray rows, String strategy) {
    return rows.stream().map(JsonObject.class::cast).filter(r -> strategy.equals(r.getString("strategy"))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + strategy + " row in " + rows.encode()));
  }

  /** The report once every decision is logged (the decision log writes behind the answer). */
  static JsonObject awaitReport(long learners) {
    Instant now = Instant.now();
    JsonObject params = new JsonObject().put("group_by", "strategy")
        .put("from", now.minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS).toString())
        .put("to", now.plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS).toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      JsonObject report = result(svc.rpc("loop_report", params));
      long counted = report.getJsonArray("rows").stream().map(JsonObject.class::cast).mapToLong(r -> r.getLong("learners")).sum();
      if (counted == learners) {
        return report;
      }
      assertTrue(System.nanoTime() < deadline, "the report never counted every learner: " + report.encode());
      await(svc.vertx.timer(100));
    }
  }
}
