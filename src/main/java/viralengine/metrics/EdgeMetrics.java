package viralengine.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Abuse resistance at the edge: connections (open, refused at the bound, closed for slowness) and, per
 * API token name (never the token), requests shed by admission and refused by the rate limit. Token
 * names come from the configuration, so the tag values are bounded.
 */
public final class EdgeMetrics {
  public static final String CONNECTIONS_OPEN = "viral.connections.open";
  public static final String CONNECTIONS_MAX = "viral.connections.max";
  public static final String CONNECTIONS_REFUSED = "viral.connections.refused";
  public static final String CONNECTIONS_CLOSED_SLOW = "viral.connections.closed.slow";
  public static final String SHED = "viral.admission.shed";
  public static final String RATE_LIMITED = "viral.rate.limited";

  private final MeterRegistry registry;
  private final Counter refused;
  private final Map<String, Counter> closed = new ConcurrentHashMap<>();
  private final Map<String, Counter> shed = new ConcurrentHashMap<>();
  private final Map<String, Counter> rateLimited = new ConcurrentHashMap<>();

  public EdgeMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.refused = Counter.builder(CONNECTIONS_REFUSED).description("Connections closed at once: the bound was reached")
        .register(registry);
  }

  /** Gauges over the process's connection bound. */
  public void connections(Supplier<Number> open, int max) {
    Gauge.builder(CONNECTIONS_OPEN, open).description("HTTP connections open").register(registry);
    Gauge.builder(CONNECTIONS_MAX, () -> max).description("http.max_connections in force").register(registry);
  }

  public void refused() {
    refused.increment();
  }

  /** A connection closed because its client was too slow: {@code reason} is head, body or idle. */
  public void closedSlow(String reason) {
    closed.computeIfAbsent(reason, r -> Counter.builder(CONNECTIONS_CLOSED_SLOW).tag("reason", r)
        .description("Connections closed for a request head, body or next request not sent in time").register(registry))
        .increment();
  }

  public void shed(String token) {
    shed.computeIfAbsent(token, t -> Counter.builder(SHED).tag("token", t)
        .description("Requests shed by admission (-32003), by API token name").register(registry)).increment();
  }

  public void rateLimited(String token) {
    rateLimited.computeIfAbsent(token, t -> Counter.builder(RATE_LIMITED).tag("token", t)
        .description("Requests refused by the token's rate limit (HTTP 429), by API token name").register(registry))
        .increment();
  }
}
