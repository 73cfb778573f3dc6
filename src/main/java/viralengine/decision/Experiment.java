package viralengine.decision;

/**
 * What the experiments bring to a decision, besides the catalog and the learner: the salt of the sticky hashes
 * and the holdout's share. The orchestrator builds it from configuration; tests build it directly.
 *
 * @param holdoutPercent the share of learners held out of every loop, 0 to 100
 */
public record Experiment(String salt, int holdoutPercent) {
  /** No holdout: Phase 2 as it was before measure-and-learn. */
  public static final Experiment NONE = new Experiment("", 0);
}
