package viralengine.decision;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import viralengine.loops.Loop;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The logged propensities against how often Bandit.thompson really chooses each arm. */
class PropensitiesTest {
  static List<Loop> loops(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> DeciderTest.loop(i + 1, "loop" + i, 10 - i)).toList();
  }

  @Test
  void thompsonsEstimateMatchesItsChoicesOverManyDecisions() {
    List<Loop> eligible = loops(3);
    Posteriors posteriors = new Posteriors(Map.of(
        new Posteriors.Arm(1, "e"), new Posteriors.Stats(200, 20),
        new Posteriors.Arm(2, "e"), new Posteriors.Stats(200, 24),
        new Posteriors.Arm(3, "e"), new Posteriors.Stats(300, 15)));
    Propensities.Estimate estimate = Propensities.of(Strategy.THOMPSON, eligible, "e", posteriors);
    assertEquals("monte_carlo", estimate.method());
    SplittableRandom random = new SplittableRandom(3);
    Map<String, Integer> chosen = new HashMap<>();
    int decisions = 40_000;
    for (int i = 0; i < decisions; i++) {
      chosen.merge(Bandit.thompson(eligible, "e", posteriors, random).loop().name(), 1, Integer::sum);
    }
    double sum = 0;
    for (Loop loop : eligible) {
      double observed = chosen.getOrDefault(loop.name(), 0) / (double) decisions;
      assertEquals(observed, estimate.of(loop), 0.03, loop.name() + ": " + estimate.byLoop() + " vs " + chosen);
      sum += estimate.of(loop);
    }
    assertEquals(1.0, sum, 1e-9);
    assertEquals(estimate.byLoop(), Propensities.of(Strategy.THOMPSON, eligible, "e",
        new Posteriors(posteriors.arms())).byLoop(), "the same counts give the same propensities (seeded by the key)");
  }

  @Test
  void exactWhereTheRuleIsClosedForm() {
    List<Loop> eligible = loops(4);
    Propensities.Estimate exploring = Propensities.of(Strategy.THOMPSON, eligible, "e", new Posteriors(Map.of(
        new Posteriors.Arm(1, "e"), new Posteriors.Stats(500, 50), new Posteriors.Arm(2, "e"), new Posteriors.Stats(500, 50))));
    assertEquals("exact", exploring.method());
    assertEquals(0.01, exploring.byLoop().get("loop0"), 1e-12, "explored arms keep only the floor");
    assertEquals(0.01 + 0.96 / 2, exploring.byLoop().get("loop2"), 1e-12);
    assertEquals(1.0, Propensities.of(Strategy.PRIORITY, eligible, "e", Posteriors.EMPTY).byLoop().get("loop0"));
    assertEquals(0.0, Propensities.of(Strategy.PRIORITY, eligible, "e", Posteriors.EMPTY).byLoop().get("loop1"));
    assertEquals(0.25, Propensities.of(Strategy.RANDOM, eligible, "e", Posteriors.EMPTY).byLoop().get("loop3"));
    assertEquals(1.0, Propensities.of(Strategy.THOMPSON, loops(1), "e", Posteriors.EMPTY).byLoop().get("loop0"));
  }
}
