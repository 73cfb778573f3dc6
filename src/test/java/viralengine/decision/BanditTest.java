package viralengine.decision;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.learners.History;
import viralengine.learners.Learner;
import viralengine.loops.Catalog;
import viralengine.loops.Loop;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static viralengine.decision.DeciderTest.NOW;
import static viralengine.decision.DeciderTest.loop;
import static viralengine.decision.DeciderTest.targeted;
import static viralengine.decision.HoldoutTest.learner;

/** Thompson sampling in the pure core, on a seeded random source: learning, the floor, explore-first, sleeping arms. */
class BanditTest {
  static final String EVENT = "practice_completed";
  static final Loop A = loop(1, "a_loop", 2);
  static final Loop B = loop(2, "b_loop", 1);

  static Experiment thompson(Posteriors posteriors, RandomGenerator random) {
    return new Experiment("s", 0, Map.of(), Strategy.THOMPSON, posteriors, random);
  }

  static Evaluation decide(List<Loop> loops, Experiment experiment) {
    return Decider.decide(new Catalog(loops, List.of(), 1), new Situation(learner("u"), EVENT, new JsonObject(),
        History.NONE, NOW, experiment));
  }

  static Posteriors posteriors(long aTrials, long aSuccesses, long bTrials, long bSuccesses) {
    return new Posteriors(Map.of(new Posteriors.Arm(1, EVENT), new Posteriors.Stats(aTrials, aSuccesses),
        new Posteriors.Arm(2, EVENT), new Posteriors.Stats(bTrials, bSuccesses)));
  }

