package viralengine.orchestrator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One test per reason code, end to end: loops and rules written through the admin agent, learners through
 * upsert_learner, decisions over HTTP, and each loop's reason read back with explain_decision.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReasonCodesHttpTest {
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-29T20:00:00Z"));
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(DecisionsHttpTest.config(), CLOCK);
  }

  @AfterAll
  static void stop() {
    cleanUp();
    svc.close();
  }

  @BeforeEach
  void reset() {
    cleanUp();
  }

  /** Seed loops inactive, this class's loops and rules gone, the seed rule back at 3 a day. */
  static void cleanUp() {
    svc.resetData();
    svc.query("DELETE FROM viral_loops WHERE name LIKE 'rc\\_%'");
    svc.query("DELETE FROM frequency_rules WHERE id LIKE 'rc\\_%'");
    svc.query("UPDATE frequency_rules SET max_count = 3 WHERE id = 'global_daily'");
  }

  /** Creates (or replaces) an active loop through the admin agent and waits until decisions use it. */
  static void loop(String name, JsonObject overrides) {
    JsonObject loop = new JsonObject().put("name", name).put("display_name", name).put("active", true)
        .put("triggers", new JsonArray().add("practice_completed")).put("priority", 10).put("groups", new JsonArray().add("rc"))
        .put("action", new JsonObject().put("type", "show_share_modal").put("headline", "Hi")).mergeIn(overrides);
    JsonObject done = DecisionsHttpTest.result(svc.admin("upsert_loop", new JsonObject().put("loop", loop)));
    svc.awaitConfigVersion(done.getLong("config_version"));
  }

  static void learner(JsonObject profile) {
    DecisionsHttpTest.result(svc.rpc("upsert_learner", profile));
  }

  static JsonObject decide(String user, JsonObject context) {
    return DecisionsHttpTest.result(svc.rpc("select_loop", new JsonObject().put("user_id", user)
        .put("event_type", "practice_completed").put("context", context)));
  }

  /** The check explain_decision reports for {@code loop} in decision {@code decision}. */
  static JsonObject check(JsonObject decision, String loop) {
    JsonObject explained = DecisionsHttpTest.result(svc.rpc("explain_decision",
        new JsonObject().put("decision_id", decision.getString("decision_id"))));
    return explained.getJsonArray("checks").stream().map(JsonObject.class::cast)
        .filter(c -> loop.equals(c.getString("loop"))).findFirst().orElseThrow();
  }

  static void assertReason(String reason, JsonObject check) {
    assertEquals(reason, check.getString("reason"), check.encode());
  }

  @Test
  void optedOut() {
    loop("rc_open", new JsonObject());
    learner(new JsonObject().put("user_id", "rc-1").put("growth_opt_out", true));
    JsonObject decision = decide("rc-1", new JsonObject());
    assertEquals("opted_out", decision.getString("outcome"));
    assertReason("opted_out", check(decision, "rc_open"));
  }

  @Test
  void inactive() {
    loop("rc_off", new JsonObject().put("active", false));
    assertReason("inactive", check(decide("rc-2", new JsonObject()), "rc_off"));
  }

  @Test
  void notTriggered() {
    loop("rc_rally", new JsonObject().put("triggers", new JsonArray().add("diagnostic_completed")));
    JsonObject check = check(decide("rc-3", new JsonObject()), "rc_rally");
    assertReason("not_triggered", check);
    assertTrue(check.getString("detail").contains("diagnostic_completed"));
  }

  @Test
  void consentMissing() {
    loop("rc_kids", new JsonObject().put("audience", new JsonObject().put("requires_parental_consent", true)));
    learner(new JsonObject().put("user_id", "rc-4").put("birth_year", 2016).put("persona", "student"));
    JsonObject withoutConsent = decide("rc-4", new JsonObject());
    assertReason("consent_missing", check(withoutConsent, "rc_kids"));
    assertEquals("no_eligible_loop", withoutConsent.getString("outcome"));
    learner(new JsonObject().put("user_id", "rc-4").put("parental_consent", "granted"));
    assertEquals("rc_kids", decide("rc-4", new JsonObject()).getString("loop"), "granted consent lets the child see it");
  }

  @Test
  void underMinAge() {
    loop("rc_teens", new JsonObject().put("audience", new JsonObject().put("min_age", 13).put("requires_parental_consent", false)));
    learner(new JsonObject().put("user_id", "rc-5").put("birth_year", 2016));
    assertReason("under_min_age", check(decide("rc-5", new JsonObject()), "rc_teens"));
  }

  @Test
  void overMaxAge() {
    loop("rc_young", new JsonObject().put("audience", new JsonObject().put("max_age", 12).put("requires_parental_consent", false)));
    learner(new JsonObject().put("user_id", "rc-6").put("birth_year", 1990));
    assertReason("over_max_age", check(decide("rc-6", new JsonObject()), "rc_young"));
  }

  @Test
  void personaMismatch() {
    loop("rc_parents", new JsonObject().put("audience", new JsonObject().put("personas", new JsonArray().add("parent"))
        .put("requires_parental_consent", false)));
    learner(new JsonObject().put("user_id", "rc-7").put("persona", "student"));
    assertReason("persona_mismatch", check(decide("rc-7", new JsonObject()), "rc_parents"));
  }

  @Test
  void targetingFailed() {
    loop("rc_high", new JsonObject().put("targeting", new JsonObject().put("context.score", new JsonObject().put("$gte", 80))));
    JsonObject check = check(decide("rc-8", new JsonObject().put("score", 50)), "rc_high");
    assertReason("targeting_failed", check);
    assertEquals("context.score", check.getString("detail"));
    assertEquals("rc_high", decide("rc-8", new JsonObject().put("score", 91)).getString("loop"));
  }

  @Test
  void coolingDownAfterADismissal() {
    loop("rc_nudge", new JsonObject().put("dismiss_cooldown_seconds", 86_400));
    JsonObject shown = decide("rc-9", new JsonObject());
    assertEquals("rc_nudge", shown.getString("loop"));
    DecisionsHttpTest.result(svc.rpc("record_outcome", new JsonObject().put("decision_id", shown.getString("decision_id"))
        .put("outcome", "dismissed")));
    JsonObject check = check(decide("rc-9", new JsonObject()), "rc_nudge");
    assertReason("cooling_down", check);
    assertTrue(check.getString("detail").startsWith("dismissed at"), check.getString("detail"));
  }

  @Test
  void capReachedNamesTheRule() {
    loop("rc_a", new JsonObject().put("priority", 20));
    loop("rc_b", new JsonObject().put("priority", 10));
    JsonObject rule = DecisionsHttpTest.result(svc.admin("upsert_frequency_rule", new JsonObject().put("rule", new JsonObject()
        .put("id", "rc_weekly").put("scope", "group").put("scope_key", "rc").put("max_count", 1).put("period", "calendar_week"))));
    svc.awaitConfigVersion(rule.getLong("config_version"));
    assertEquals("rc_a", decide("rc-10", new JsonObject()).getString("loop"));
    JsonObject second = decide("rc-10", new JsonObject());
    assertEquals("no_eligible_loop", second.getString("outcome"));
    JsonObject check = check(second, "rc_b");
    assertReason("cap_reached", check);
    assertTrue(check.getString("detail").startsWith("rc_weekly: 1 of 1"), check.getString("detail"));
  }
}
