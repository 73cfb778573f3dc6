package viralengine.metrics;

import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one log line per second for one kind of event, however many happen: an open circuit can
 * answer thousands a second, and a log flood would hide everything else.
 */
public final class Throttle {
  private static final long INTERVAL_MS = 1_000;
  private final AtomicLong lastAt = new AtomicLong();
  private final AtomicLong held = new AtomicLong();

  /** The number held back since the last line when this one may be logged; -1 when it must not be. */
  public long pass() {
    long now = System.currentTimeMillis();
    long last = lastAt.get();
    if (now - last >= INTERVAL_MS && lastAt.compareAndSet(last, now)) {
      return held.getAndSet(0);
    }
    held.incrementAndGet();
    return -1;
  }
}
