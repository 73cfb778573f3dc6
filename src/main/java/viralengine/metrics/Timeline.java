package viralengine.metrics;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Decisions per second and the p99 of their latency, per minute over the last hour in this process, for the
 * dashboard's charts. One slot per minute in a ring, each with a count and a latency histogram on
 * {@link LiveStats}'s buckets; safe to record from any thread.
 */
public final class Timeline {
  static final int MINUTES = 60;

  private static final class Slot {
    volatile long minute = -1;
    final AtomicLongArray latency = new AtomicLongArray(LiveStats.BUCKETS);
    final AtomicLongArray count = new AtomicLongArray(1);
  }

  private final Slot[] slots = new Slot[MINUTES];
  private final LongSupplier clockMillis;

  public Timeline(LongSupplier clockMillis) {
    this.clockMillis = clockMillis;
    for (int i = 0; i < MINUTES; i++) {
      slots[i] = new Slot();
    }
  }

  /** One decision answered in {@code latencyMs}. */
  public void record(double latencyMs) {
    long minute = clockMillis.getAsLong() / 60_000;
    Slot slot = slots[(int) (minute % MINUTES)];
    if (slot.minute != minute) {
      synchronized (slot) {
        if (slot.minute != minute) {
          for (int i = 0; i < LiveStats.BUCKETS; i++) {
            slot.latency.set(i, 0);
          }
          slot.count.set(0, 0);
          slot.minute = minute;
        }
      }
    }
    slot.count.incrementAndGet(0);
    slot.latency.incrementAndGet(LiveStats.bucket(latencyMs));
  }

  /**
   * {@code {minutes: [epoch seconds], decisions_per_second: [...], p99_ms: [... or null]}}, oldest minute first,
   * ending with the current one; its rate counts the seconds elapsed so far.
   */
  public JsonObject lastHour() {
    long nowMs = clockMillis.getAsLong();
    long now = nowMs / 60_000;
    JsonArray minutes = new JsonArray();
    JsonArray rates = new JsonArray();
    JsonArray p99 = new JsonArray();
    for (long minute = now - MINUTES + 1; minute <= now; minute++) {
      Slot slot = slots[(int) (minute % MINUTES)];
      boolean current = slot.minute == minute;
      long count = current ? slot.count.get(0) : 0;
      double seconds = minute == now ? Math.max(1.0, (nowMs - now * 60_000) / 1000.0) : 60.0;
      minutes.add(minute * 60);
      rates.add(Math.round(count / seconds * 1000.0) / 1000.0);
      p99.add(current ? percentile(slot, count) : null);
    }
    return new JsonObject().put("minutes", minutes).put("decisions_per_second", rates).put("p99_ms", p99);
  }

  private static Double percentile(Slot slot, long count) {
    long[] histogram = new long[LiveStats.BUCKETS];
    for (int i = 0; i < LiveStats.BUCKETS; i++) {
      histogram[i] = slot.latency.get(i);
    }
    return LiveStats.percentile(histogram, count, 0.99);
  }
}
