package viralengine.loops;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * One viral loop as configured in {@code viral_loops}. The four Phase-1 loops are seeded inactive;
 * activating one is a row update, picked up at the next refresh.
 *
 * @param triggers event types that may fire this loop; empty means any
 * @param eligibility extra rules, reported as-is in the decision's {@code features_used}
 */
public record ViralLoop(
    long id,
    String name,
    boolean active,
    List<String> triggers,
    int priority,
    int cooldownSeconds,
    JsonObject eligibility,
    Double expectedK) {

  public boolean triggeredBy(String eventType) {
    return eventType == null || triggers.isEmpty() || triggers.contains(eventType);
  }
}
