package viralengine.decision;

import java.util.Map;

/**
 * What the experiments bring to a decision, besides the catalog and the learner: the salt of the sticky hashes,
 * the holdout's share, and the variants already assigned to the learner. The orchestrator builds it from
 * configuration and the learner's stored state; tests build it directly.
 *
 * @param holdoutPercent the share of learners held out of every loop, 0 to 100
 * @param storedVariants the learner's assigned variant key per loop id (learner_variants)
 */
public record Experiment(String salt, int holdoutPercent, Map<Long, String> storedVariants) {
  /** No holdout: Phase 2 as it was before measure-and-learn. */
  public static final Experiment NONE = new Experiment("", 0, Map.of());

  /** The same settings for a learner with these stored variants. */
  public Experiment forLearner(Map<Long, String> variants) {
    return new Experiment(salt, holdoutPercent, variants);
  }
}
