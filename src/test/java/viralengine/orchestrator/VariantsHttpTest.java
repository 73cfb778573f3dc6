package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.TestService;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.result;

/** Variants through the admin agent and real decisions: stored on first selection, stable when the weights change. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VariantsHttpTest {
  static final int LEARNERS = 60;
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming());
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.query("DELETE FROM viral_loops WHERE name = 'variant_loop'");
    svc.query("DELETE FROM config_changes WHERE key = 'variant_loop'");
    svc.close();
  }

  static JsonObject loop(double shortWeight, double longWeight) {
    return new JsonObject().put("name", "variant_loop").put("display_name", "Variant loop").put("active", true)
        .put("triggers", new JsonArray().add("practice_completed")).put("priority", 900)
        .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "default"))
        .put("variants", new JsonArray()
            .add(new JsonObject().put("key", "short_copy").put("weight", shortWeight)
                .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "short")))
            .add(new JsonObject().put("key", "long_copy").put("weight", longWeight)
                .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "long"))));
  }

  static void upsert(JsonObject loop) {
    JsonObject changed = result(svc.admin("upsert_loop", new JsonObject().put("loop", loop)));
    svc.awaitConfigVersion(changed.getLong("config_version"));
  }

  static JsonObject trigger(String user) {
    return HoldoutHttpTest.trigger(svc, user);
  }

  @Test
  void theAssignmentIsStoredOnFirstSelectionAndSurvivesAWeightChange() {
    upsert(loop(1, 1));
    Map<String, String> first = new HashMap<>();
    for (int i = 0; i < LEARNERS; i++) {
      JsonObject answer = trigger("v-" + i);
      assertEquals("variant_loop", answer.getString("loop"), answer.encode());
      String key = answer.getString("variant");
      assertEquals(key.equals("short_copy") ? "short" : "long", answer.getJsonObject("action").getString("headline"));
      first.put("v-" + i, key);
    }
    assertTrue(first.containsValue("short_copy") && first.containsValue("long_copy"), "an even split: " + first);
    assertEquals(LEARNERS, svc.count("SELECT count(*) FROM learner_variants v JOIN viral_loops l ON l.id = v.loop_id"
        + " WHERE l.name = 'variant_loop'"));
    assertEquals(first.get("v-3"), svc.query("SELECT variant FROM agent_decisions WHERE user_id = 'v-3'").iterator().next()
        .getString(0), "the audit row's variant column");

    upsert(loop(1, 1_000_000)); // nearly everyone new would get long_copy now
    int newLong = 0;
    for (int i = 0; i < LEARNERS; i++) {
      assertEquals(first.get("v-" + i), trigger("v-" + i).getString("variant"), "v-" + i + " keeps its variant");
      newLong += "long_copy".equals(trigger("new-" + i).getString("variant")) ? 1 : 0;
    }
    assertEquals(LEARNERS, newLong, "the new weights apply to learners assigned after the change");
    JsonObject learner = result(svc.rpc("get_learner", new JsonObject().put("user_id", "v-3")));
    assertEquals(first.get("v-3"), learner.getJsonObject("experiments").getJsonObject("variants").getString("variant_loop"));
  }

  @Test
  void aShownOutcomeIsAnExposureToTheDecisionsVariant() {
    upsert(loop(1, 1));
    JsonObject answer = trigger("exposed");
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", answer.getString("decision_id")).put("outcome", "shown")));
    assertEquals(answer.getString("variant"), svc.query("SELECT variant FROM loop_outcomes WHERE decision_id = $1::uuid",
        answer.getString("decision_id")).iterator().next().getString(0));
    JsonObject explained = result(svc.rpc("explain_decision", new JsonObject().put("decision_id", answer.getString("decision_id"))));
    assertEquals(answer.getString("variant"), explained.getJsonObject("experiments").getJsonObject("variants")
        .getString("variant_loop"));
  }
}
