package viralengine.decision;

import java.util.Locale;

/** How a decision chooses among the eligible loops ({@code selection.strategy}). */
public enum Strategy {
  /** The highest priority, then expected K, then the name (DECISIONING.md "Deciding"). */
  PRIORITY,
  /** Thompson sampling over Beta posteriors of each (loop, event type), with a floor and explore-first. */
  THOMPSON,
  /**
   * The recovering bandit: Thompson sampling where a loop's posterior is the one of its recency bucket for this
   * learner (time since they were last shown it), after Yancey and Settles, KDD 2020.
   */
  RECOVERING,
  /** Uniformly at random: the baseline the simulator compares with. */
  RANDOM;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Strategy of(String wire) {
    return valueOf(wire.toUpperCase(Locale.ROOT));
  }
}
