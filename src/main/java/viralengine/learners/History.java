package viralengine.learners;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the learner has seen: selections that counted (dry runs never do), oldest first, and the last
 * dismissal of each loop. Loops are named by their database id, which never changes.
 */
public record History(List<Selection> selections, Map<Long, Instant> lastDismissed) {
  public static final History NONE = new History(List.of(), Map.of());

  public record Selection(long loopId, Instant at) {}
}
