package viralengine.metrics;

import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Request rate, latency percentiles and errors over the last few seconds, for the live dashboard.
 * Prometheus has the full history; this answers "what is happening now" cheaply, without parsing the
 * scrape. One slot per second in a ring; each slot holds a log-scaled latency histogram, a request
 * count and error counts by code. Safe to record from any thread.
 */
public final class LiveStats {
  static final int WINDOW_SECONDS = 10;
  /** Bucket i holds latencies up to {@code MIN_MS * GROWTH^i}: 0.05 ms to about 60 s in 5% steps. */
  static final double MIN_MS = 0.05;
  static final double GROWTH = 1.05;
  static final int BUCKETS = 290;
  static final int[] ERROR_CODES = {-32700, -32600, -32601, -32602, -32603, -32000, -32001, -32002, -32003, -32004};

  private final Slot[] slots = new Slot[WINDOW_SECONDS + 1];

  private static final class Slot {
    volatile long second = -1;
    final AtomicLongArray latency = new AtomicLongArray(BUCKETS);
    final AtomicLongArray errors = new AtomicLongArray(ERROR_CODES.length);
    final AtomicLongArray requests = new AtomicLongArray(1);

    void reset(long newSecond) {
      for (int i = 0; i < BUCKETS; i++) {
        latency.set(i, 0);
      }
      for (int i = 0; i < ERROR_CODES.length; i++) {
        errors.set(i, 0);
      }
      requests.set(0, 0);
      second = newSecond;
    }
  }

  public LiveStats() {
    for (int i = 0; i < slots.length; i++) {
      slots[i] = new Slot();
    }
  }

  /** One answered JSON-RPC request; {@code errorCode} is null for a result. */
  public void record(double latencyMs, Integer errorCode) {
    Slot slot = slot(nowSecond());
    slot.requests.incrementAndGet(0);
    slot.latency.incrementAndGet(bucket(latencyMs));
    if (errorCode != null) {
      int index = errorIndex(errorCode);
      if (index >= 0) {
        slot.errors.incrementAndGet(index);
      }
    }
  }

  /**
   * {@code requests_per_second} over the last full second; percentiles, error rate and errors by code
   * over the last {@value #WINDOW_SECONDS} seconds.
   */
  public JsonObject snapshot() {
    long now = nowSecond();
    long[] latency = new long[BUCKETS];
    long[] errors = new long[ERROR_CODES.length];
    long requests = 0;
    long lastSecond = 0;
    for (Slot slot : slots) {
      long age = now - slot.second;
      if (slot.second < 0 || age < 1 || age > WINDOW_SECONDS) {
        continue; // the current, still filling second is left out; so are stale slots
      }
      long count = slot.requests.get(0);
      requests += count;
      if (age == 1) {
        lastSecond = count;
      }
      for (int i = 0; i < BUCKETS; i++) {
        latency[i] += slot.latency.get(i);
      }
      for (int i = 0; i < ERROR_CODES.length; i++) {
        errors[i] += slot.errors.get(i);
      }
    }
    Map<String, Object> byCode = new TreeMap<>();
    long errorTotal = 0;
    for (int i = 0; i < ERROR_CODES.length; i++) {
      if (errors[i] > 0) {
        byCode.put(Integer.toString(ERROR_CODES[i]), errors[i]);
        errorTotal += errors[i];
      }
    }
    return new JsonObject()
        .put("requests_per_second", lastSecond)
        .put("window_seconds", WINDOW_SECONDS)
        .put("window_requests", requests)
        .put("latency_ms", new JsonObject()
            .put("p50", percentile(latency, requests, 0.50))
            .put("p95", percentile(latency, requests, 0.95))
            .put("p99", percentile(latency, requests, 0.99)))
        .put("error_rate", requests == 0 ? 0.0 : (double) errorTotal / requests)
        .put("errors_by_code", new JsonObject(byCode));
  }

  private Slot slot(long second) {
    Slot slot = slots[(int) (second % slots.length)];
    if (slot.second != second) {
      synchronized (slot) {
        if (slot.second != second) {
          slot.reset(second);
        }
      }
    }
    return slot;
  }

  static int bucket(double latencyMs) {
    if (latencyMs <= MIN_MS) {
      return 0;
    }
    int index = (int) Math.ceil(Math.log(latencyMs / MIN_MS) / Math.log(GROWTH));
    return Math.min(index, BUCKETS - 1);
  }

  /** The upper bound of the bucket that holds the {@code q} quantile; null when there is no data. */
  static Double percentile(long[] histogram, long total, double q) {
    if (total == 0) {
      return null;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < histogram.length; i++) {
      seen += histogram[i];
      if (seen >= rank) {
        return Math.round(MIN_MS * Math.pow(GROWTH, i) * 1000.0) / 1000.0;
      }
    }
    return null;
  }

  private static int errorIndex(int code) {
    for (int i = 0; i < ERROR_CODES.length; i++) {
      if (ERROR_CODES[i] == code) {
        return i;
      }
    }
    return -1;
  }

  long nowSecond() {
    return System.currentTimeMillis() / 1000;
  }
}
