package viralengine.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** The latest decisions, newest first, for the dashboard's live table. Bounded; safe from any thread. */
public final class RecentDecisions {
  static final int CAPACITY = 50;
  private final JsonObject[] ring = new JsonObject[CAPACITY];
  private long written;
  static final String ERASED = "(erased)";

  /** {@code time, method, user_id, loop, outcome, rationale, latency_ms, decision_id}. */
  public synchronized void add(JsonObject decision) {
    ring[(int) (written % CAPACITY)] = decision;
    written++;
  }

  /** An erased learner's decisions stay in the table, without their user_id. */
  public synchronized void forgetLearner(String userId) {
    for (int i = 0; i < CAPACITY; i++) {
      if (ring[i] != null && userId.equals(ring[i].getValue("user_id"))) {
        ring[i] = ring[i].copy().put("user_id", ERASED);
      }
    }
  }

  public synchronized JsonArray newestFirst() {
    JsonArray out = new JsonArray();
    for (long i = written - 1; i >= 0 && i >= written - CAPACITY; i--) {
      out.add(ring[(int) (i % CAPACITY)]);
    }
    return out;
  }
}
