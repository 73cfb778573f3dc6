package viralengine.decision;

import viralengine.loops.Loop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Thompson sampling among the eligible loops ("sleeping arms": a loop that is not eligible does not compete).
 * In order:
 * <ol>
 *   <li><b>Floor:</b> with probability 1% per eligible arm, an arm is taken uniformly, so each keeps at least 1% of
 *   the decisions it is eligible for, however bad its posterior (it can recover after a drift);</li>
 *   <li><b>Explore first:</b> otherwise, if some eligible arms have fewer than 100 trials, one of them, uniformly;</li>
 *   <li><b>Draw:</b> otherwise one draw from each arm's Beta posterior, and the highest wins.</li>
 * </ol>
 * Every arm's draw is made every time, so that the log shows them whichever rule chose. All randomness comes from
 * the caller's generator: with a seeded one, a run is repeatable.
 */
final class Bandit {
  static final double FLOOR = 0.01;
  static final long EXPLORE_BELOW = 100;

  /** What the strategy chose, by which rule (priority, random, floor, explore, draw), and the draws made. */
  record Pick(Loop loop, Strategy strategy, String rule, Map<String, Double> draws) {}

  private Bandit() {}

  /** {@code eligible} is not empty; it is in priority order, which breaks ties. */
  static Pick thompson(List<Loop> eligible, String eventType, Posteriors posteriors, RandomGenerator random) {
    return sample(eligible, eventType, posteriors, loop -> posteriors.of(loop.id(), eventType), Strategy.THOMPSON, random);
  }

  /**
   * The recovering bandit: the same rules, but each loop's draw comes from the posterior of its recency bucket for
   * this learner ({@code buckets}, by loop id), so a loop shown yesterday competes with what loops shown yesterday
   * earned. Explore-first still counts the loop's selections for the event type.
   */
  static Pick recovering(List<Loop> eligible, String eventType, Posteriors posteriors, Map<Long, Integer> buckets,
      RandomGenerator random) {
    return sample(eligible, eventType, posteriors, loop -> posteriors.of(loop.id(), (int) buckets.get(loop.id())),
        Strategy.RECOVERING, random);
  }

  private static Pick sample(List<Loop> eligible, String eventType, Posteriors posteriors,
      Function<Loop, Posteriors.Stats> drawFrom, Strategy strategy, RandomGenerator random) {
    Map<String, Double> draws = new LinkedHashMap<>();
    Loop best = null;
    double bestDraw = -1;
    for (Loop loop : eligible) {
      Posteriors.Stats stats = drawFrom.apply(loop);
      double draw = beta(1 + stats.successes(), 1 + stats.failures(), random);
      draws.put(loop.name(), draw);
      if (draw > bestDraw) {
        best = loop;
        bestDraw = draw;
      }
    }
    double floor = Math.min(FLOOR, 1.0 / eligible.size());
    double u = random.nextDouble();
    if (eligible.size() > 1 && u < floor * eligible.size()) {
      return new Pick(eligible.get((int) (u / floor)), strategy, "floor", draws);
    }
    List<Loop> unexplored = eligible.stream()
        .filter(loop -> posteriors.of(loop.id(), eventType).trials() < EXPLORE_BELOW).toList();
    if (!unexplored.isEmpty()) {
      return new Pick(unexplored.get(random.nextInt(unexplored.size())), strategy, "explore", draws);
    }
    return new Pick(best, strategy, "draw", draws);
  }

  static Pick uniform(List<Loop> eligible, RandomGenerator random) {
    return new Pick(eligible.get(random.nextInt(eligible.size())), Strategy.RANDOM, "random", Map.of());
  }

  /** A Beta(a, b) draw as X / (X + Y) of two Gamma draws. */
  static double beta(double a, double b, RandomGenerator random) {
    double x = gamma(a, random);
    double y = gamma(b, random);
    return x / (x + y);
  }

  /** A Gamma(shape, 1) draw for shape at least 1: Marsaglia and Tsang's method (2000). */
  static double gamma(double shape, RandomGenerator random) {
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = random.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = random.nextDouble();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        return d * v;
      }
    }
  }
}
