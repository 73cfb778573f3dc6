package viralengine.decision;

import viralengine.learners.History;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.decision.DeciderTest.NOW;
import static viralengine.decision.DeciderTest.loop;
import static viralengine.decision.HoldoutTest.learner;

/**
 * The recovering bandit: a loop that earns well when fresh and badly when shown within the day loses to a steady
 * loop for a learner who saw it two hours ago, and wins for one who never saw it; its logged propensities match
 * its choices.
 */
class RecoveringTest {
  static final String EVENT = "practice_completed";
  static final Loop FRESH_ONLY = loop(1, "fresh_only", 2);
  static final Loop STEADY = loop(2, "steady", 1);
  /** Both loops explored for the event; fresh_only earns 40 % after a week's rest and 2 % within a day; steady 15 %. */
  static final Posteriors POSTERIORS = new Posteriors(
      Map.of(new Posteriors.Arm(1, EVENT), new Posteriors.Stats(1_000, 200), new Posteriors.Arm(2, EVENT), new Posteriors.Stats(1_000, 150)),
      Map.of(new Posteriors.Recency(1, Posteriors.Recency.DAY), new Posteriors.Stats(500, 10),
          new Posteriors.Recency(1, Posteriors.Recency.LONGER), new Posteriors.Stats(500, 200),
          new Posteriors.Recency(2, Posteriors.Recency.DAY), new Posteriors.Stats(500, 75),
          new Posteriors.Recency(2, Posteriors.Recency.LONGER), new Posteriors.Stats(500, 75)));

  static Evaluation decide(History history, SplittableRandom random) {
    Experiment experiment = new Experiment("s", 0, Map.of(), Strategy.RECOVERING, POSTERIORS, random);
    Catalog catalog = new Catalog(List.of(FRESH_ONLY, STEADY), List.of(), 1);
    return Decider.decide(catalog, new Situation(learner("u"), EVENT, new JsonObject(), history, NOW, experiment));
  }

  static double shareOfFreshOnly(History history) {
    SplittableRandom random = new SplittableRandom(9);
    int fresh = 0;
    int decisions = 4_000;
    for (int i = 0; i < decisions; i++) {
      Evaluation evaluation = decide(history, random);
      fresh += evaluation.chosen() == FRESH_ONLY ? 1 : 0;
      assertEquals("recovering", evaluation.features(EVENT).getString("strategy"));
    }
    return (double) fresh / decisions;
  }

  @Test
  void aLoopShownRecentlyIsWorthLessToday() {
    History sawItTwoHoursAgo = new History(List.of(new History.Selection(1, NOW.minus(Duration.ofHours(2)))), Map.of());
    History sawItLastMonth = new History(List.of(new History.Selection(1, NOW.minus(Duration.ofDays(30)))), Map.of());
    assertTrue(shareOfFreshOnly(History.NONE) > 0.95, "never seen: the fresh arm's 40 % wins");
    assertTrue(shareOfFreshOnly(sawItLastMonth) > 0.95, "a month ago is as good as never");
    assertTrue(shareOfFreshOnly(sawItTwoHoursAgo) < 0.05, "two hours ago: its 2 % loses to the steady 15 %");
  }

  @Test
  void theLoggedPropensitiesMatchTheChoices() {
    History sawItTwoHoursAgo = new History(List.of(new History.Selection(1, NOW.minus(Duration.ofHours(2)))), Map.of());
    JsonObject features = decide(sawItTwoHoursAgo, new SplittableRandom(1)).features(EVENT);
    assertEquals("monte_carlo", features.getString("propensity_method"));
    double logged = features.getJsonObject("propensities").getDouble("fresh_only");
    assertEquals(shareOfFreshOnly(sawItTwoHoursAgo), logged, 0.02);
    assertTrue(logged >= 0.01, "the floor");
  }

  @Test
  void bucketsSplitAtADayAndAWeek() {
    assertEquals(Posteriors.Recency.DAY, Posteriors.Recency.bucket(86_399L));
    assertEquals(Posteriors.Recency.WEEK, Posteriors.Recency.bucket(86_400L));
    assertEquals(Posteriors.Recency.LONGER, Posteriors.Recency.bucket(7 * 86_400L));
    assertEquals(Posteriors.Recency.LONGER, Posteriors.Recency.bucket(null));
  }
}
