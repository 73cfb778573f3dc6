package viralengine.admission;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limit.WindowedLimit;
import com.netflix.concurrency.limits.limit.window.PercentileSampleWindowFactory;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import viralengine.config.AppConfig;
import viralengine.rpc.ErrorCodes;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The in-flight bound of one HTTP instance, shared by its JSON-RPC and MCP routes.
 *
 * <p>A fixed bound does not bound latency: on a saturated CPU, every accepted request slows down and
 * the answers miss the SLA although the count in flight never rises. So the bound adapts (AIMD over
 * windows of {@value #WINDOW_MS} ms): a window whose 90th-percentile answer took longer than
 * {@code limits.target_latency_ms}, or that saw a timeout or an overload further in, shrinks it by a
 * tenth; a window in time, with at least half the bound in use, grows it by one, up to
 * {@code limits.max_concurrent_requests}. Judging windows rather than single answers keeps one pause
 * (a GC, a slow flush) from collapsing the bound. It starts at {@value #INITIAL_LIMIT}, so a burst
 * after a quiet spell is admitted only as far as recent answers justify. A target of 0 keeps the
 * bound fixed at the maximum.
 */
public final class Admission {
  /** However far the latency falls behind, this many requests per instance still get through. */
  public static final int MIN_LIMIT = 4;
  public static final int INITIAL_LIMIT = 20;
  public static final long WINDOW_MS = 100;
  static final double BACKOFF_RATIO = 0.9;
  static final double PERCENTILE = 0.9;
  /** Samples kept per window and instance: more than a window sees at this service's throughput. */
  static final int WINDOW_SAMPLES = 2_000;

  private final SimpleLimiter<Void> limiter;
  private final int max;

  public Admission(AppConfig.Limits limits) {
    this(limits, System::nanoTime);
  }

  /** {@code nanoClock}: what answers are timed with (a test can drive it). */
  Admission(AppConfig.Limits limits, LongSupplier nanoClock) {
    this.max = limits.maxConcurrentRequests();
    this.limiter = SimpleLimiter.newBuilder().limit(limit(limits)).nanoClock(nanoClock).build();
  }

  private static Limit limit(AppConfig.Limits limits) {
    int max = limits.maxConcurrentRequests();
    if (limits.targetLatencyMs() == 0) {
      return FixedLimit.of(max);
    }
    AIMDLimit aimd = AIMDLimit.newBuilder()
        .initialLimit(Math.min(INITIAL_LIMIT, max))
        .maxLimit(max)
        .minLimit(Math.min(MIN_LIMIT, max))
        .backoffRatio(BACKOFF_RATIO)
        .timeout(limits.targetLatencyMs(), TimeUnit.MILLISECONDS)
        .build();
    return WindowedLimit.newBuilder()
        .minWindowTime(WINDOW_MS, TimeUnit.MILLISECONDS)
        .maxWindowTime(WINDOW_MS, TimeUnit.MILLISECONDS)
        .sampleWindowFactory(PercentileSampleWindowFactory.of(PERCENTILE, WINDOW_SAMPLES))
        .build(aimd);
  }

  /** One permit per request of a batch, all or none; null when the bound is reached. */
  public Ticket tryAcquire(int requests) {
    List<Limiter.Listener> taken = new ArrayList<>(requests);
    for (int i = 0; i < requests; i++) {
      var permit = limiter.acquire(null);
      if (permit.isEmpty()) {
        taken.forEach(Limiter.Listener::onIgnore);
        return null;
      }
      taken.add(permit.get());
    }
    return new Ticket(taken);
  }

  /** The bound now: {@code limits.max_concurrent_requests}, or less while answers are late. */
  public int limit() {
    return limiter.getLimit();
  }

  public int inFlight() {
    return limiter.getInflight();
  }

  /** The -32003 message: the bound in force, and the setting behind it. */
  public String overloadedMessage() {
    int now = limit();
    return "Overloaded: " + now + " requests already in flight on this instance (limits.max_concurrent_requests="
        + max + (now < max ? ", lowered while answers are slower than limits.target_latency_ms" : "")
        + "); retry later";
  }

  /** Permits held by one HTTP request; each is released once, with how its answer went. */
  public static final class Ticket {
    private final List<Limiter.Listener> permits;
    private int next;

    private Ticket(List<Limiter.Listener> permits) {
      this.permits = permits;
    }

    /**
     * Releases one permit. A timeout (-32001) or an overload further in (-32003) counts as a drop; an
     * open circuit (-32002) answers at once without doing the work, so it says nothing about latency.
     */
    public void release(Integer errorCode) {
      Limiter.Listener permit = permits.get(next++);
      int code = errorCode == null ? 0 : errorCode;
      if (code == ErrorCodes.TIMEOUT || code == ErrorCodes.OVERLOADED) {
        permit.onDropped();
      } else if (code == ErrorCodes.CIRCUIT_OPEN) {
        permit.onIgnore();
      } else {
        permit.onSuccess();
      }
    }
  }
}
