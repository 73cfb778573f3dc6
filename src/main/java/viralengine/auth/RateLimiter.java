package viralengine.auth;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Per-token rate limits: one token bucket per API token name that has a limit, shared by every HTTP
 * instance of the process. A bucket starts full ({@code burst} requests), refills at
 * {@code perSecond}, and never holds more than {@code burst}.
 */
public final class RateLimiter {
  private final Map<String, Bucket> buckets = new HashMap<>();
  private final LongSupplier nanoClock;

  public RateLimiter(List<ApiToken> tokens, LongSupplier nanoClock) {
    this.nanoClock = nanoClock;
    long now = nanoClock.getAsLong();
    for (ApiToken token : tokens) {
      if (token.rateLimit().limited()) {
        buckets.put(token.name(), new Bucket(token.rateLimit(), now));
      }
    }
  }

  /** Takes one request from the name's bucket: 0 when it passes, else the nanoseconds until it would. */
  public long tryAcquire(String name) {
    Bucket bucket = buckets.get(name);
    return bucket == null ? 0 : bucket.take(nanoClock.getAsLong());
  }

  public RateLimit limitOf(String name) {
    Bucket bucket = buckets.get(name);
    return bucket == null ? RateLimit.NONE : bucket.limit;
  }

  private static final class Bucket {
    final RateLimit limit;
    private double available;
    private long refilledAt;

    Bucket(RateLimit limit, long now) {
      this.limit = limit;
      this.available = limit.burst();
      this.refilledAt = now;
    }

    synchronized long take(long now) {
      available = Math.min(limit.burst(), available + (now - refilledAt) * limit.perSecond() / 1e9);
      refilledAt = now;
      if (available >= 1) {
        available -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - available) / limit.perSecond() * 1e9);
    }
  }
}
