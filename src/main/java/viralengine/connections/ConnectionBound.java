package viralengine.connections;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** The process-wide count of open HTTP connections against {@code http.max_connections}; shared by every HTTP instance. */
public final class ConnectionBound {
  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();

  public ConnectionBound(int max) {
    this.max = max;
  }

  /** Takes a slot for a new connection; false (and counted) when the bound is reached. */
  boolean tryOpen() {
    while (true) {
      int now = open.get();
      if (now >= max) {
        refused.incrementAndGet();
        return false;
      }
      if (open.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void closed() {
    open.decrementAndGet();
  }

  public int open() {
    return open.get();
  }

  public int max() {
    return max;
  }

  public long refused() {
    return refused.get();
  }

  public boolean full() {
    return open.get() >= max;
  }
}