  static Map<String, Integer> picks(List<Loop> loops, Posteriors posteriors, int n, long seed) {
    RandomGenerator random = new SplittableRandom(seed);
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(decide(loops, thompson(posteriors, random)).chosen().name(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void itLearnsTheBetterOfTwoArmsFromTheOutcomesFedBack() {
    double[] rates = {0.05, 0.20};
    long[] trials = new long[2];
    long[] successes = new long[2];
    SplittableRandom world = new SplittableRandom(7);
    RandomGenerator random = new SplittableRandom(11);
    Posteriors snapshot = Posteriors.EMPTY;
    List<String> chosen = new ArrayList<>();
    for (int i = 0; i < 6_000; i++) {
      if (i % 50 == 0) { // the service refreshes its snapshot periodically, not after every decision
        snapshot = posteriors(trials[0], successes[0], trials[1], successes[1]);
      }
      Loop pick = decide(List.of(A, B), thompson(snapshot, random)).chosen();
      int arm = pick == A ? 0 : 1;
      trials[arm]++;
      successes[arm] += world.nextDouble() < rates[arm] ? 1 : 0;
      chosen.add(pick.name());
    }
    long better = chosen.subList(5_000, 6_000).stream().filter("b_loop"::equals).count();
    assertTrue(better >= 900, "the 20% arm in " + better + " of the last 1,000 decisions");
  }

  @Test
  void eachArmKeepsAFloorOfOnePercent() {
    Map<String, Integer> counts = picks(List.of(A, B), posteriors(10_000, 9_000, 10_000, 0), 20_000, 3);
    int worse = counts.getOrDefault("b_loop", 0);
    assertTrue(worse >= 140 && worse <= 260, "about 1% of 20,000 for an arm that never paid: " + worse);
  }

  @Test
  void anArmWithFewerThanAHundredSelectionsIsExploredFirst() {
    Map<String, Integer> counts = picks(List.of(A, B), posteriors(10_000, 9_000, 99, 0), 2_000, 5);
    assertTrue(counts.get("b_loop") > 1_950, "explored although its posterior is poor: " + counts);
    Map<String, Integer> explored = picks(List.of(A, B), posteriors(10_000, 9_000, 100, 0), 2_000, 5);
    assertTrue(explored.get("b_loop") < 60, "at 100 selections it competes on its draw: " + explored);
    Map<String, Integer> both = picks(List.of(A, B), Posteriors.EMPTY, 4_000, 5);
    assertTrue(Math.abs(both.get("a_loop") - 2_000) < 200, "two new arms share the exploration: " + both);
  }

  @Test
  void aSleepingArmNeverWinsForALearnerItIsNotEligibleFor() {
    Loop sleeping = targeted(loop(3, "c_loop", 0), new JsonObject().put("learner.attributes.cohort", "beta"));
    Posteriors cBest = new Posteriors(Map.of(new Posteriors.Arm(1, EVENT), new Posteriors.Stats(1_000, 10),
        new Posteriors.Arm(2, EVENT), new Posteriors.Stats(1_000, 20), new Posteriors.Arm(3, EVENT),
        new Posteriors.Stats(1_000, 900)));
    RandomGenerator random = new SplittableRandom(9);
    int cWins = 0;
    for (int i = 0; i < 2_000; i++) {
      Evaluation eval = decide(List.of(A, B, sleeping), thompson(cBest, random));
      assertNotEquals("c_loop", eval.chosen().name());
      assertEquals(List.of("a_loop", "b_loop"), eval.eligible().stream().map(Loop::name).toList());
      assertEquals(2, eval.features(EVENT).getJsonObject("draws").size(), "only eligible arms draw");
      Learner beta = new Learner("u", DeciderTest.LA, 2000, "student", "unknown", false,
          new JsonObject().put("cohort", "beta"));
      Evaluation awake = Decider.decide(new Catalog(List.of(A, B, sleeping), List.of(), 1),
          new Situation(beta, EVENT, new JsonObject(), History.NONE, NOW, thompson(cBest, random)));
      cWins += awake.chosen() == sleeping ? 1 : 0;
    }
    assertTrue(cWins > 1_900, "where it is eligible, the best arm wins: " + cWins);
  }

  @Test
  void theSameSeedGivesTheSameRun() {
    Posteriors some = posteriors(300, 30, 300, 45);
    assertEquals(picks(List.of(A, B), some, 500, 42), picks(List.of(A, B), some, 500, 42));
    List<Double> first = new ArrayList<>();
    List<Double> second = new ArrayList<>();
    RandomGenerator r1 = new SplittableRandom(1);
    RandomGenerator r2 = new SplittableRandom(1);
    for (int i = 0; i < 20; i++) {
      first.add(decide(List.of(A, B), thompson(some, r1)).features(EVENT).getJsonObject("draws").getDouble("a_loop"));
      second.add(decide(List.of(A, B), thompson(some, r2)).features(EVENT).getJsonObject("draws").getDouble("a_loop"));
    }
    assertEquals(first, second);
  }

  @Test
  void betaDrawsHaveTheRightMeanAndStayInTheUnitInterval() {
    RandomGenerator random = new SplittableRandom(13);
    double sum = 0;
    double squares = 0;
    for (int i = 0; i < 40_000; i++) {
      double x = Bandit.beta(3, 7, random);
      assertTrue(x > 0 && x < 1, "draw " + x);
      sum += x;
      squares += x * x;
    }
    double mean = sum / 40_000;
    double variance = squares / 40_000 - mean * mean;
    assertEquals(0.3, mean, 0.005);
    assertEquals(3.0 * 7 / (100 * 11), variance, 0.002, "Beta(3,7) variance");
    double gammas = 0;
    for (int i = 0; i < 40_000; i++) {
      gammas += Bandit.gamma(1, random);
    }
    assertEquals(1.0, gammas / 40_000, 0.03, "Gamma(1) = Exp(1) has mean 1");
  }

  @Test
  void theDrawsAndTheRuleAreInTheFeaturesAndTheRationale() {
    Evaluation drawn = decide(List.of(A, B), thompson(posteriors(1_000, 500, 1_000, 10), new SplittableRandom(2)));
    JsonObject features = drawn.features(EVENT);
    assertEquals("thompson", features.getString("strategy"));
    assertEquals("draw", features.getString("pick"));
    assertEquals(2, features.getJsonObject("draws").size());
    double a = features.getJsonObject("draws").getDouble("a_loop");
    assertTrue(a > 0.4 && a < 0.6, "a draw near its mean of 0.5: " + a);
    assertEquals(String.format(java.util.Locale.ROOT, "Selected a_loop for practice_completed: highest Thompson draw"
        + " (%.4f), 2 of 2 loops eligible", a), drawn.rationale());
    Evaluation explore = decide(List.of(A, B), thompson(posteriors(1_000, 500, 7, 0), new SplittableRandom(2)));
    assertEquals("Selected b_loop for practice_completed: Thompson sampling explores loops with fewer than 100"
        + " selections (7 so far), 2 of 2 loops eligible", explore.rationale());
    Evaluation floor = null;
    RandomGenerator random = new SplittableRandom(4);
    while (floor == null) {
      Evaluation eval = decide(List.of(A, B), thompson(posteriors(1_000, 900, 1_000, 0), random));
      floor = "floor".equals(eval.features(EVENT).getString("pick")) ? eval : null;
    }
    assertTrue(floor.rationale().contains("Thompson sampling's 1% floor for each eligible loop"), floor.rationale());
    Evaluation none = decide(List.of(targeted(A, new JsonObject().put("event_type", "x"))),
        thompson(Posteriors.EMPTY, new SplittableRandom(1)));
    assertEquals("thompson", none.features(EVENT).getString("strategy"));
    assertTrue(!none.features(EVENT).containsKey("draws"), "no eligible loop, no draws");
  }

  @Test
  void theRandomStrategyIsUniformAndPriorityIgnoresTheDraws() {
    RandomGenerator random = new SplittableRandom(8);
    Map<String, Integer> counts = new HashMap<>();
    Experiment uniform = new Experiment("s", 0, Map.of(), Strategy.RANDOM, Posteriors.EMPTY, random);
    for (int i = 0; i < 6_000; i++) {
      counts.merge(decide(List.of(A, B, loop(3, "c_loop", 0)), uniform).chosen().name(), 1, Integer::sum);
    }
    counts.values().forEach(n -> assertTrue(Math.abs(n - 2_000) < 150, counts.toString()));
    Evaluation one = decide(List.of(A, B), uniform);
    assertEquals("random", one.features(EVENT).getString("strategy"));
    assertTrue(one.rationale().contains("chosen uniformly at random"), one.rationale());
    assertEquals("priority", decide(List.of(A, B), Experiment.NONE).features(EVENT).getString("strategy"));
    assertEquals(Strategy.THOMPSON, Strategy.of("thompson"));
  }

  @Test
  void aSnapshotTreatsNoEventTypeAsItsOwnArm() {
    Posteriors p = new Posteriors(Map.of(new Posteriors.Arm(1, null), new Posteriors.Stats(5, 2)));
    assertEquals(new Posteriors.Stats(5, 2), p.of(1, ""));
    assertEquals(new Posteriors.Stats(5, 2), p.of(1, null));
    assertEquals(Posteriors.Stats.NONE, p.of(1, EVENT));
    assertEquals(3, p.of(1, null).failures());
  }

  @Test
  void aSingleEligibleArmIsChosenByItsDrawNotTheFloor() {
    RandomGenerator random = new SplittableRandom(21);
    Posteriors known = posteriors(500, 50, 0, 0);
    for (int i = 0; i < 1_000; i++) {
      assertEquals("draw", decide(List.of(A), thompson(known, random)).features(EVENT).getString("pick"));
    }
  }

  @Test
  void withMoreThanAHundredArmsTheFloorSharesEveryDecisionAmongAllOfThem() {
    List<Loop> many = new ArrayList<>();
    for (int i = 0; i < 101; i++) {
      many.add(loop(i + 1, String.format("arm_%03d", i), 0));
    }
    RandomGenerator random = new SplittableRandom(17);
    int last = 0;
    for (int i = 0; i < 6_000; i++) {
      Evaluation eval = decide(many, thompson(Posteriors.EMPTY, random));
      assertEquals("floor", eval.features(EVENT).getString("pick"));
      last += eval.chosen().name().equals("arm_100") ? 1 : 0;
    }
    assertTrue(last > 20, "the last of 101 arms gets its share too: " + last);
  }

  @Test
  void gammaDrawsHaveTheRightMeanAndVariance() {
    RandomGenerator random = new SplittableRandom(19);
    double sum = 0;
    double squares = 0;
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      double x = Bandit.gamma(4, random);
      sum += x;
      squares += x * x;
    }
    double mean = sum / n;
    assertEquals(4.0, mean, 0.03);
    assertEquals(4.0, squares / n - mean * mean, 0.1, "Gamma(4) has variance 4");
  }
}
