package viralengine.decision;

import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * What the experiments bring to a decision, besides the catalog and the learner: the salt of the sticky hashes,
 * the holdout's share, the variants already assigned to the learner, and how to choose among eligible loops. The
 * orchestrator builds it from configuration, the learner's stored state and the bandit's latest snapshot; tests
 * build it directly. The random source is the only one the core uses: seeded, a run is repeatable.
 *
 * @param holdoutPercent the share of learners held out of every loop, 0 to 100
 * @param storedVariants the learner's assigned variant key per loop id (learner_variants)
 * @param random used by the thompson and random strategies only; may be null for priority
 * @param holdbackPercent the share of learners decided by priority whatever the strategy, 0 to 100
 */
public record Experiment(String salt, int holdoutPercent, Map<Long, String> storedVariants, Strategy strategy,
    Posteriors posteriors, RandomGenerator random, int holdbackPercent) {
  /** No holdout, priority: Phase 2 as it was before measure-and-learn. */
  public static final Experiment NONE = new Experiment("", 0, Map.of());

  /** Priority selection with these assignments. */
  public Experiment(String salt, int holdoutPercent, Map<Long, String> storedVariants) {
    this(salt, holdoutPercent, storedVariants, Strategy.PRIORITY, Posteriors.EMPTY, null);
  }

  /** This strategy for everyone: no holdback. */
  public Experiment(String salt, int holdoutPercent, Map<Long, String> storedVariants, Strategy strategy,
      Posteriors posteriors, RandomGenerator random) {
    this(salt, holdoutPercent, storedVariants, strategy, posteriors, random, 0);
  }

  /** Whether this learner is decided by priority whatever the strategy (a strategy that is priority has none). */
  public boolean heldBack(String userId) {
    return strategy != Strategy.PRIORITY && Buckets.heldBack(salt, holdbackPercent, userId);
  }

  /** The same settings for a learner with these stored variants, choosing with this snapshot of the bandit. */
  public Experiment forDecision(Map<Long, String> variants, Posteriors snapshot) {
    return new Experiment(salt, holdoutPercent, variants, strategy, snapshot, random, holdbackPercent);
  }
}
