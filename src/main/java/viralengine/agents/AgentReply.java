package viralengine.agents;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * What one call to a peer agent came to. Only {@link Outcome#OK} carries a result, already validated; anything else
 * means the decision falls back. {@link Outcome#ABSENT}: a built-in agent whose consumers are not registered in this
 * process, so no call was made and nothing is recorded.
 */
public record AgentReply(String agent, String method, Outcome outcome, JsonObject result, double latencyMs) {

  public enum Outcome {
    OK, TIMEOUT, ERROR, CIRCUIT_OPEN, INVALID, ABSENT;

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }

  /** The audit entry of {@code features_used.agents}, without the verdict (the caller adds what it applied). */
  public JsonObject audit() {
    return new JsonObject().put("agent", agent).put("method", method)
        .put("latency_ms", Math.round(latencyMs * 1000) / 1000.0).put("outcome", outcome.code()).put("fallback", !ok());
  }
}
