package viralengine.decision;

import java.util.Map;

/**
 * An immutable snapshot of what the bandit knows of each arm, a (loop, event type): how many counted selections
 * it had (trials) and how many of them were followed by the reward ({@code selection.reward}, by default an
 * {@code invite_sent}) within its window (successes). The
 * posterior of its reward rate is Beta(1 + successes, 1 + trials - successes). A decision without an event type
 * is its own arm, under the event type {@code ""}.
 */
public record Posteriors(Map<Arm, Stats> arms, Map<Recency, Stats> byRecency) {
  public static final Posteriors EMPTY = new Posteriors(Map.of());

  /** Without recency counts (every strategy but recovering). */
  public Posteriors(Map<Arm, Stats> arms) {
    this(arms, Map.of());
  }

  /**
   * A loop's selections by how long before each one the same learner had last been shown the loop
   * ({@link Recency#bucket}): what the recovering bandit draws from.
   */
  public record Recency(long loopId, int bucket) {
    /** Under a day since the learner last saw the loop; 1 to 7 days; more than 7 days or never. */
    public static final int DAY = 0;
    public static final int WEEK = 1;
    public static final int LONGER = 2;
    static final String[] NAMES = {"under_1d", "1d_to_7d", "over_7d_or_never"};

    /** The bucket of a gap in seconds; null for never. */
    public static int bucket(Long secondsSinceLastSeen) {
      if (secondsSinceLastSeen == null || secondsSinceLastSeen >= 7 * 86_400L) {
        return LONGER;
      }
      return secondsSinceLastSeen >= 86_400L ? WEEK : DAY;
    }

    public static String name(int bucket) {
      return NAMES[bucket];
    }
  }

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
    byRecency = Map.copyOf(byRecency);
  }

  /** The loop's counts in this recency bucket, over every event type. */
  public Stats of(long loopId, int recencyBucket) {
    return byRecency.getOrDefault(new Recency(loopId, recencyBucket), Stats.NONE);
  }

  /** The arm's counts; none for an arm never selected (or not in the snapshot yet). */
  public Stats of(long loopId, String eventType) {
    return arms.getOrDefault(new Arm(loopId, eventType), Stats.NONE);
  }
}
