package viralengine.admission;

import com.netflix.concurrency.limits.Limit;
import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limit.FixedLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import viralengine.config.AppConfig;
import viralengine.rpc.ErrorCodes;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The in-flight bound of one HTTP instance, shared by its JSON-RPC and MCP routes.
 *
 * <p>A fixed bound does not bound latency: on a saturated CPU, every accepted request slows down and
 * the answers miss the SLA although the count in flight never rises. So the bound adapts (AIMD):
 * each answer slower than {@code limits.target_latency_ms}, and each one that timed out or was shed
 * downstream, shrinks it by a tenth; each answer in time, while at least half the bound is in use,
 * grows it by one, up to {@code limits.max_concurrent_requests}. A target of 0 keeps the bound fixed.
 */
public final class Admission {
  /** However far the latency falls behind, this many requests per instance still get through. */
  public static final int MIN_LIMIT = 4;
  static final double BACKOFF_RATIO = 0.9;

  private final SimpleLimiter<Void> limiter;
  private final int max;

  public Admission(AppConfig.Limits limits) {
    this.max = limits.maxConcurrentRequests();
    Limit limit = limits.targetLatencyMs() == 0 ? FixedLimit.of(max) : AIMDLimit.newBuilder()
        .initialLimit(max)
        .maxLimit(max)
        .minLimit(Math.min(MIN_LIMIT, max))
        .backoffRatio(BACKOFF_RATIO)
        .timeout(limits.targetLatencyMs(), TimeUnit.MILLISECONDS)
        .build();
    this.limiter = SimpleLimiter.newBuilder().limit(limit).build();
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
  public static String overloaded(Admission admission) {
    int now = admission.limit();
    return "Overloaded: " + now + " requests already in flight on this instance (limits.max_concurrent_requests="
        + admission.max + (now < admission.max ? ", lowered while answers are slower than limits.target_latency_ms" : "")
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
      if (errorCode == null) {
        permit.onSuccess();
      } else if (errorCode == ErrorCodes.TIMEOUT || errorCode == ErrorCodes.OVERLOADED) {
        permit.onDropped();
      } else if (errorCode == ErrorCodes.CIRCUIT_OPEN) {
        permit.onIgnore();
      } else {
        permit.onSuccess();
      }
    }
  }
}
