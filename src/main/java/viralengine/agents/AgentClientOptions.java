package viralengine.agents;

/**
 * How an {@link AgentClient} talks to one peer agent. Immutable; validated on construction.
 *
 * @param timeoutMs how long one call may take before it fails with -32001 (the breaker's timeout)
 * @param maxFailures failures within {@code failureWindowMs} that open the circuit
 * @param failureWindowMs the rolling window in which failures are counted; at least 1000, because the
 *     Vert.x breaker counts failures in whole seconds
 * @param resetTimeoutMs how long the circuit stays open before it lets one trial call through
 * @param maxResponseBytes the largest response body accepted from the peer
 * @param bearerToken sent as {@code Authorization: Bearer ...}; null sends none. A secret: {@link #toString()} hides it
 */
public record AgentClientOptions(
    long timeoutMs, int maxFailures, long failureWindowMs, long resetTimeoutMs, int maxResponseBytes,
    String bearerToken) {

  public AgentClientOptions(long timeoutMs, int maxFailures, long failureWindowMs, long resetTimeoutMs,
      int maxResponseBytes) {
    this(timeoutMs, maxFailures, failureWindowMs, resetTimeoutMs, maxResponseBytes, null);
  }

  public AgentClientOptions withBearerToken(String token) {
    return new AgentClientOptions(timeoutMs, maxFailures, failureWindowMs, resetTimeoutMs, maxResponseBytes, token);
  }

  @Override
  public String toString() {
    return "AgentClientOptions[timeoutMs=" + timeoutMs + ", maxFailures=" + maxFailures + ", failureWindowMs="
        + failureWindowMs + ", resetTimeoutMs=" + resetTimeoutMs + ", maxResponseBytes=" + maxResponseBytes
        + ", bearerToken=" + (bearerToken == null ? "none" : "set") + "]";
  }

  /** Defaults sized to fit inside the orchestrator's 150 ms SLA. */
  public static final AgentClientOptions DEFAULTS = new AgentClientOptions(100, 5, 60_000, 30_000, 256 * 1024);

  public AgentClientOptions {
    requirePositive("timeoutMs", timeoutMs);
    requirePositive("maxFailures", maxFailures);
    if (failureWindowMs < 1000) {
      throw new IllegalArgumentException(
          "AgentClientOptions.failureWindowMs must be at least 1000, got " + failureWindowMs);
    }
    requirePositive("resetTimeoutMs", resetTimeoutMs);
    requirePositive("maxResponseBytes", maxResponseBytes);
  }

  private static void requirePositive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException("AgentClientOptions." + name + " must be positive, got " + value);
    }
  }
}
