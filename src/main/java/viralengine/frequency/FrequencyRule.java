package viralengine.frequency;

import java.util.List;

/**
 * At most {@code maxCount} selections of loops in the scope, per learner, within the period. All rules that
 * apply to a loop are AND-ed.
 *
 * @param scopeKey null for {@link Scope#GLOBAL}, a group name for {@link Scope#GROUP}, a loop name for {@link Scope#LOOP}
 */
public record FrequencyRule(String id, Scope scope, String scopeKey, int maxCount, Period period) {
  public enum Scope {
    GLOBAL, GROUP, LOOP;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether this rule limits the loop named {@code loop} in {@code groups}. */
  public boolean appliesTo(String loop, List<String> groups) {
    return switch (scope) {
      case GLOBAL -> true;
      case GROUP -> groups.contains(scopeKey);
      case LOOP -> scopeKey.equals(loop);
    };
  }
}
