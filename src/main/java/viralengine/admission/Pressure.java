package viralengine.admission;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Whether the process is overloaded by its callers right now: true within {@value #HOLD_MS} ms of any
 * HTTP instance shedding a request. Shared by every instance and read by the circuit breaker's failure
 * policy: a timeout while callers are being shed is the edge's overload (requests queued behind each
 * other on busy event loops), not the orchestrator failing, so it must not open the circuit. Admission
 * deals with it instead, by lowering its bound.
 */
public final class Pressure {
  static final long HOLD_MS = 1_000;

  private final LongSupplier nanoClock;
  private final AtomicLong lastShed = new AtomicLong(Long.MIN_VALUE);

  public Pressure(LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
  }

  public void shed() {
    lastShed.set(nanoClock.getAsLong());
  }

  public boolean overloaded() {
    long last = lastShed.get();
    return last != Long.MIN_VALUE && nanoClock.getAsLong() - last < HOLD_MS * 1_000_000;
  }
}
