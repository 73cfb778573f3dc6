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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.result;
import static viralengine.support.TestService.await;

/**
 * selection.strategy recovering in the real service: the snapshot counts each selection in the recency bucket of the
 * time since the same learner's previous selection of the loop, from real loop_exposures, and rewards it as usual.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecoveringHttpTest {
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-12-01T08:00:00Z"));
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming().put("selection", new JsonObject().put("strategy", "recovering")
        .put("seed", 4).put("refresh_ms", 100)), CLOCK);
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  static JsonObject selectAndInvite(String user, boolean invite) {
    JsonObject answer = HoldoutHttpTest.trigger(svc, user);
    assertEquals("buddy_challenge", answer.getString("loop"), answer.encode());
    if (invite) {
      result(svc.rpc("record_outcome", new JsonObject().put("decision_id", answer.getString("decision_id"))
          .put("outcome", "invite_sent")));
    }
    return answer;
  }

  @Test
  void selectionsAreCountedByTheTimeSinceTheLearnerLastSawTheLoop() {
    DecisionsHttpTest.activate(svc, "buddy_challenge", 0);
    long loop = svc.count("SELECT id FROM viral_loops WHERE name = 'buddy_challenge'");
    selectAndInvite("r-1", false);
    selectAndInvite("r-2", true);
    CLOCK.advance(Duration.ofHours(2));
    selectAndInvite("r-1", true); // two hours after r-1's first: the under-a-day bucket
    CLOCK.advance(Duration.ofDays(3));
    selectAndInvite("r-2", false); // three days after r-2's: 1 to 7 days
    JsonObject answer = selectAndInvite("r-3", false);
    assertTrue(answer.getString("rationale").contains("Thompson sampling") || answer.getString("rationale").contains("recovering"),
        answer.getString("rationale"));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!(svc.service.posteriors().current().of(loop, Posteriors.Recency.LONGER).equals(new Posteriors.Stats(3, 1))
        && svc.service.posteriors().current().of(loop, Posteriors.Recency.DAY).equals(new Posteriors.Stats(1, 1))
        && svc.service.posteriors().current().of(loop, Posteriors.Recency.WEEK).equals(new Posteriors.Stats(1, 0)))) {
      assertTrue(System.nanoTime() < deadline, "buckets: " + svc.service.posteriors().current().byRecency());
      await(svc.vertx.timer(20));
    }
    JsonObject features = (JsonObject) svc.query("SELECT features_used FROM agent_decisions WHERE decision_id = $1::uuid",
        answer.getString("decision_id")).iterator().next().getValue(0);
    assertEquals("recovering", features.getString("strategy"));
  }
}
