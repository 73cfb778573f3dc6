package viralengine.store;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * A row of {@code agent_decisions}, plus the event it records (trigger_event only) and the user whose
 * exposure is logged when a loop was selected.
 */
public record DecisionRecord(
    UUID decisionId,
    String requestId,
    String method,
    String userId,
    JsonObject inputParams,
    JsonObject outputResult,
    String rationale,
    JsonObject featuresUsed,
    Long loopId,
    double latencyMs,
    EventRecord event) {}
