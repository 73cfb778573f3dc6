package viralengine.store;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * What a caller was told when the orchestrator gave no decision: a degraded decision ({@code errorCode}
 * null) or an error. Written over the orchestrator's row for the same decision id, if any.
 *
 * @param event a trigger_event's event, recorded in {@code viral_events} although the orchestrator never saw it;
 *     null for select_loop
 */
public record FallbackRecord(
    UUID decisionId,
    String requestId,
    String method,
    JsonObject params,
    JsonObject output,
    String rationale,
    JsonObject features,
    double latencyMs,
    Integer errorCode,
    EventRecord event) {

  /** An answer that records no event. */
  public FallbackRecord(UUID decisionId, String requestId, String method, JsonObject params, JsonObject output,
      String rationale, JsonObject features, double latencyMs, Integer errorCode) {
    this(decisionId, requestId, method, params, output, rationale, features, latencyMs, errorCode, null);
  }
}
