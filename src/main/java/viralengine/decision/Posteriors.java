package viralengine.decision;

import java.util.Map;

/**
 * An immutable snapshot of what the bandit knows of each arm, a (loop, event type): how many counted selections
 * it had (trials) and how many of them were followed by the reward ({@code selection.reward}, by default an
 * {@code invite_sent}) within its window (successes). The
 * posterior of its reward rate is Beta(1 + successes, 1 + trials - successes). A decision without an event type
 * is its own arm, under the event type {@code ""}.
 */
public record Posteriors(Map<Arm, Stats> arms) {
  public static final Posteriors EMPTY = new Posteriors(Map.of());

  public record Arm(long loopId, String eventType) {
    public Arm {
      eventType = eventType == null ? "" : eventType;
    }
  }

  public record Stats(long trials, long successes) {
    public static final Stats NONE = new Stats(0, 0);

    public long failures() {
      return trials - successes;
    }
  }

  public Posteriors {
    arms = Map.copyOf(arms);
  }

  /** The arm's counts; none for an arm never selected (or not in the snapshot yet). */
  public Stats of(long loopId, String eventType) {
    return arms.getOrDefault(new Arm(loopId, eventType), Stats.NONE);
  }
}
