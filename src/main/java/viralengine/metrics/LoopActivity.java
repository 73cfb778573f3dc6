package viralengine.metrics;

import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * What each loop did in this process over the last hour, for the dashboard's per-loop panel: selections,
 * decisions where its cap was reached, and outcomes by kind (dismissals among them). One slot per minute
 * in a ring; safe to record from any thread. Prometheus has the counters for longer horizons and every node.
 */
public final class LoopActivity {
  static final int MINUTES = 60;
  public static final String SELECTED = "selected";
  public static final String CAP_REACHED = "cap_reached";

  /** Counts per loop per kind, for one minute. */
  private static final class Slot {
    long minute = -1;
    final Map<String, Map<String, Long>> counts = new HashMap<>();
  }

  private final Slot[] slots = new Slot[MINUTES];
  private final LongSupplier clockMillis;

  public LoopActivity(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    for (int i = 0; i < MINUTES; i++) {
      slots[i] = new Slot();
    }
  }

  /** One occurrence of {@code kind} (selected, cap_reached, or an outcome such as dismissed) for {@code loop}. */
  public synchronized void record(String loop, String kind) {
    long minute = clockMillis.getAsLong() / 60_000;
    Slot slot = slots[(int) (minute % MINUTES)];
    if (slot.minute != minute) {
      slot.counts.clear();
      slot.minute = minute;
    }
    slot.counts.computeIfAbsent(loop, l -> new HashMap<>()).merge(kind, 1L, Long::sum);
  }

  /** Kinds that are not outcomes: the charts draw only what happened after a decision. */
  private static final java.util.Set<String> NOT_OUTCOMES = java.util.Set.of(SELECTED, CAP_REACHED);

  /**
   * Outcomes per loop per minute over the last hour, for the dashboard's chart: {@code {loop: [count per minute]}},
   * oldest minute first, ending with the current one (the minutes of {@link Timeline#lastHour}).
   */
  public synchronized JsonObject outcomesPerMinute() {
    long now = clockMillis.getAsLong() / 60_000;
    Map<String, long[]> series = new TreeMap<>();
    for (Slot slot : slots) {
      if (slot.minute > now - MINUTES && slot.minute <= now) {
        int index = (int) (slot.minute - (now - MINUTES + 1));
        slot.counts.forEach((loop, kinds) -> kinds.forEach((kind, n) -> {
          if (!NOT_OUTCOMES.contains(kind)) {
            series.computeIfAbsent(loop, l -> new long[MINUTES])[index] += n;
          }
        }));
      }
    }
    JsonObject json = new JsonObject();
    series.forEach((loop, counts) -> json.put(loop, new io.vertx.core.json.JsonArray(
        java.util.Arrays.stream(counts).boxed().toList())));
    return json;
  }

  /** {@code {loop: {kind: count}}} over the last hour, loops and kinds sorted by name. */
  public synchronized JsonObject lastHour() {
    long now = clockMillis.getAsLong() / 60_000;
    Map<String, Map<String, Long>> totals = new TreeMap<>();
    for (Slot slot : slots) {
      if (slot.minute > now - MINUTES && slot.minute <= now) {
        slot.counts.forEach((loop, kinds) -> kinds.forEach((kind, n) ->
            totals.computeIfAbsent(loop, l -> new TreeMap<>()).merge(kind, n, Long::sum)));
      }
    }
    JsonObject json = new JsonObject();
    totals.forEach((loop, kinds) -> json.put(loop, new JsonObject(new java.util.LinkedHashMap<>(kinds))));
    return json;
  }
}
