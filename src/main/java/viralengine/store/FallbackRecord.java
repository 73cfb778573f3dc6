package viralengine.store;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * What a caller was told when the orchestrator gave no decision: a degraded decision ({@code errorCode}
 * null) or an error. Written over the orchestrator's row for the same decision id, if any.
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
    Integer errorCode) {}
