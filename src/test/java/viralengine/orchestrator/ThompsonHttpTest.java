package viralengine.orchestrator;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import viralengine.decision.Posteriors;
import viralengine.support.MutableClock;
import viralengine.support.TestService;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.awaitActiveLoops;
import static viralengine.orchestrator.DecisionsHttpTest.result;
import static viralengine.support.TestService.await;

/** selection.strategy thompson in the real service: the periodic snapshot reads real selections and outcomes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ThompsonHttpTest {
  static final Instant START = Instant.parse("2026-11-29T20:00:00Z");
  static final MutableClock CLOCK = new MutableClock(START);
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming().put("selection", new JsonObject().put("strategy", "thompson")
        .put("seed", 7).put("refresh_ms", 100)), CLOCK);
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  static JsonObject trigger(String user) {
    return HoldoutHttpTest.trigger(svc, user);
  }

  static void outcome(JsonObject decision, String outcome) {
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision.getString("decision_id")).put("outcome", outcome)));
  }

  /** Waits for the periodic refresh (100 ms here) to show this arm's counts. */
  static void awaitArm(String loop, Posteriors.Stats expected) {
    long id = svc.count("SELECT id FROM viral_loops WHERE name = $1", loop);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!svc.service.posteriors().current().of(id, "practice_completed").equals(expected)) {
      assertTrue(System.nanoTime() < deadline, loop + ": " + svc.service.posteriors().current().of(id, "practice_completed")
          + ", expected " + expected);
      await(svc.vertx.timer(20));
    }
  }

  @Test
  void theSnapshotCountsSelectionsAndInvitesWithinADayAndTheDrawsAreLogged() {
    svc.query("UPDATE viral_loops SET active = true, cooldown_seconds = 0, triggers = '{}', targeting = '{}',"
        + " audience = '{\"requires_parental_consent\": false}' WHERE name IN ('buddy_challenge', 'results_rally')");
    awaitActiveLoops(svc, 2);
    List<JsonObject> buddy = new ArrayList<>();
    int rally = 0;
    for (int i = 0; i < 30; i++) {
      JsonObject answer = trigger("t-" + i);
      if ("buddy_challenge".equals(answer.getString("loop"))) {
        buddy.add(answer);
      } else {
        assertEquals("results_rally", answer.getString("loop"), answer.encode());
        rally++;
      }
    }
    assertTrue(buddy.size() >= 4 && rally >= 1, "both new arms are explored: " + buddy.size() + " and " + rally);
    // Not counted: a dry run, and outcomes other than invite_sent.
    result(svc.rpc("select_loop", new JsonObject().put("user_id", "dry").put("event_type", "practice_completed").put("dry_run", true)));
    outcome(buddy.get(0), "invite_sent");
    outcome(buddy.get(1), "invite_sent");
    outcome(buddy.get(1), "invite_sent"); // one decision is one success, however many invites
    outcome(buddy.get(2), "shown");
    awaitArm("buddy_challenge", new Posteriors.Stats(buddy.size(), 2));
    awaitArm("results_rally", new Posteriors.Stats(rally, 0));

    CLOCK.advance(Duration.ofHours(25)); // an invite more than 24 h after its selection is no reward
    outcome(buddy.get(3), "invite_sent");
    JsonObject later = trigger("t-later");
    int rallyNow = rally + ("results_rally".equals(later.getString("loop")) ? 1 : 0);
    awaitArm("results_rally", new Posteriors.Stats(rallyNow, 0));
    awaitArm("buddy_challenge", new Posteriors.Stats(buddy.size() + 1 - (rallyNow - rally), 2));

    JsonObject features = (JsonObject) svc.query("SELECT features_used FROM agent_decisions WHERE decision_id = $1::uuid",
        later.getString("decision_id")).iterator().next().getValue(0);
    assertEquals("thompson", features.getString("strategy"));
    assertEquals("explore", features.getString("pick"), "both arms are under 100 selections");
    assertEquals(2, features.getJsonObject("draws").size());
  }
}
