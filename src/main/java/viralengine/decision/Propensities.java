package viralengine.decision;

import viralengine.loops.Loop;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The probability the strategy gave each eligible loop, logged with every decision so that another policy can be
 * evaluated off-line from the log (inverse propensity scoring, docs/measure-and-learn.md). {@code priority} is
 * deterministic (1 for its pick), {@code random} uniform; {@code thompson} mixes its rules exactly as
 * {@link Bandit#thompson} applies them: the floor's uniform share, then explore-first uniformly among the arms
 * under {@link Bandit#EXPLORE_BELOW} trials, else the probability that an arm's Beta draw is the highest, which has
 * no closed form for more than two arms and is estimated by Monte Carlo with {@link #DRAWS} draws per arm.
 *
 * <p>The estimate depends only on the posterior snapshot, the eligible arms and the event type, so it is computed
 * once per snapshot (refreshed every {@code selection.refresh_ms}) and key, with a generator seeded from the key:
 * the same snapshot always gives the same propensities, and the decision's own random source is not touched (a
 * seeded run draws the same sequence with or without propensities).
 */
public final class Propensities {
  /** Monte Carlo draws per estimate: a standard error of at most 0.5/√4000 ≈ 0.008 on each probability. */
  static final int DRAWS = 4_000;

  /** Each eligible loop's probability (by name, in the eligible order) and how it was obtained. */
  public record Estimate(Map<String, Double> byLoop, String method) {
    public Double of(Loop loop) {
      return loop == null ? null : byLoop.get(loop.name());
    }
  }

  /** The win probabilities depend only on the posteriors drawn from, in order. */
  private record Key(List<Posteriors.Stats> drawnFrom) {}

  private record Cache(Posteriors snapshot, Map<Key, double[]> wins) {}

  private static final AtomicReference<Cache> CACHE = new AtomicReference<>(new Cache(null, Map.of()));

  private Propensities() {}

  /** The propensities of {@code strategy} over {@code eligible} (not empty, in priority order). */
  static Estimate of(Strategy strategy, List<Loop> eligible, String eventType, Posteriors posteriors) {
    return of(strategy, eligible, eventType, posteriors, Map.of());
  }

  /** As above; {@code recency} gives each loop's recency bucket for the recovering bandit. */
  static Estimate of(Strategy strategy, List<Loop> eligible, String eventType, Posteriors posteriors,
      Map<Long, Integer> recency) {
    Map<String, Double> byLoop = new LinkedHashMap<>();
    switch (strategy) {
      case PRIORITY -> {
        eligible.forEach(loop -> byLoop.put(loop.name(), 0.0));
        byLoop.put(eligible.get(0).name(), 1.0);
        return new Estimate(byLoop, "exact");
      }
      case RANDOM -> {
        eligible.forEach(loop -> byLoop.put(loop.name(), 1.0 / eligible.size()));
        return new Estimate(byLoop, "exact");
      }
      case RECOVERING -> {
        return thompson(eligible, eventType, posteriors,
            eligible.stream().map(loop -> posteriors.of(loop.id(), (int) recency.get(loop.id()))).toList());
      }
      default -> {
        return thompson(eligible, eventType, posteriors,
            eligible.stream().map(loop -> posteriors.of(loop.id(), eventType)).toList());
      }
    }
  }

  private static Estimate thompson(List<Loop> eligible, String eventType, Posteriors posteriors,
      List<Posteriors.Stats> drawnFrom) {
    Map<String, Double> byLoop = new LinkedHashMap<>();
    if (eligible.size() == 1) {
      byLoop.put(eligible.get(0).name(), 1.0);
      return new Estimate(byLoop, "exact");
    }
    double floor = Math.min(Bandit.FLOOR, 1.0 / eligible.size());
    double rest = 1 - floor * eligible.size();
    List<Loop> unexplored = eligible.stream()
        .filter(loop -> posteriors.of(loop.id(), eventType).trials() < Bandit.EXPLORE_BELOW).toList();
    if (!unexplored.isEmpty()) {
      eligible.forEach(loop -> byLoop.put(loop.name(), floor + (unexplored.contains(loop) ? rest / unexplored.size() : 0)));
      return new Estimate(byLoop, "exact");
    }
    Map<String, Double> wins = wins(eligible, drawnFrom, posteriors);
    eligible.forEach(loop -> byLoop.put(loop.name(), floor + rest * wins.get(loop.name())));
    return new Estimate(byLoop, "monte_carlo");
  }

  /** P(the arm's draw is the highest), from the cache of this snapshot. */
  private static Map<String, Double> wins(List<Loop> eligible, List<Posteriors.Stats> drawnFrom, Posteriors posteriors) {
    Cache cache = CACHE.get();
    if (cache.snapshot() != posteriors) {
      cache = new Cache(posteriors, new ConcurrentHashMap<>());
      CACHE.set(cache);
    }
    double[] won = cache.wins().computeIfAbsent(new Key(drawnFrom), k -> estimate(drawnFrom, k.hashCode()));
    Map<String, Double> wins = new LinkedHashMap<>();
    for (int i = 0; i < eligible.size(); i++) {
      wins.put(eligible.get(i).name(), won[i]);
    }
    return wins;
  }

  /** Each position's probability of the highest draw, by Monte Carlo. */
  static double[] estimate(List<Posteriors.Stats> drawnFrom, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] won = new int[drawnFrom.size()];
    for (int draw = 0; draw < DRAWS; draw++) {
      int best = 0;
      double bestDraw = -1;
      for (int i = 0; i < drawnFrom.size(); i++) {
        Posteriors.Stats stats = drawnFrom.get(i);
        double value = Bandit.beta(1 + stats.successes(), 1 + stats.failures(), random);
        if (value > bestDraw) {
          best = i;
          bestDraw = value;
        }
      }
      won[best]++;
    }
    double[] shares = new double[won.length];
    for (int i = 0; i < won.length; i++) {
      shares[i] = (double) won[i] / DRAWS;
    }
    return shares;
  }
}
