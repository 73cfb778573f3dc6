package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.decision.Buckets;
import viralengine.support.TestService;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.activate;
import static viralengine.orchestrator.DecisionsHttpTest.result;

/** The holdout through the real service: what a held-out learner is answered, what is logged, and outcomes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HoldoutHttpTest {
  static final String SALT = "holdout-test";
  static TestService svc;

  /** Half the learners held out, so both kinds are easy to find. */
  static JsonObject config() {
    return TestService.relaxedTiming()
        .put("experiments", new JsonObject().put("holdout_percent", 50).put("salt", SALT));
  }

  @BeforeAll
  static void start() {
    svc = TestService.start(config());
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

  static String userWhoIs(boolean heldOut) {
    for (int i = 0; ; i++) {
      if (Buckets.heldOut(SALT, 50, "learner-" + i) == heldOut) {
        return "learner-" + i;
      }
    }
  }

  static JsonObject trigger(TestService service, String user) {
    return result(service.rpc("trigger_event", new JsonObject().put("user_id", user).put("event_type", "practice_completed")));
  }

  @Test
  void aHeldOutLearnerGetsHoldoutTheCounterfactualIsLoggedAndOutcomesAreRecorded() {
    activate(svc, "buddy_challenge", 0);
    String user = userWhoIs(true);
    JsonObject answer = trigger(svc, user);
    assertEquals("holdout", answer.getString("outcome"));
    assertNull(answer.getValue("loop"));
    assertNull(answer.getValue("action"));
    assertTrue(answer.getString("rationale").contains("would have selected buddy_challenge"), answer.getString("rationale"));
    String decision = answer.getString("decision_id");
    var row = svc.query("SELECT d.outcome, l.name, d.user_id, d.event_type, d.features_used FROM agent_decisions d"
        + " JOIN viral_loops l ON l.id = d.loop_id WHERE d.decision_id = $1::uuid", decision).iterator().next();
    assertEquals("holdout", row.getString(0));
    assertEquals("buddy_challenge", row.getString(1), "loop_id is the counterfactual");
    assertEquals(user, row.getString(2));
    assertEquals("practice_completed", row.getString(3));
    assertEquals("buddy_challenge", ((JsonObject) row.getValue(4)).getJsonObject("experiments").getString("counterfactual"));
    assertEquals(0, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", user), "a holdout counts toward nothing");

    JsonObject shown = result(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision).put("outcome", "invite_sent")));
    assertEquals("invite_sent", shown.getString("outcome"));
    assertNull(shown.getValue("loop"), "the learner was shown no loop");
    assertEquals("buddy_challenge", svc.query("SELECT l.name FROM loop_outcomes o JOIN viral_loops l ON l.id = o.loop_id"
        + " WHERE o.decision_id = $1::uuid", decision).iterator().next().getString(0), "the outcome row keeps the counterfactual");
    JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", decision)));
    assertTrue(explained.getJsonObject("experiments").getBoolean("holdout"));
    assertEquals("holdout", explained.getString("outcome"));
    assertNull(explained.getValue("loop"));
    assertEquals(1, explained.getJsonArray("outcomes").size());
    assertTrue(holdout(svc, user));
  }

  @Test
  void aLearnerNotHeldOutIsSelectedAndEveryRowCarriesItsOutcome() {
    activate(svc, "buddy_challenge", 0);
    String user = userWhoIs(false);
    JsonObject answer = trigger(svc, user);
    assertEquals("selected", answer.getString("outcome"));
    assertEquals("buddy_challenge", answer.getString("loop"));
    assertEquals(1, svc.count("SELECT count(*) FROM loop_exposures WHERE user_id = $1", user));
    assertEquals("selected", svc.query("SELECT outcome FROM agent_decisions WHERE decision_id = $1::uuid",
        answer.getString("decision_id")).iterator().next().getString(0));
    assertFalse(holdout(svc, user));
  }

  @Test
  void withNoLoopActiveAHeldOutLearnerGetsPhaseOnesAnswer() {
    JsonObject answer = trigger(svc, userWhoIs(true));
    assertEquals("no_eligible_loop", answer.getString("outcome"));
    assertEquals("Phase 1: Event logged, no loops active yet", answer.getString("rationale"));
    assertEquals("no_eligible_loop", svc.query("SELECT outcome FROM agent_decisions WHERE decision_id = $1::uuid",
        answer.getString("decision_id")).iterator().next().getString(0));
  }

  @Test
  void theAssignmentIsTheSameAfterARestart() {
    List<Boolean> before = new ArrayList<>();
    List<String> users = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      users.add("restart-" + i);
      before.add(holdout(svc, "restart-" + i));
    }
    assertTrue(before.contains(true) && before.contains(false), "both kinds among 40 learners at 50%: " + before);
    try (TestService again = TestService.start(config())) {
      for (int i = 0; i < users.size(); i++) {
        assertEquals(before.get(i), holdout(again, users.get(i)), users.get(i));
      }
    }
  }

  static boolean holdout(TestService service, String user) {
    return result(service.rpc("get_learner", new JsonObject().put("user_id", user))).getJsonObject("experiments")
        .getBoolean("holdout");
  }
}
