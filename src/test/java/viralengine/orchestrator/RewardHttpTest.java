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

import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.orchestrator.DecisionsHttpTest.result;
import static viralengine.support.TestService.await;

/** selection.reward joined with a 48-hour window: a join within it rewards the arm, an invite or a late join does not. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RewardHttpTest {
  static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-30T09:00:00Z"));
  static TestService svc;

  @BeforeAll
  static void start() {
    svc = TestService.start(TestService.relaxedTiming().put("selection", new JsonObject().put("strategy", "thompson")
        .put("seed", 3).put("refresh_ms", 100).put("reward", "joined").put("reward_window_hours", 48)), CLOCK);
    svc.resetData();
  }

  @AfterAll
  static void stop() {
    svc.resetData();
    svc.close();
  }

  static void outcome(JsonObject decision, String outcome) {
    result(svc.rpc("record_outcome", new JsonObject().put("decision_id", decision.getString("decision_id")).put("outcome", outcome)));
  }

  static void awaitArm(long loop, Posteriors.Stats expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!svc.service.posteriors().current().of(loop, "practice_completed").equals(expected)) {
      assertTrue(System.nanoTime() < deadline, svc.service.posteriors().current().of(loop, "practice_completed")
          + ", expected " + expected);
      await(svc.vertx.timer(20));
    }
  }

  @Test
  void aJoinWithinTheWindowIsTheRewardAndNothingElseIs() {
    DecisionsHttpTest.activate(svc, "buddy_challenge", 0);
    long loop = svc.count("SELECT id FROM viral_loops WHERE name = 'buddy_challenge'");
    List<JsonObject> decisions = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      decisions.add(HoldoutHttpTest.trigger(svc, "rw-" + i));
    }
    outcome(decisions.get(0), "joined");
    outcome(decisions.get(3), "joined");
    outcome(decisions.get(1), "invite_sent"); // the default reward, not this one: 2 successes, where invites give 1
    awaitArm(loop, new Posteriors.Stats(6, 2));

    CLOCK.advance(Duration.ofHours(49));
    outcome(decisions.get(2), "joined"); // 49 h after its selection: outside the window
    HoldoutHttpTest.trigger(svc, "rw-late");
    awaitArm(loop, new Posteriors.Stats(7, 2));
  }
}
