package viralengine.guardrails;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import viralengine.decision.Buckets;
import viralengine.orchestrator.DecisionsHttpTest;
import viralengine.report.ReportGaugesTest;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guardrail pausing a loop, through the real service and PostgreSQL: treated learners dismiss the loop 40 % of
 * the time (a held-out learner cannot), beyond its dismiss_rate guardrail of 10 points. While the service's clock
 * puts those decisions outside the guardrail window, nothing happens; once they are inside, the job deactivates the
 * loop as actor guardrail with the evidence in the audit row and counts it on /metrics. Turned back on through the
 * admin agent, the loop starts a new treatment: the old evidence no longer counts.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the dismiss test first: it expects the class's fresh state
class GuardrailHttpTest {
  static final String SALT = "guardrail-test";
  static final MutableClock CLOCK = new MutableClock(Instant.now());
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming()
        .put("experiments", new JsonObject().put("holdout_percent", 50).put("salt", SALT))
        .put("report", new JsonObject().put("guardrail_interval_ms", 200).put("guardrail_window_hours", 24)
            .put("guardrail_min_learners", 20)), CLOCK);
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.query("UPDATE viral_loops SET guardrails = '[]'"); // the database outlives this class
    svc.resetData();
    svc.close();
  }

  static double checks() {
    return ReportGaugesTest.value(svc.get("/metrics").bodyAsString(), "viral_guardrail_checks_total");
  }

  /** Waits for the job to finish {@code rounds} more rounds. */
  static void awaitRounds(int rounds) {
    double target = checks() + rounds;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (checks() < target) {
      assertTrue(System.nanoTime() < deadline, "the guardrail job did not run");
      TestService.await(svc.vertx.timer(50));
    }
  }

  static boolean active() {
    return active("buddy_challenge");
  }

  static boolean active(String loop) {
    return DecisionsHttpTest.result(svc.admin("get_loop", new JsonObject().put("name", loop)))
        .getJsonObject("loop").getBoolean("active");
  }

  @Test
  @Order(1)
  void aLoopWhoseLearnersDismissItBeyondItsGuardrailIsPausedWithTheEvidenceAudited() {
    svc.query("UPDATE viral_loops SET guardrails = '[{\"metric\": \"dismiss_rate\", \"max_increase\": 0.1},"
        + " {\"metric\": \"opt_out_rate\", \"max_increase\": 0.05}]' WHERE name = 'buddy_challenge'");
    DecisionsHttpTest.activate(svc, "buddy_challenge", 0);
    int treated = 0;
    int dismissed = 0;
    for (int i = 0; i < 160; i++) {
      String user = "g-" + i;
      JsonObject answer = DecisionsHttpTest.result(svc.rpc("trigger_event",
          new JsonObject().put("user_id", user).put("event_type", "practice_completed")));
      assertEquals(Buckets.heldOut(SALT, 50, user) ? "holdout" : "selected", answer.getString("outcome"), answer.encode());
      if ("selected".equals(answer.getString("outcome")) && treated++ % 5 < 2) {
        dismissed++;
        DecisionsHttpTest.result(svc.rpc("record_outcome", new JsonObject()
            .put("decision_id", answer.getString("decision_id")).put("outcome", "dismissed")));
      }
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (svc.count("SELECT count(*) FROM agent_decisions WHERE outcome IN ('selected', 'holdout')") < 160) {
      assertTrue(System.nanoTime() < deadline, "the decisions were never logged");
      TestService.await(svc.vertx.timer(50));
    }

    // Two days on, the decisions are outside the 24-hour window: the guardrail has nothing to judge.
    CLOCK.set(Instant.now().plus(Duration.ofDays(2)));
    awaitRounds(3);
    assertTrue(active(), "no evidence in the window, no pause");

    CLOCK.set(Instant.now().plus(Duration.ofMinutes(1)));
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (active()) {
      assertTrue(System.nanoTime() < deadline, "the guardrail never paused the loop");
      TestService.await(svc.vertx.timer(50));
    }
    JsonArray changes = DecisionsHttpTest.result(svc.admin("list_changes", new JsonObject().put("limit", 5)))
        .getJsonArray("changes");
    JsonObject change = changes.getJsonObject(0);
    assertEquals("guardrail", change.getString("actor"));
    assertEquals("deactivate", change.getString("action"));
    assertEquals("buddy_challenge", change.getString("key"));
    JsonObject evidence = change.getJsonObject("evidence");
    assertNotNull(evidence, change.encode());
    assertEquals("dismiss_rate", evidence.getString("metric"));
    assertEquals(treated, evidence.getJsonObject("treatment").getLong("learners"));
    assertEquals(dismissed, evidence.getJsonObject("treatment").getLong("count"));
    assertEquals(0, evidence.getJsonObject("holdout").getLong("count"));
    assertEquals(160 - treated, evidence.getJsonObject("holdout").getLong("learners"));
    assertTrue(evidence.getJsonObject("increase").getDouble("low") > 0.1, evidence.encode());
    assertEquals(1, svc.count("SELECT count(*) FROM config_changes WHERE actor = 'guardrail'"), "paused once");
    assertEquals(1.0, ReportGaugesTest.value(svc.get("/metrics").bodyAsString(),
        "viral_guardrail_pauses_total{loop=\"buddy_challenge\",metric=\"dismiss_rate\"}"));

    // A growth engineer turns it back on: a new treatment, judged on decisions after the change only.
    JsonObject on = DecisionsHttpTest.result(svc.admin("set_loop_active",
        new JsonObject().put("name", "buddy_challenge").put("active", true)));
    assertTrue(on.getBoolean("changed"));
    awaitRounds(3);
    assertTrue(active(), "the old evidence does not pause it again");
    assertEquals(1, svc.count("SELECT count(*) FROM config_changes WHERE actor = 'guardrail'"));
  }

  /**
   * abuse_report_rate reads trust_safety's report rows: half of results_rally's treated learners reported (rows as
   * report_abuse writes them; the built-in agent is off in this class, whose learners have no profile) pauses it.
   */
  @Test
  @Order(2)
  void aLoopWhoseDecisionsAreReportedBeyondItsGuardrailIsPaused() {
    svc.resetData();
    svc.query("UPDATE viral_loops SET guardrails = '[{\"metric\": \"abuse_report_rate\", \"max_increase\": 0.05}]'"
        + " WHERE name = 'results_rally'");
    DecisionsHttpTest.activate(svc, "results_rally", 0);
    // Decisions after the loop's last change (the activation), whatever the other test did to the service's clock.
    CLOCK.set(Instant.now().plus(Duration.ofSeconds(1)));
    try {
      pauseOnReports();
    } finally {
      svc.query("UPDATE viral_loops SET guardrails = '[]' WHERE name = 'results_rally'");
      svc.resetData();
    }
  }

  private static void pauseOnReports() {
    int treated = 0;
    for (int i = 0; i < 160; i++) {
      String user = "r-" + i;
      JsonObject answer = DecisionsHttpTest.result(svc.rpc("trigger_event",
          new JsonObject().put("user_id", user).put("event_type", "diagnostic_completed")));
      if ("selected".equals(answer.getString("outcome")) && treated++ % 2 == 0) {
        svc.query("INSERT INTO abuse_reports (report_id, decision_id, user_id, loop_id, reason, reported_at, input_params)"
            + " SELECT gen_random_uuid(), $1, $2, id, 'spam', now(), '{}' FROM viral_loops WHERE name = 'results_rally'",
            java.util.UUID.fromString(answer.getString("decision_id")), user);
      }
    }
    CLOCK.set(Instant.now().plus(Duration.ofMinutes(1)));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (active("results_rally")) {
      assertTrue(System.nanoTime() < deadline, "the guardrail never paused the loop (" + treated + " treated)");
      TestService.await(svc.vertx.timer(50));
    }
    JsonObject evidence = DecisionsHttpTest.result(svc.admin("list_changes", new JsonObject().put("limit", 1)))
        .getJsonArray("changes").getJsonObject(0).getJsonObject("evidence");
    assertEquals("abuse_report_rate", evidence.getString("metric"), evidence.encode());
    // The job may pause the loop before the last reports are in: the evidence is what it had then.
    long reported = evidence.getJsonObject("treatment").getLong("count");
    assertTrue(reported >= 20 && reported <= (treated + 1) / 2, evidence.encode());
    assertEquals(0, evidence.getJsonObject("holdout").getLong("count"));
  }

  @Test
  void theAdminAgentValidatesGuardrails() {
    JsonObject loop = DecisionsHttpTest.result(svc.admin("get_loop", new JsonObject().put("name", "results_rally")))
        .getJsonObject("loop");
    loop.remove("version");
    Object[][] bad = {
        {new JsonArray().add(new JsonObject().put("metric", "bounce_rate").put("max_increase", 0.1)), "loop.guardrails[0].metric"},
        {new JsonArray().add(new JsonObject().put("metric", "dismiss_rate")), "loop.guardrails[0].max_increase"},
        {new JsonArray().add(new JsonObject().put("metric", "dismiss_rate").put("max_increase", 1.5)), "loop.guardrails[0].max_increase"},
        {new JsonArray().add(new JsonObject().put("metric", "dismiss_rate").put("max_increase", 0.1))
            .add(new JsonObject().put("metric", "dismiss_rate").put("max_increase", 0.2)), "loop.guardrails[1].metric"},
        {new JsonArray().add(new JsonObject().put("metric", "opt_out_rate").put("max_increase", 0.1).put("min", 3)),
            "loop.guardrails[0].min"}};
    for (Object[] c : bad) {
      JsonObject response = svc.admin("upsert_loop", new JsonObject().put("loop", loop.copy().put("guardrails", c[0])));
      JsonObject error = response.getJsonObject("error");
      assertNotNull(error, response.encode());
      assertEquals(-32602, error.getInteger("code"), response.encode());
      assertTrue(response.encode().contains((String) c[1]), "names " + c[1] + ": " + response.encode());
    }
    JsonArray good = new JsonArray().add(new JsonObject().put("metric", "abuse_report_rate").put("max_increase", 0.01));
    JsonObject saved = DecisionsHttpTest.result(svc.admin("upsert_loop", new JsonObject().put("loop", loop.copy().put("guardrails", good))));
    assertEquals(good, saved.getJsonObject("loop").getJsonArray("guardrails"));
  }
}
