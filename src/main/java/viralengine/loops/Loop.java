package viralengine.loops;

import io.vertx.core.json.JsonObject;
import viralengine.targeting.Condition;

import java.util.List;

/**
 * A viral loop as the growth team manages it (see DECISIONING.md "Loops"). Immutable; a change makes a new
 * loop with a higher {@code version}. {@code targeting} is kept both as written and parsed, so decisions never
 * parse it again.
 *
 * @param triggers event types that may fire this loop; empty means any
 * @param action the payload the product renders when this loop is selected
 */
public record Loop(
    long id,
    String name,
    String displayName,
    String description,
    boolean active,
    List<String> triggers,
    int priority,
    double expectedK,
    List<String> groups,
    Audience audience,
    JsonObject targetingDocument,
    Condition targeting,
    long cooldownSeconds,
    long dismissCooldownSeconds,
    JsonObject action,
    long version) {

  /**
   * Who may see the loop.
   *
   * @param personas empty means every persona
   */
  public record Audience(Integer minAge, Integer maxAge, List<String> personas, boolean requiresParentalConsent) {
    public static final Audience ANYONE = new Audience(null, null, List.of(), false);
  }

  public boolean triggeredBy(String eventType) {
    return eventType == null || triggers.isEmpty() || triggers.contains(eventType);
  }
}
