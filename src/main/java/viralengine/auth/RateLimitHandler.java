package viralengine.auth;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import viralengine.rpc.ErrorCodes;

import java.util.function.Consumer;

/**
 * Applies the caller's rate limit (after {@link BearerAuth}, before the body is read). One HTTP request
 * takes one from the bucket, a batch included. Past the limit: HTTP 429 with {@code Retry-After} (whole
 * seconds, rounded up) and JSON-RPC error -32003 whose {@code data.reason} is {@code rate_limited}.
 */
public final class RateLimitHandler implements Handler<RoutingContext> {
  public static final String REASON = "rate_limited";
  /** Set once a request has been counted: routes such as /mcp and /mcp/* may both match one request. */
  private static final String COUNTED = "viralengine.rateLimitCounted";

  private final RateLimiter limiter;
  private final Consumer<String> onLimited;

  /** {@code onLimited}: told the token name of every refused request (for the metrics). */
  public RateLimitHandler(RateLimiter limiter, Consumer<String> onLimited) {
    this.limiter = limiter;
    this.onLimited = onLimited;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.get(COUNTED) != null) {
      ctx.next();
      return;
    }
    ctx.put(COUNTED, Boolean.TRUE);
    Principal caller = Principal.of(ctx);
    long waitNanos = limiter.tryAcquire(caller.name());
    if (waitNanos == 0) {
      ctx.next();
      return;
    }
    onLimited.accept(caller.name());
    RateLimit limit = limiter.limitOf(caller.name());
    long retryAfterMs = Math.max(1, (waitNanos + 999_999) / 1_000_000);
    long retryAfterSeconds = Math.max(1, (retryAfterMs + 999) / 1_000);
    JsonObject error = new JsonObject().put("code", ErrorCodes.OVERLOADED)
        .put("message", "Rate limited: token '" + caller.name() + "' may send " + format(limit.perSecond())
            + " requests/s (burst " + limit.burst() + "); retry after " + retryAfterMs + " ms")
        .put("data", new JsonObject().put("reason", REASON).put("retry_after_ms", retryAfterMs));
    ctx.response().setStatusCode(429)
        .putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds))
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(new JsonObject().put("jsonrpc", "2.0").put("id", null).put("error", error).encode());
  }

  private static String format(double perSecond) {
    return perSecond == Math.rint(perSecond) ? Long.toString((long) perSecond) : Double.toString(perSecond);
  }
}
