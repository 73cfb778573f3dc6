package viralengine.http;

import viralengine.admission.Pressure;
import viralengine.auth.RateLimiter;
import viralengine.config.AppConfig;
import viralengine.connections.ConnectionBound;
import viralengine.metrics.EdgeMetrics;

/**
 * The guards one process shares across its HTTP instances: the connection bound, the per-token rate limits, the
 * overload signal the admission bounds raise and the circuit breaker reads, and the start-up rehearsal's pass.
 */
public record EdgeGuards(ConnectionBound connections, RateLimiter rateLimits, Pressure pressure, Rehearsal rehearsal) {
  public static EdgeGuards of(AppConfig config, EdgeMetrics metrics, Pressure pressure, Rehearsal rehearsal) {
    ConnectionBound bound = new ConnectionBound(config.connections().maxConnections());
    metrics.connections(bound::open, bound.max());
    return new EdgeGuards(bound, new RateLimiter(config.security().tokens(), System::nanoTime), pressure, rehearsal);
  }
}
